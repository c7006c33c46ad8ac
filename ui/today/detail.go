package today

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/i18n"
	shiftui "cashier/ui/shift"
)

const dateTime = "2006-01-02 15:04:05"

// showDetail puts an order's details on the right, or the hint to choose
// one when there is none (present false).
func (v *View) showDetail(d Detail, present bool) {
	v.shown = d
	v.Detail.RemoveAll()
	if !present {
		hint := widget.NewLabel(i18n.T("today.hint"))
		hint.Wrapping = fyne.TextWrapWord
		v.Detail.Add(hint)
		return
	}
	o := d.Order
	add := func(text string) *widget.Label {
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		v.Detail.Add(l)
		return l
	}
	heading := func(text string) {
		v.Detail.Add(widget.NewSeparator())
		v.Detail.Add(widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	status := StatusName(o.Status)
	if o.Kind == app.OrderDeposit {
		status = i18n.T("today.deposit", "Status", status)
	}
	v.Detail.Add(widget.NewLabelWithStyle(i18n.T("today.d.short_no", "No", o.ShortNo(), "Status", status),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	no := add(i18n.T("today.d.order_no", "No", o.OrderNo))
	no.Selectable = true // read out or copied for the customer's call
	add(i18n.T("today.d.created", "At", o.CreatedAt.In(v.zone()).Format(dateTime), "Staff", d.Staff))
	if !o.PaidAt.IsZero() {
		add(i18n.T("today.d.paid_at", "At", o.PaidAt.In(v.zone()).Format(dateTime)))
	}

	heading(i18n.T("today.d.lines"))
	if len(o.Lines) == 0 {
		add(i18n.T("today.d.amount_only", "Amount", shiftui.Yuan(o.Total)))
	}
	for _, l := range o.Lines {
		add(i18n.T("today.d.line", "Name", l.Name, "Qty", l.Qty, "Price", shiftui.Yuan(l.UnitPrice), "Amount", shiftui.Yuan(l.Amount)))
		if l.Discount != 0 {
			add(i18n.T("today.d.line_discount", "Discount", shiftui.Yuan(l.Discount)))
		}
	}

	heading(i18n.T("today.d.totals"))
	add(i18n.T("today.d.total", "Amount", shiftui.Yuan(o.Total)))
	if o.Discount != 0 {
		add(i18n.T("today.d.discount", "Amount", shiftui.Yuan(o.Discount)))
	}
	add(i18n.T("today.d.payable", "Amount", shiftui.Yuan(o.Payable)))
	add(i18n.T("today.d.paid", "Amount", shiftui.Yuan(o.Paid)))
	if o.Refunded != 0 {
		add(i18n.T("today.d.refunded", "Amount", shiftui.Yuan(o.Refunded)))
	}
	if o.Note != "" {
		add(i18n.T("today.d.note", "Note", o.Note))
	}

	heading(i18n.T("today.d.tenders"))
	if len(o.Tenders) == 0 {
		add(i18n.T("today.d.none"))
	}
	for _, t := range o.Tenders {
		add(i18n.T("today.d.tender", "Method", tenderName(t), "Amount", shiftui.Yuan(t.Amount), "State", tenderState(t.State)))
		switch {
		case t.Kind == app.TenderCash && t.CashReceived > t.Amount:
			add(i18n.T("today.d.cash", "Received", shiftui.Yuan(t.CashReceived), "Change", shiftui.Yuan(t.Change())))
		case t.TransactionID != "":
			l := add(i18n.T("today.d.txn", "ID", t.TransactionID))
			l.Selectable = true
		}
		if t.OutTradeNo != "" {
			l := add(i18n.T("today.d.out_trade_no", "No", t.OutTradeNo))
			l.Selectable = true
		}
	}

	if len(d.Refunds) > 0 {
		heading(i18n.T("today.d.refunds"))
	}
	for _, r := range d.Refunds {
		add(i18n.T("today.d.refund", "Amount", shiftui.Yuan(r.Amount), "State", refundState(r.State),
			"At", r.At.In(v.zone()).Format(dateTime)))
		l := add(i18n.T("today.d.refund_no", "No", r.No))
		l.Selectable = true
		if r.Reason != "" {
			add(i18n.T("today.d.refund_reason", "Reason", r.Reason))
		}
	}
	v.detailBox.ScrollToTop()
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

var tenderStates = map[app.TenderState]string{
	app.TenderPaid:     i18n.Key("today.tender.paid"),
	app.TenderPending:  i18n.Key("today.tender.pending"),
	app.TenderFailed:   i18n.Key("today.tender.failed"),
	app.TenderReturned: i18n.Key("today.tender.returned"),
}

func tenderState(s app.TenderState) string {
	if k, ok := tenderStates[s]; ok {
		return i18n.T(k)
	}
	return string(s)
}

var refundStates = map[RefundState]string{
	RefundDone:    i18n.Key("today.refund.done"),
	RefundPending: i18n.Key("today.refund.pending"),
	RefundFailed:  i18n.Key("today.refund.failed"),
	RefundManual:  i18n.Key("today.refund.manual"),
}

func refundState(s RefundState) string {
	if k, ok := refundStates[s]; ok {
		return i18n.T(k)
	}
	return fmt.Sprint(s)
}
