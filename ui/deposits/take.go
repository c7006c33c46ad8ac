package deposits

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// NoteMax is the longest note a deposit takes: one line of the receipt.
const NoteMax = app.DepositNoteMax

// take is the check-in: the form, the guest's code, the freeze.
type take struct {
	Amount, Room, Name, Phone, Note *scaninput.Entry
	FormErr                         *widget.Label // why the form was not sent
	Prompt                          *widget.Label // what to do now
	Code                            *scaninput.Entry
	Seconds                         *widget.Label
	TakeBanner                      *Banner

	form []*scaninput.Entry
	bad  *scaninput.Entry // the field the form's error is about
	// takeOrder is the deposit's order written for the form as takeIn
	// says; Esc back to the form and Enter again does not write another
	// unless the form changed.
	takeOrder app.Order
	takeIn    deposit.TakeInput
	takenNo   string // the deposit the last freeze took (for a reprint)
	outTrade  string // the freeze's number, once the first event told it
	// cancelWanted: Esc came before the freeze had its number; the
	// cancel goes out as soon as it is known.
	cancelWanted, cancelling bool
	opening                  bool // the order is being written: a second Enter writes no second one
	// early is a code scanned while the order was being written.
	early string
}

func (v *View) buildTake() fyne.CanvasObject {
	t := &v.take
	t.Amount = v.newEntry(func() { v.formNext(0) })
	t.Room = v.newEntry(func() { v.formNext(1) })
	t.Name = v.newEntry(func() { v.formNext(2) })
	t.Phone = v.newEntry(func() { v.formNext(3) })
	t.Note = v.newEntry(func() { v.formNext(4) })
	t.form = []*scaninput.Entry{t.Amount, t.Room, t.Name, t.Phone, t.Note}
	t.Amount.SetPlaceHolder(i18n.T("deposits.take.amount.placeholder"))
	t.Room.SetPlaceHolder(i18n.T("deposits.take.room.placeholder"))
	t.Name.SetPlaceHolder(i18n.T("deposits.take.name.placeholder"))
	t.Phone.SetPlaceHolder(i18n.T("deposits.take.optional"))
	t.Note.SetPlaceHolder(i18n.T("deposits.take.optional"))
	t.Code = v.newEntry(v.enter)
	t.Code.SetPlaceHolder(i18n.T("deposits.take.code.placeholder"))
	t.FormErr = widget.NewLabel("")
	t.FormErr.Wrapping = fyne.TextWrapWord
	t.FormErr.Importance = widget.DangerImportance
	t.Prompt = widget.NewLabel("")
	t.Prompt.Wrapping = fyne.TextWrapWord
	t.Prompt.TextStyle = fyne.TextStyle{Bold: true}
	t.Prompt.SizeName = theme.SizeNameSubHeadingText
	t.Seconds = widget.NewLabel("")
	t.TakeBanner = newBanner()

	form := container.New(layout.NewFormLayout(),
		widget.NewLabel(i18n.T("deposits.take.amount")), t.Amount,
		widget.NewLabel(i18n.T("deposits.take.room")), t.Room,
		widget.NewLabel(i18n.T("deposits.take.name")), t.Name,
		widget.NewLabel(i18n.T("deposits.take.phone")), t.Phone,
		widget.NewLabel(i18n.T("deposits.take.note")), t.Note)
	hint := widget.NewLabel(i18n.T("deposits.take.hint"))
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.LowImportance
	left := container.NewVBox(
		widget.NewLabelWithStyle(i18n.T("deposits.take.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		form, t.FormErr, hint)
	code := container.NewBorder(nil, nil, widget.NewLabel(i18n.T("deposits.take.code")), nil, t.Code)
	right := container.NewVBox(t.TakeBanner.box, t.Prompt, code, t.Seconds)
	split := container.NewHSplit(left, container.NewPadded(right))
	split.Offset = 0.5
	return split
}

// startTake is F2: the form for a new deposit (what was typed and not yet
// frozen stays).
func (v *View) startTake() {
	v.TakeBanner.clear()
	v.show(stForm)
	v.say(i18n.T("deposits.take.ready"))
}

// formFocus is where the cursor goes in the form: the field an error is
// about, else the first empty one of amount and room.
func (v *View) formFocus() fyne.Focusable {
	if v.bad != nil {
		return v.bad
	}
	if trim(v.Amount.Text) != "" && trim(v.Room.Text) == "" {
		return v.Room
	}
	return v.Amount
}

// formNext is Enter in form field i: the next field, and the last one
// sends the form.
func (v *View) formNext(i int) {
	if v.st != stForm {
		v.enter()
		return
	}
	if i < len(v.form)-1 {
		v.focus(v.form[i+1])
		return
	}
	v.submitForm()
}

// formInput reads the form, refusing what would be refused later, with
// the field to put the cursor in.
func (v *View) formInput() (deposit.TakeInput, *scaninput.Entry, error) {
	in := deposit.TakeInput{Staff: v.deps.Staff}
	s := trim(v.Amount.Text)
	if s == "" {
		return in, v.Amount, errNeedAmount
	}
	m, err := app.ParsePositiveMoney(s)
	if err != nil {
		return in, v.Amount, badAmount{err}
	}
	in.Amount = m
	in.Guest = app.Guest{Room: trim(v.Room.Text), Name: trim(v.Name.Text), Phone: trim(v.Phone.Text)}
	for _, f := range []struct {
		g app.Guest
		e *scaninput.Entry
	}{{app.Guest{Room: in.Guest.Room}, v.Room}, {app.Guest{Name: in.Guest.Name}, v.Name}, {app.Guest{Phone: in.Guest.Phone}, v.Phone}} {
		if err := f.g.Check(); err != nil {
			return in, f.e, err
		}
	}
	if in.Guest.Room == "" && in.Guest.Name == "" {
		return in, v.Room, deposit.ErrNoGuest
	}
	in.Note = trim(v.Note.Text)
	if runes(in.Note) > NoteMax {
		return in, v.Note, errNoteTooLong
	}
	return in, nil, nil
}

var (
	errNeedAmount  = errors.New("no amount")
	errNoteTooLong = errors.New("note too long")
)

type badAmount struct{ err error }

func (b badAmount) Error() string { return b.err.Error() }

// formError puts a refusal of the form into words.
func formError(err error) string {
	var b badAmount
	switch {
	case errors.Is(err, errNeedAmount):
		return i18n.T("deposits.take.need_amount")
	case errors.As(err, &b):
		return i18n.T("deposits.take.bad_amount", "Err", i18n.Err(b.err))
	case errors.Is(err, errNoteTooLong):
		return i18n.T("deposits.take.note_too_long", "Max", NoteMax)
	}
	return i18n.Err(err)
}

func sameTake(a, b deposit.TakeInput) bool {
	return a.Amount == b.Amount && a.Guest == b.Guest && a.Note == b.Note && a.Staff.ID == b.Staff.ID
}

// submitForm checks the form and writes the deposit's order, then asks
// for the guest's code. A form refused here sends nothing.
func (v *View) submitForm() {
	if v.opening {
		return
	}
	in, bad, err := v.formInput()
	if err != nil {
		v.bad = bad
		msg := formError(err)
		v.FormErr.SetText(msg)
		v.say(msg)
		v.show(stForm)
		return
	}
	v.bad = nil
	v.FormErr.SetText("")
	if v.takeOrder.OrderNo != "" && sameTake(v.takeIn, in) {
		v.askCode()
		return
	}
	v.say(i18n.T("deposits.take.opening"))
	v.opening = true
	var o app.Order
	desk, old := v.deps.Desk, v.takeOrder.OrderNo
	v.takeOrder = app.Order{}
	async.Run(func() {
		if old != "" {
			// The form changed: the order written for the old one goes.
			_ = desk.Abandon(context.Background(), old, in.Staff)
		}
		o, err = desk.Open(context.Background(), in)
	}, func() {
		v.opening = false
		if err == nil {
			v.takeOrder, v.takeIn = o, in // written: Enter again pays this one
		}
		if v.st != stForm {
			return
		}
		early := v.take.early
		v.take.early = ""
		if err != nil {
			msg := i18n.Err(err)
			v.FormErr.SetText(msg)
			v.say(msg)
			v.show(stForm)
			return
		}
		v.askCode()
		if early != "" {
			v.freeze(early)
		}
	})
}

// askCode waits for the guest's payment code.
func (v *View) askCode() {
	v.Code.SetText("")
	v.show(stCode)
	v.say(i18n.T("deposits.take.show_code"))
}

// codeEnter is Enter in the code field: a typed code freezes.
func (v *View) codeEnter() {
	code := trim(v.Code.Text)
	if code == "" {
		v.say(i18n.T("deposits.take.need_code"))
		return
	}
	v.freeze(code)
}

// freeze freezes the deposit by the guest's code.
func (v *View) freeze(code string) {
	if v.st != stCode || v.takeOrder.OrderNo == "" {
		return
	}
	no, staff, desk := v.takeOrder.OrderNo, v.deps.Staff, v.deps.Desk
	v.Code.SetText("") // the guest's code is not left on the screen
	v.outTrade, v.cancelWanted, v.cancelling = "", false, false
	v.TakeBanner.clear()
	v.Seconds.SetText("")
	v.show(stFreezing)
	v.say(i18n.T("deposits.take.freezing", "Amount", v.takeIn.Amount.Display()))
	var out sale.Outcome
	var err error
	async.Run(func() { out, err = desk.Freeze(context.Background(), no, code, staff, v.freezeEvent) },
		func() { v.frozen(out, err) })
}

// freezeEvent shows the freeze's progress with its seconds; an Esc that
// came early goes out now.
func (v *View) freezeEvent(e payment.Event) {
	async.Do(func() {
		if v.st != stFreezing {
			return
		}
		if e.Ref != "" && v.outTrade == "" {
			v.outTrade = e.Ref
		}
		if !v.cancelling {
			v.say(i18n.M(e.Msg))
		}
		v.Seconds.SetText(i18n.T("deposits.seconds", "S", e.Seconds))
		if v.cancelWanted && v.outTrade != "" {
			v.cancelWanted = false
			v.sendCancel()
		}
	})
}

// cancelFreeze is Esc while the freeze runs: the guest walked away. It
// goes to the channel (query, then reverse or close); the freeze's own
// loop reports the end through frozen.
func (v *View) cancelFreeze() {
	if v.cancelling {
		return
	}
	v.cancelling = true
	v.buttons()
	v.say(i18n.T("deposits.take.cancelling"))
	if v.outTrade == "" {
		v.cancelWanted = true
		return
	}
	v.sendCancel()
}

func (v *View) sendCancel() {
	no, desk := v.outTrade, v.deps.Desk
	var err error
	async.Run(func() {
		ctx, stop := context.WithTimeout(context.Background(), 3*time.Minute)
		defer stop()
		err = desk.Cancel(ctx, no)
	}, func() {
		if err == nil || v.st != stFreezing || v.outTrade != no {
			return
		}
		v.cancelling = false
		v.buttons()
		v.say(i18n.T("deposits.take.err.cancel", "Err", i18n.Err(err)))
	})
}

// frozen applies how the freeze ended: green frozen, amber not known
// yet (the tender stays pending, nothing can take the money twice,
// recovery asks the channel), red failed (another code may be scanned
// for the same deposit).
func (v *View) frozen(out sale.Outcome, err error) {
	v.cancelling, v.cancelWanted = false, false
	p := out.Payment
	no := v.takeOrder.OrderNo
	switch {
	case out.Paid() || p.Paid():
		amount := v.takeIn.Amount
		if p.Amount > 0 {
			amount = p.Amount
		}
		v.TakeBanner.set(i18n.T("deposits.take.banner.frozen", "Amount", amount.Display()),
			i18n.T("deposits.take.frozen_sub", "No", no, "Short", app.ShortNo(no), "Guest", guestLine(v.takeIn.Guest)), colorDone)
		v.takenNo = no
		v.endTake()
		v.say(i18n.T("deposits.take.next"))
	case p.OutTradeNo != "" && (p.State == payment.IntentManual || p.State != "" && !p.State.Final()):
		sub := i18n.T("deposits.take.unsettled", "Short", app.ShortNo(no), "Msg", i18n.M(p.Msg))
		if err != nil {
			sub += "\n" + i18n.Err(err)
		}
		v.TakeBanner.set(i18n.T("deposits.take.banner.unsettled"), sub, colorOpen)
		v.takenNo = ""
		v.endTake()
		v.say(i18n.T("deposits.take.next"))
	default:
		why := i18n.T("deposits.take.not_frozen")
		switch {
		case err != nil:
			why = i18n.Err(err)
		case p.State != "":
			why = stateName(p.State)
			if !p.Msg.IsZero() {
				why += i18n.T("list.colon") + i18n.M(p.Msg)
			}
		}
		v.TakeBanner.set(i18n.T("deposits.take.banner.failed"), why, colorFail)
		v.show(stCode)
		v.say(i18n.T("deposits.take.try_again"))
	}
}

// abandonTake voids the order written for the form when the person leaves
// the workspace before its freeze succeeded: an unpaid deposit order must
// not wait at the handover (the desk leaves a paid or in-flight one as it
// is).
func (v *View) abandonTake() {
	no := v.takeOrder.OrderNo
	if no == "" || v.st == stFreezing {
		return
	}
	v.takeOrder = app.Order{}
	desk, staff := v.deps.Desk, v.deps.Staff
	go func() { _ = desk.Abandon(context.Background(), no, staff) }()
}

// endTake forgets the form: the deposit is taken (or on its way), the
// next guest starts afresh.
func (v *View) endTake() {
	for _, e := range v.form {
		e.SetText("")
	}
	v.takeOrder, v.takeIn, v.bad = app.Order{}, deposit.TakeInput{}, nil
	v.FormErr.SetText("")
	v.show(stTaken)
	v.load() // the list behind shows the new deposit
}

// showTake sets the take page for the state.
func (v *View) showTake() {
	for _, e := range v.form {
		if v.st == stForm {
			e.Enable()
		} else {
			e.Disable()
		}
	}
	v.FormErr.Hidden = v.FormErr.Text == ""
	v.FormErr.Refresh()
	if v.st == stForm {
		v.Code.Disable() // the form first
	} else {
		v.Code.Enable()
	}
	v.Seconds.Hidden = v.st != stFreezing
	v.Seconds.Refresh()
	switch v.st {
	case stForm:
		v.Prompt.SetText(i18n.T("deposits.take.prompt.form"))
		v.Code.SetPlaceHolder(i18n.T("deposits.take.code.placeholder"))
	case stCode, stFreezing:
		v.Prompt.SetText(i18n.T("deposits.take.prompt.code", "Amount", v.takeIn.Amount.Display(), "Guest", guestLine(v.takeIn.Guest)))
		v.Code.SetPlaceHolder(i18n.T("deposits.take.code.placeholder"))
	case stTaken:
		v.Prompt.SetText("")
		v.Code.SetPlaceHolder(i18n.T("deposits.take.code.next"))
	}
}

// guestLine names the guest: room and name, as far as known.
func guestLine(g app.Guest) string {
	switch {
	case g.Room != "" && g.Name != "":
		return i18n.T("deposits.guest.room_name", "Room", g.Room, "Name", g.Name)
	case g.Room != "":
		return i18n.T("deposits.guest.room", "Room", g.Room)
	}
	return g.Name
}

// stateName names where a freeze that did not take the money ended.
func stateName(s payment.IntentState) string {
	switch s {
	case payment.IntentReversed:
		return i18n.T("deposits.take.state.reversed")
	case payment.IntentClosed:
		return i18n.T("deposits.take.state.closed")
	case payment.IntentFailed:
		return i18n.T("deposits.take.state.failed")
	}
	return string(s)
}
