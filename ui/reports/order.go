package reports

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/report"
	"cashier/ui/async"
	"cashier/ui/i18n"
	shiftui "cashier/ui/shift"
	"cashier/ui/today"
)

const dateTime = "2006-01-02 15:04:05"

// OrderView is one order of the details in full: its lines, totals,
// tenders with their transaction numbers and refunds, with a reprint of
// its receipt.
type OrderView struct {
	t             *DetailsTab
	Title         *widget.Label
	Lines         *fyne.Container // the detail, a label a line
	Back, Reprint *widget.Button
	// Row is the order as the list showed it; Shown as read, with its
	// refunds.
	Row     report.Detail
	Shown   app.Order
	Refunds []today.Refund
	open    bool
	busy    bool // a reprint is on its way
	gen     int
	scroll  *container.Scroll
	content fyne.CanvasObject
}

func newOrderView(t *DetailsTab) *OrderView {
	o := &OrderView{t: t}
	o.Title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	o.Lines = container.NewVBox()
	o.scroll = container.NewVScroll(o.Lines)
	o.Back = widget.NewButtonWithIcon(i18n.T("reports.back"), theme.NavigateBackIcon(), o.close)
	o.Reprint = widget.NewButtonWithIcon(i18n.T("reports.reprint"), theme.DocumentPrintIcon(), o.reprint)
	o.Reprint.Importance = widget.HighImportance
	o.Reprint.Disable()
	top := container.NewBorder(nil, nil, nil, container.NewHBox(o.Back, o.Reprint), o.Title)
	o.content = container.NewBorder(container.NewVBox(top, widget.NewSeparator()), nil, nil, nil, o.scroll)
	return o
}

// show reads the order and its refunds, and shows them.
func (o *OrderView) show(row report.Detail) {
	v := o.t.v
	o.Row, o.Shown, o.Refunds, o.open = row, app.Order{}, nil, true
	o.gen++
	gen := o.gen
	o.Title.SetText(i18n.T("reports.order_title", "No", app.ShortNo(row.OrderNo), "State", i18n.M(row.State().Name())))
	o.Lines.RemoveAll()
	o.Lines.Add(widget.NewLabel(i18n.T("reports.loading")))
	o.updateButtons()
	d := v.deps
	var ord app.Order
	var refunds []today.Refund
	var err error
	async.Run(func() {
		ctx := context.Background()
		if ord, err = d.Reports.Order(ctx, d.Staff, row.OrderNo); err != nil {
			return
		}
		if d.Refunds != nil {
			refunds, err = d.Refunds.OrderRefunds(ctx, row.OrderNo)
		}
	}, func() {
		if gen != o.gen || !o.open {
			return
		}
		o.Lines.RemoveAll()
		if err != nil {
			o.add(i18n.T("reports.err.load", "Err", i18n.Err(err)))
			v.fail(err)
			return
		}
		o.Shown, o.Refunds = ord, refunds
		o.render()
		o.updateButtons()
	})
	if c := fyne.CurrentApp().Driver().CanvasForObject(v.body); c != nil {
		c.Focus(o.Back)
	}
}

// close goes back to the list.
func (o *OrderView) close() {
	if !o.open {
		return
	}
	o.open = false
	o.gen++
	o.t.back()
}

func (o *OrderView) add(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	o.Lines.Add(l)
	return l
}

