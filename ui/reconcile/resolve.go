package reconcile

import (
	"errors"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/reconcile"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// refused reports whether err is a permission a manager may lend (a
// disabled person gets no override).
func (v *View) refused(err error) bool {
	return v.deps.Override != nil && errors.Is(err, app.ErrNoPermission) && !errors.Is(err, app.ErrStaffDisabled)
}

// settle asks the channel about the chosen line's record through the
// payment state machine and matches it again.
func (v *View) settle() {
	d, ok := v.Selected()
	if !ok || d.Resolved() {
		return
	}
	v.settleLine(d)
}

func (v *View) settleLine(d reconcile.Difference) {
	staff, rec, ctx := v.deps.Staff.ID, v.deps.Reconciler, v.ctx
	v.setBusy(true, i18n.T("reconview.settling", "Channel", channelName(d.Channel), "Ref", d.Ref))
	var got reconcile.Difference
	var err error
	async.Run(func() { got, err = rec.Settle(ctx, staff, d.ID) }, func() {
		if v.done {
			return
		}
		v.setBusy(false, "")
		switch {
		case err == nil && got.Resolved():
			v.say(widget.SuccessImportance, i18n.T("reconview.settled", "Ref", d.Ref))
		case err == nil:
			v.say(widget.WarningImportance, i18n.T("reconview.still_differs", "Ref", d.Ref, "Kind", kindName(got.Kind),
				"Local", localSide(got), "Bill", billSide(got)))
		case v.refused(err):
			v.say(widget.DangerImportance, i18n.Err(err))
			v.deps.Override(reconcile.PermResolve, func() { v.settleLine(d) })
			return
		default:
			v.say(widget.DangerImportance, i18n.T("reconview.settle_err", "Ref", d.Ref, "Err", i18n.Err(err)))
		}
		if err == nil {
			v.replace(got)
		}
		v.load(d.ID)
	})
}

// replace shows a line as the use case returned it until the reload.
func (v *View) replace(d reconcile.Difference) {
	for i := range v.runs {
		for j := range v.runs[i].lines {
			if v.runs[i].lines[j].ID == d.ID {
				v.runs[i].lines[j] = d
			}
		}
	}
	v.showLines(d.ID)
}

// explain opens the note dialog for the chosen line.
func (v *View) explain() {
	d, ok := v.Selected()
	if !ok || d.Resolved() {
		return
	}
	win := v.window()
	if win == nil {
		return
	}
	v.Note = newNoteDialog(v, win, d)
}

// window is the window the view is shown in.
func (v *View) window() fyne.Window {
	if v.deps.Window != nil {
		return v.deps.Window
	}
	drv := fyne.CurrentApp().Driver()
	c := drv.CanvasForObject(v.content)
	for _, w := range drv.AllWindows() {
		if c != nil && w.Canvas() == c {
			return w
		}
	}
	return nil
}

// explainLine writes the explanation; done is told whether it was kept
// (and the dialog closes) or what to say in the dialog.
func (v *View) explainLine(d reconcile.Difference, note string, done func(err error)) {
	staff, rec, ctx := v.deps.Staff.ID, v.deps.Reconciler, v.ctx
	v.setBusy(true, i18n.T("reconview.explaining", "Ref", d.Ref))
	var err error
	async.Run(func() { _, err = rec.Explain(ctx, staff, d.ID, note) }, func() {
		if v.done {
			return
		}
		v.setBusy(false, "")
		if done != nil {
			done(err)
		}
		switch {
		case err == nil:
			v.say(widget.SuccessImportance, i18n.T("reconview.explained", "Ref", d.Ref))
		case v.refused(err):
			v.say(widget.DangerImportance, i18n.Err(err))
			v.deps.Override(reconcile.PermResolve, func() { v.explainLine(d, note, nil) })
			return
		case done == nil: // after an override, with no dialog to say it in
			v.say(widget.DangerImportance, i18n.T("reconview.explain_err", "Ref", d.Ref, "Err", i18n.Err(err)))
		}
		if err == nil || errors.Is(err, reconcile.ErrResolved) {
			v.load(d.ID)
		}
	})
}

// NoteDialog asks for the explanation of one line: the note is required,
// Enter confirms, Esc cancels.
type NoteDialog struct {
	Line    *widget.Label
	Note    *scaninput.Entry
	Message *widget.Label
	OK      *widget.Button
	Cancel  *widget.Button
	v       *View
	d       reconcile.Difference
	win     fyne.Window
	dlg     *dialog.CustomDialog
	busy    bool
	closed  bool
}

func newNoteDialog(v *View, win fyne.Window, d reconcile.Difference) *NoteDialog {
	n := &NoteDialog{v: v, d: d, win: win}
	n.Line = widget.NewLabel(v.detail(d))
	n.Line.Wrapping = fyne.TextWrapWord
	n.Note = scaninput.NewEntry(nil, nil)
	n.Note.SetPlaceHolder(i18n.T("reconview.note_placeholder"))
	n.Note.OnSubmitted = func(string) { n.submit() }
	n.Note.OnEscape = n.Close
	n.Message = widget.NewLabel("")
	n.Message.Wrapping = fyne.TextWrapWord
	n.Message.Importance = widget.DangerImportance
	n.OK = widget.NewButtonWithIcon(i18n.T("reconview.note_ok", "Key", "Enter"), theme.ConfirmIcon(), n.submit)
	n.OK.Importance = widget.HighImportance
	n.Cancel = widget.NewButtonWithIcon(i18n.T("reconview.note_cancel", "Key", "Esc"), theme.CancelIcon(), n.Close)
	audited := widget.NewLabel(i18n.T("reconview.note_audited", "Max", reconcile.MaxNote))
	audited.Wrapping = fyne.TextWrapWord
	audited.Importance = widget.LowImportance
	body := container.NewVBox(n.Line,
		container.NewBorder(nil, nil, widget.NewLabel(i18n.T("reconview.note")), nil, n.Note),
		audited, n.Message)
	n.dlg = dialog.NewCustomWithoutButtons(i18n.T("reconview.note_title"), body, win)
	n.dlg.SetButtons([]fyne.CanvasObject{n.Cancel, n.OK})
	n.dlg.SetOnClosed(func() {
		n.closed = true
		if v.Note == n {
			v.Note = nil
			v.refocus()
		}
	})
	n.dlg.Resize(fyne.NewSize(560, 0))
	n.dlg.Show()
	win.Canvas().Focus(n.Note)
	return n
}

// Close closes the dialog; nothing is written.
func (n *NoteDialog) Close() {
	if !n.closed {
		n.dlg.Hide()
	}
}

// Closed reports whether the dialog is gone.
func (n *NoteDialog) Closed() bool { return n.closed }

func (n *NoteDialog) submit() {
	if n.busy || n.closed {
		return
	}
	note := strings.TrimSpace(n.Note.Text)
	switch {
	case note == "":
		n.Message.SetText(i18n.Err(reconcile.ErrNoteNeeded))
		n.win.Canvas().Focus(n.Note)
		return
	case utf8.RuneCountInString(note) > reconcile.MaxNote:
		n.Message.SetText(i18n.Err(reconcile.ErrNoteTooLong.With("Max", reconcile.MaxNote)))
		n.win.Canvas().Focus(n.Note)
		return
	}
	n.busy = true
	n.OK.Disable()
	n.Message.SetText("")
	n.v.explainLine(n.d, note, func(err error) {
		n.busy = false
		n.OK.Enable()
		if err == nil || n.v.refused(err) {
			n.Close() // kept, or a manager's dialog comes next
			return
		}
		n.Message.SetText(i18n.Err(err))
		n.win.Canvas().Focus(n.Note)
	})
}
