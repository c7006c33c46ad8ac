package deposits

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// detail is one deposit, its operations and its check-out.
type detail struct {
	Title    *widget.Label
	Info     *fyne.Container // the deposit's facts, label beside value
	HeldText *canvas.Text    // what is still held, large
	Amounts  *widget.Label
	Ops      *widget.List
	OpsEmpty *widget.Label
	Charge   *scaninput.Entry // the amount a consume charges
	Preview  *widget.Label    // what a consume charges and returns, or what a release returns
	OpBanner *Banner

	chargeRow *fyne.Container
	dep       payment.Deposit
	ops       []payment.DepositOp
	opCancel  context.CancelFunc // stops waiting for the channel
	result    deposit.Settlement
}

const dateTime = "2006-01-02 15:04"

func (v *View) buildDetail() fyne.CanvasObject {
	d := &v.detail
	d.Title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.Info = container.New(layout.NewFormLayout())
	d.HeldText = canvas.NewText("", theme.Color(theme.ColorNamePrimary))
	d.HeldText.TextSize = 30
	d.HeldText.TextStyle = fyne.TextStyle{Bold: true}
	d.Amounts = widget.NewLabel("")
	d.Amounts.Wrapping = fyne.TextWrapWord
	d.Charge = v.newEntry(v.enter)
	d.Charge.SetPlaceHolder(i18n.T("deposits.consume.placeholder"))
	d.Charge.OnChanged = func(string) { v.preview() }
	d.Preview = widget.NewLabel("")
	d.Preview.Wrapping = fyne.TextWrapWord
	d.Preview.TextStyle = fyne.TextStyle{Bold: true}
	d.OpBanner = newBanner()
	d.chargeRow = container.NewBorder(nil, nil, widget.NewLabel(i18n.T("deposits.consume.amount")), nil, d.Charge)
	d.Ops = widget.NewList(func() int { return len(v.ops) },
		func() fyne.CanvasObject {
			cells := make([]fyne.CanvasObject, len(opWidths))
			for i := range cells {
				l := widget.NewLabel("")
				l.Truncation = fyne.TextTruncateEllipsis
				cells[i] = l
			}
			return container.New(cols(opWidths), cells...)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(v.ops) {
				return
			}
			for c, text := range v.opCells(v.ops[i]) {
				o.(*fyne.Container).Objects[c].(*widget.Label).SetText(text)
			}
		})
	d.OpsEmpty = widget.NewLabel(i18n.T("deposits.ops.none"))
	d.OpsEmpty.Importance = widget.LowImportance

	left := container.NewVBox(d.Title, d.Info)
	right := container.NewVBox(d.HeldText, d.Amounts, d.OpBanner.box, d.chargeRow, d.Preview)
	opsHead := container.NewVBox(widget.NewSeparator(),
		widget.NewLabelWithStyle(i18n.T("deposits.ops.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		opHeader(), d.OpsEmpty)
	// Both halves scroll and the operations sit below a divider: on a
	// 1024×768 till the deposit, its check-out and its operations share
	// the height the title and status bars leave, none pushing the window
	// taller than the screen.
	split := container.NewHSplit(container.NewVScroll(left), container.NewVScroll(container.NewPadded(right)))
	split.Offset = 0.55
	all := container.NewVSplit(split, container.NewBorder(opsHead, nil, nil, nil, d.Ops))
	all.Offset = 0.75
	return all
}

// Operation columns: time, kind, amount, state.
var opWidths = []float32{140, 100, 100, 160}

func opHeader() fyne.CanvasObject {
	keys := []string{i18n.Key("deposits.ops.col.time"), i18n.Key("deposits.ops.col.kind"),
		i18n.Key("deposits.ops.col.amount"), i18n.Key("deposits.ops.col.state")}
	cells := make([]fyne.CanvasObject, len(keys))
	for i, k := range keys {
		cells[i] = widget.NewLabelWithStyle(i18n.T(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	return container.New(cols(opWidths), cells...)
}

func (v *View) opCells(op payment.DepositOp) []string {
	kind := i18n.T("deposits.op.consume")
	if op.Kind == app.DepositOpRelease {
		kind = i18n.T("deposits.op.release")
	}
	return []string{op.CreatedAt.In(v.deps.Location).Format(dateTime), kind, op.Amount.Display(), opStateWords(op.State)}
}

// opStateWords names where an operation stands, truthfully: one the
// channel has not answered is 结果未确认, never done.
func opStateWords(s payment.DepositOpState) string {
	switch s {
	case payment.DepositOpDone:
		return i18n.T("deposits.opstate.done")
	case payment.DepositOpFailed:
		return i18n.T("deposits.opstate.failed")
	case payment.DepositOpManual:
		return i18n.T("deposits.opstate.manual")
	case payment.DepositOpUnknown, payment.DepositOpRefused:
		return i18n.T("deposits.opstate.unknown")
	}
	return i18n.T("deposits.opstate.running")
}

// openDetail reads one deposit with its operations and shows it.
func (v *View) openDetail(no string) {
	var dep payment.Deposit
	var ops []payment.DepositOp
	var err error
	desk := v.deps.Desk
	async.Run(func() { dep, ops, err = desk.Get(context.Background(), no) }, func() {
		if err != nil {
			v.say(i18n.Err(err))
			return
		}
		v.dep, v.ops = dep, ops
		v.OpBanner.clear()
		v.Charge.SetText("")
		v.Query.SetText("")
		v.show(stDetail)
		v.say(i18n.T("deposits.detail.hint"))
	})
}

// reloadDetail reads the deposit shown again (after an operation, or a
// change elsewhere); what is on screen stays until it is read.
func (v *View) reloadDetail() {
	no := v.dep.DepositNo
	if no == "" {
		return
	}
	var dep payment.Deposit
	var ops []payment.DepositOp
	var err error
	desk := v.deps.Desk
	async.Run(func() { dep, ops, err = desk.Get(context.Background(), no) }, func() {
		if err != nil || v.dep.DepositNo != no || !v.st.detail() || v.st.running() {
			return
		}
		v.dep, v.ops = dep, ops
		v.show(v.st)
	})
}

// showDetail fills the detail page for the deposit and the state.
func (v *View) showDetail() {
	d := v.dep
	now := v.now()
	v.Title.SetText(i18n.T("deposits.detail.title", "Short", app.ShortNo(d.DepositNo), "State", stateWords(d)))
	v.Info.RemoveAll()
	row := func(key, value string, imp widget.Importance) *widget.Label {
		val := widget.NewLabel(value)
		val.Truncation = fyne.TextTruncateEllipsis
		val.Importance = imp
		v.Info.Add(widget.NewLabel(i18n.T(key)))
		v.Info.Add(val)
		return val
	}
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	if d.DepositNo != "" {
		row(i18n.Key("deposits.d.no"), i18n.T("deposits.d.no_value", "No", d.DepositNo, "Short", app.ShortNo(d.DepositNo)),
			widget.MediumImportance).Selectable = true
		row(i18n.Key("deposits.d.txn"), dash(d.TransactionID), widget.MediumImportance).Selectable = true
		row(i18n.Key("deposits.d.method"), i18n.M(app.WalletName(d.Wallet)), widget.MediumImportance)
		row(i18n.Key("deposits.d.guest"), dash(guestFull(d)), widget.MediumImportance)
		row(i18n.Key("deposits.d.note"), dash(noteOf(d, v.notes)), widget.MediumImportance)
		row(i18n.Key("deposits.d.taken"), i18n.T("deposits.d.taken_value", "At", d.CreatedAt.In(v.deps.Location).Format(dateTime),
			"Days", ageDays(d, now)), widget.MediumImportance)
		if limit, ok := payment.DepositLimit(d.Wallet); ok && d.State == payment.DepositFrozen {
			at := d.CreatedAt.Add(limit).In(v.deps.Location).Format(dateTime)
			switch {
			case payment.DepositPastLimit(d, now):
				row(i18n.Key("deposits.d.limit"), i18n.T("deposits.d.limit_past", "At", at), widget.DangerImportance)
			case payment.DepositNearLimit(d, now):
				row(i18n.Key("deposits.d.limit"), i18n.T("deposits.d.limit_near", "At", at, "Days", daysLeft(d, now)), widget.WarningImportance)
			default:
				row(i18n.Key("deposits.d.limit"), at, widget.MediumImportance)
			}
		}
		state := stateWords(d)
		if !d.SettledAt.IsZero() {
			state = i18n.T("deposits.d.settled", "State", state, "At", d.SettledAt.In(v.deps.Location).Format(dateTime))
		}
		row(i18n.Key("deposits.d.state"), state, widget.MediumImportance)
	}
	left := d.Amount - d.Consumed - d.Released
	v.HeldText.Text = i18n.T("deposits.d.held", "Amount", left.Display())
	v.HeldText.Color = theme.Color(theme.ColorNamePrimary)
	if d.State != payment.DepositFrozen {
		// Settled: where it ended, not "冻结中 ￥0.00".
		v.HeldText.Text = stateWords(d)
		v.HeldText.Color = theme.Color(theme.ColorNameDisabled)
	}
	v.HeldText.Refresh()
	v.Amounts.SetText(i18n.T("deposits.d.amounts", "Amount", d.Amount.Display(), "Consumed", d.Consumed.Display(),
		"Released", d.Released.Display()))
	v.Ops.Refresh()
	v.OpsEmpty.Hidden = len(v.ops) > 0
	v.OpsEmpty.Refresh()
	v.chargeRow.Hidden = v.st != stConsume
	v.chargeRow.Refresh()
	switch v.st {
	case stConsume:
		v.preview()
	case stRelease:
		v.Preview.Importance = widget.WarningImportance
		v.Preview.SetText(i18n.T("deposits.release.confirm", "Amount", left.Display()))
	default:
		v.Preview.SetText("")
	}
	v.Preview.Hidden = v.Preview.Text == ""
	v.Preview.Refresh()
	if v.st == stDetail || v.st == stConsume || v.st == stRelease {
		v.OpBanner.clear()
	}
}

// guestFull is the guest as the detail shows them: room, name and the
// phone masked.
func guestFull(d payment.Deposit) string {
	s := guestLine(app.Guest{Room: d.Room, Name: d.GuestName})
	if p := app.MaskPhone(d.GuestPhone); p != "" {
		if s != "" {
			s += " · "
		}
		s += p
	}
	return s
}

// stateRefusal is why nothing can be sent for the deposit now (settled,
// past its wallet's limit), nil when it can.
func (v *View) stateRefusal() error {
	return deposit.Check(v.dep, app.DepositOpRelease, 0, v.now())
}

// askConsume is F6: the amount to charge.
func (v *View) askConsume() {
	if !v.st.detail() || v.st.running() {
		return
	}
	if err := v.stateRefusal(); err != nil {
		v.say(i18n.Err(err)) // the result or the deposit stays on screen
		return
	}
	v.Charge.SetText("")
	v.show(stConsume)
	left := v.dep.Amount - v.dep.Consumed - v.dep.Released
	v.say(i18n.T("deposits.consume.hint", "Left", left.Display()))
}

// chargeAmount reads the amount typed and checks it against what is held.
func (v *View) chargeAmount() (app.Money, error) {
	s := trim(v.Charge.Text)
	if s == "" {
		return 0, deposit.ErrNoAmount
	}
	m, err := app.ParsePositiveMoney(s)
	if err != nil {
		return 0, badAmount{err}
	}
	return m, deposit.Check(v.dep, app.DepositOpConsume, m, v.now())
}

// preview says what the consume typed would charge and give back, or
// why it cannot be sent.
func (v *View) preview() {
	if v.st != stConsume {
		return
	}
	left := v.dep.Amount - v.dep.Consumed - v.dep.Released
	m, err := v.chargeAmount()
	switch {
	case trim(v.Charge.Text) == "":
		v.Preview.Importance = widget.MediumImportance
		v.Preview.SetText(i18n.T("deposits.consume.ask", "Left", left.Display()))
	case err != nil:
		v.Preview.Importance = widget.DangerImportance
		v.Preview.SetText(formError(err))
	default:
		v.Preview.Importance = widget.SuccessImportance
		v.Preview.SetText(i18n.T("deposits.consume.preview", "Charge", m.Display(), "Return", (left - m).Display()))
	}
	v.Preview.Hidden = false
	v.Preview.Refresh()
}

// runConsume is Enter on the amount: refused here (nothing sent) when
// the amount is 0, not an amount, or more than is held.
func (v *View) runConsume() {
	m, err := v.chargeAmount()
	if err != nil {
		v.preview()
		v.say(formError(err))
		return
	}
	v.runOp(app.DepositOpConsume, m)
}

// askRelease is F7: all that is held back to the guest, once Enter says
// so.
func (v *View) askRelease() {
	if !v.st.detail() || v.st.running() {
		return
	}
	if err := v.stateRefusal(); err != nil {
		v.say(i18n.Err(err)) // the result or the deposit stays on screen
		return
	}
	v.Query.SetText("")
	v.show(stRelease)
	v.say(i18n.T("deposits.release.hint"))
}

func (v *View) runRelease() { v.runOp(app.DepositOpRelease, 0) }

// runOp sends a consume or a release and follows it to its end. A
// refusal for want of the deposit permission offers a manager's
// override, then tries again.
func (v *View) runOp(kind app.DepositOpKind, amount app.Money) {
	if v.st.running() || v.dep.DepositNo == "" {
		return
	}
	in := deposit.OpInput{DepositNo: v.dep.DepositNo, Amount: amount, Staff: v.deps.Staff, OnEvent: v.opEvent}
	desk := v.deps.Desk
	ctx, cancel := context.WithCancel(context.Background())
	v.opCancel = cancel
	v.OpBanner.clear()
	v.show(stOpRunning)
	if kind == app.DepositOpConsume {
		v.say(i18n.T("deposits.consume.running", "Amount", amount.Display()))
	} else {
		v.say(i18n.T("deposits.release.running"))
	}
	var res deposit.Settlement
	var err error
	async.Run(func() {
		if kind == app.DepositOpConsume {
			res, err = desk.Consume(ctx, in)
		} else {
			res, err = desk.Release(ctx, in)
		}
	}, func() {
		cancel()
		v.opCancel = nil
		v.opDone(kind, amount, res, err)
	})
}

// opEvent shows the channel's progress with its seconds (a release waits
// out the 15-second rule first).
func (v *View) opEvent(e payment.Event) {
	async.Do(func() {
		if v.st != stOpRunning {
			return
		}
		v.say(i18n.T("deposits.op.progress", "Msg", i18n.M(e.Msg), "S", e.Seconds))
	})
}

// stopWaiting is Esc while an operation runs: the screen stops waiting;
// what was sent goes on, and recovery settles it.
func (v *View) stopWaiting() {
	if v.opCancel != nil {
		v.opCancel()
		v.say(i18n.T("deposits.op.stopped_waiting"))
	}
}

// opDone shows how the operation ended.
func (v *View) opDone(kind app.DepositOpKind, amount app.Money, res deposit.Settlement, err error) {
	if res.Deposit.DepositNo == v.dep.DepositNo {
		v.dep = res.Deposit
	}
	if err != nil && res.Op.OutRequestNo == "" {
		// Refused before anything was written or sent.
		back := stDetail
		if kind == app.DepositOpConsume && v.dep.State == payment.DepositFrozen {
			back = stConsume
		}
		v.show(back)
		v.say(i18n.Err(err))
		if back == stConsume {
			v.Preview.Importance = widget.DangerImportance
			v.Preview.SetText(i18n.Err(err))
		}
		if v.deps.Override != nil && errors.Is(err, app.ErrNoPermission) && !errors.Is(err, app.ErrStaffDisabled) {
			v.deps.Override(app.PermDeposit, func() { v.runOp(kind, amount) })
			return
		}
		v.reloadDetail()
		return
	}
	v.result = res
	v.show(stOpResult)
	op := res.Op
	why := i18n.M(op.Msg)
	if err != nil {
		if why != "" {
			why += "\n"
		}
		why += i18n.Err(err)
	}
	switch {
	case op.Done() && kind == app.DepositOpConsume:
		v.OpBanner.set(i18n.T("deposits.banner.consumed", "Amount", res.Charged.Display()),
			i18n.T("deposits.settled_amounts", "Charged", res.Charged.Display(), "Returned", res.Returned.Display()), colorDone)
	case op.Done():
		v.OpBanner.set(i18n.T("deposits.banner.released", "Amount", res.Returned.Display()),
			i18n.T("deposits.settled_amounts", "Charged", res.Charged.Display(), "Returned", res.Returned.Display()), colorDone)
	case op.State == payment.DepositOpFailed:
		v.OpBanner.set(i18n.T("deposits.banner.op_failed"), why, colorFail)
	case op.State == payment.DepositOpManual:
		v.OpBanner.set(i18n.T("deposits.banner.op_manual"), why, colorOpen)
	default:
		v.OpBanner.set(i18n.T("deposits.banner.op_unsettled"), i18n.T("deposits.op.unsettled", "Msg", why), colorOpen)
	}
	v.say(i18n.T("deposits.op.next"))
	v.reloadDetail()
}

// noteOf is the deposit's note as read with it, else as its list row had
// it.
func noteOf(d payment.Deposit, notes map[string]string) string {
	if d.Note != "" {
		return d.Note
	}
	return notes[d.DepositNo]
}