func (o *OrderView) heading(text string) {
	o.Lines.Add(widget.NewSeparator())
	o.Lines.Add(widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
}

// render lays the order out, in the words of the Today screen.
func (o *OrderView) render() {
	ord, loc := o.Shown, o.t.v.zone()
	no := o.add(i18n.T("today.d.order_no", "No", ord.OrderNo))
	no.Selectable = true
	o.add(i18n.T("reports.order_kind", "Kind", i18n.M(report.KindName(ord.Kind))))
	o.add(i18n.T("today.d.created", "At", ord.CreatedAt.In(loc).Format(dateTime), "Staff", o.Row.StaffName))
	if !ord.PaidAt.IsZero() {
		o.add(i18n.T("today.d.paid_at", "At", ord.PaidAt.In(loc).Format(dateTime)))
	}
	if !ord.Guest.Empty() {
		o.add(i18n.T("reports.order_guest", "Room", ord.Guest.Room, "Name", ord.Guest.Name, "Phone", app.MaskPhone(ord.Guest.Phone)))
	}

	o.heading(i18n.T("today.d.lines"))
	if len(ord.Lines) == 0 {
		o.add(i18n.T("today.d.amount_only", "Amount", shiftui.Yuan(ord.Total)))
	}
	for _, l := range ord.Lines {
		o.add(i18n.T("today.d.line", "Name", l.Name, "Qty", l.Qty, "Price", shiftui.Yuan(l.UnitPrice), "Amount", shiftui.Yuan(l.Amount)))
		if l.Discount != 0 {
			o.add(i18n.T("today.d.line_discount", "Discount", shiftui.Yuan(l.Discount)))
		}
	}

	o.heading(i18n.T("today.d.totals"))
	o.add(i18n.T("today.d.total", "Amount", shiftui.Yuan(ord.Total)))
	if ord.Discount != 0 {
		o.add(i18n.T("today.d.discount", "Amount", shiftui.Yuan(ord.Discount)))
	}
	o.add(i18n.T("today.d.payable", "Amount", shiftui.Yuan(ord.Payable)))
	o.add(i18n.T("today.d.paid", "Amount", shiftui.Yuan(ord.Paid)))
	if ord.Refunded != 0 {
		o.add(i18n.T("today.d.refunded", "Amount", shiftui.Yuan(ord.Refunded)))
	}
	if ord.Note != "" {
		o.add(i18n.T("today.d.note", "Note", ord.Note))
	}

	o.heading(i18n.T("today.d.tenders"))
	if len(ord.Tenders) == 0 {
		o.add(i18n.T("today.d.none"))
	}
	for _, tn := range ord.Tenders {
		o.add(i18n.T("today.d.tender", "Method", tenderName(tn), "Amount", shiftui.Yuan(tn.Amount), "State", tenderState(tn.State)))
		switch {
		case tn.Kind == app.TenderCash && tn.CashReceived > tn.Amount:
			o.add(i18n.T("today.d.cash", "Received", shiftui.Yuan(tn.CashReceived), "Change", shiftui.Yuan(tn.Change())))
		case tn.TransactionID != "":
			o.add(i18n.T("today.d.txn", "ID", tn.TransactionID)).Selectable = true
		}
		if tn.OutTradeNo != "" {
			o.add(i18n.T("today.d.out_trade_no", "No", tn.OutTradeNo)).Selectable = true
		}
	}

	if len(o.Refunds) > 0 || ord.Refunded != 0 {
		o.heading(i18n.T("today.d.refunds"))
	}
	for _, r := range o.Refunds {
		o.add(i18n.T("today.d.refund", "Amount", shiftui.Yuan(r.Amount), "State", refundState(r.State), "At", r.At.In(loc).Format(dateTime)))
		o.add(i18n.T("today.d.refund_no", "No", r.No)).Selectable = true
		if r.Reason != "" {
			o.add(i18n.T("today.d.refund_reason", "Reason", r.Reason))
		}
	}
	o.scroll.ScrollToTop()
}

// reprintable: the order has a receipt (it was paid).
func (o *OrderView) reprintable() bool {
	switch o.Row.Status {
	case app.OrderPaid, app.OrderPartRefunded, app.OrderRefunded:
		return true
	}
	return false
}

func (o *OrderView) updateButtons() {
	if o.t.v.deps.Reprint != nil && !o.busy && o.open && o.reprintable() {
		o.Reprint.Enable()
	} else {
		o.Reprint.Disable()
	}
}

// reprint prints the order's receipt again (marked and audited by the
// checkout).
func (o *OrderView) reprint() {
	v := o.t.v
	rp := v.deps.Reprint
	if rp == nil || o.busy || !o.open {
		return
	}
	if !o.reprintable() {
		v.say(i18n.T("reports.not_paid"))
		return
	}
	no, staff := o.Row.OrderNo, v.deps.Staff
	o.busy = true
	o.updateButtons()
	v.say(i18n.T("reports.printing"))
	var err error
	async.Run(func() { err = rp(context.Background(), no, staff) }, func() {
		o.busy = false
		o.updateButtons()
		if err != nil {
			v.say(i18n.T("reports.err.reprint", "Err", i18n.Err(err)))
			return
		}
		v.say(i18n.T("reports.reprinted", "No", app.ShortNo(no)))
	})
}

// tenderName names how a tender paid.
func tenderName(t app.Tender) string {
	switch t.Kind {
	case app.TenderCash:
		return i18n.T("method.cash")
	case app.TenderMember:
		return i18n.M(app.WalletName(app.WalletMember))
	}
	return i18n.M(app.WalletName(t.Wallet))
}

func tenderState(s app.TenderState) string {
	switch s {
	case app.TenderPaid:
		return i18n.T("today.tender.paid")
	case app.TenderPending:
		return i18n.T("today.tender.pending")
	case app.TenderFailed:
		return i18n.T("today.tender.failed")
	case app.TenderReturned:
		return i18n.T("today.tender.returned")
	}
	return string(s)
}

func refundState(s today.RefundState) string {
	switch s {
	case today.RefundDone:
		return i18n.T("today.refund.done")
	case today.RefundPending:
		return i18n.T("today.refund.pending")
	case today.RefundFailed:
		return i18n.T("today.refund.failed")
	case today.RefundManual:
		return i18n.T("today.refund.manual")
	}
	return string(s)
}
