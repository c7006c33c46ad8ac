package backofficesync

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/keybutton"
	"cashier/ui/products"
)

// Choice is one answer of a Question.
type Choice struct {
	Label     string
	Icon      fyne.Resource
	Important bool
	Do        func(q *Question)
}

// Question is a small dialog of a text and its answers, for the keyboard:
// the first answer has the focus, Enter presses the focused one, Tab moves
// between them and Esc cancels.
type Question struct {
	Text    *widget.Label
	Buttons []*keybutton.Button
	dlg     *dialog.CustomDialog
	cancel  func()
	win     fyne.Window
	closed  bool
}

// NewQuestion shows a question over win; cancel runs on Esc (and from
// Cancel). The answers are laid out right to left, the first rightmost.
func NewQuestion(win fyne.Window, title, text string, cancel func(), choices ...Choice) *Question {
	q := &Question{Text: widget.NewLabel(text), cancel: cancel, win: win}
	q.Text.Wrapping = fyne.TextWrapWord
	var buttons []fyne.CanvasObject
	for _, c := range choices {
		b := keybutton.New(c.Label, c.Icon, nil, q.Cancel)
		b.OnTapped = func() { c.Do(q) }
		if c.Important {
			b.Importance = widget.HighImportance
		}
		q.Buttons = append(q.Buttons, b)
		buttons = append([]fyne.CanvasObject{b}, buttons...)
	}
	q.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(q.Text), win)
	q.dlg.SetButtons(buttons)
	q.dlg.Resize(fyne.NewSize(680, 0)) // the leave question on one line at 1024 wide
	q.dlg.Show()
	if len(q.Buttons) > 0 {
		win.Canvas().Focus(q.Buttons[0])
	}
	return q
}

// Close hides the question.
func (q *Question) Close() {
	if q.closed {
		return
	}
	q.closed = true
	q.dlg.Hide()
}

// Cancel hides the question and runs its cancel.
func (q *Question) Cancel() {
	if q.closed {
		return
	}
	q.Close()
	if q.cancel != nil {
		q.cancel()
	}
}

// Closed reports whether the question is gone.
func (q *Question) Closed() bool { return q.closed }

// Leaver is what the question before leaving needs of the sync.
type Leaver interface {
	Status(ctx context.Context) (Status, error)
	PushNow(ctx context.Context, progress func(Progress)) error
}

// DefaultLeaveDeadline bounds 先同步再退出 when the caller gives none.
const DefaultLeaveDeadline = 30 * time.Second

// ConfirmLeave runs leave at once when nothing waits to go up, the
// terminal is not enrolled or the status cannot be read (leaving must not
// hang on the sync); otherwise it asks over win first: 先同步再退出
// pushes within deadline (0: DefaultLeaveDeadline) and then leaves,
// whatever came of it — what did not go up stays here and goes with the
// next sync; 仍然退出 leaves at once (stopping a push under way); 取消 (Esc)
// stays and runs stay (may be nil). leave and stay run on the UI
// goroutine, at most one of them once.
func ConfirmLeave(win fyne.Window, s Leaver, deadline time.Duration, leave, stay func()) {
	if deadline <= 0 {
		deadline = DefaultLeaveDeadline
	}
	var st Status
	var err error
	async.Run(func() { st, err = s.Status(context.Background()) }, func() {
		if err != nil || !st.Enrolled || st.Unsynced <= 0 {
			leave()
			return
		}
		askLeave(win, s, st.Unsynced, deadline, leave, stay)
	})
}

func askLeave(win fyne.Window, s Leaver, unsynced int, deadline time.Duration, leave, stay func()) {
	var (
		once     sync.Once
		stopPush = func() {}
	)
	finish := func(then func()) {
		once.Do(func() {
			stopPush()
			if then != nil {
				then()
			}
		})
	}
	NewQuestion(win, i18n.T("backofficesync.leave.title"),
		i18n.T("backofficesync.leave.text", "N", products.Thousands(unsynced)),
		func() { finish(stay) },
		Choice{Label: i18n.T("backofficesync.leave.sync"), Icon: theme.UploadIcon(), Important: true, Do: func(q *Question) {
			first := q.Buttons[0]
			if first.Disabled() {
				return
			}
			first.Disable()
			q.Text.SetText(i18n.T("backofficesync.leave.syncing"))
			win.Canvas().Focus(q.Buttons[1]) // 仍然退出 stays at hand while it runs
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			stopPush = cancel
			var err error
			async.Run(func() {
				err = s.PushNow(ctx, func(p Progress) {
					async.Do(func() {
						if !q.Closed() && p.Phase != "" {
							q.Text.SetText(ProgressText(p))
						}
					})
				})
			}, func() {
				_ = err // what did not go up waits here for the next sync; leaving is what was asked
				if q.Closed() {
					return // 仍然退出 or 取消 while it ran
				}
				q.Close()
				finish(leave)
			})
		}},
		Choice{Label: i18n.T("backofficesync.leave.anyway"), Icon: theme.LogoutIcon(), Do: func(q *Question) {
			q.Close()
			finish(leave)
		}},
		Choice{Label: i18n.T("backofficesync.cancel"), Icon: theme.CancelIcon(), Do: func(q *Question) { q.Cancel() }},
	)
}
