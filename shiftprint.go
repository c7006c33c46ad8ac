package main

import (
	"context"
	"strconv"
	"time"

	"cashier/app"
	"cashier/app/shift"
	"cashier/app/summary"
	"cashier/hardware/printq"
	"cashier/hardware/receipt"
	"cashier/ui/i18n"
)

var _ shift.Printer = (*Devices)(nil)

// PrintShiftReport implements shift.Printer: the report laid out from the
// kept handover and queued durably on the receipt printer. Printed in
// Chinese whatever the screen's language, like every receipt.
func (d *Devices) PrintShiftReport(ctx context.Context, r shift.Report) error {
	if d.queue == nil {
		return shift.ErrNoPrinter
	}
	job, err := receipt.ShiftReportJob(receipt.HeaderFromStore(r.Store), shiftReport(r), receipt.Options{Paper: d.paper})
	if err != nil {
		return err
	}
	kind := printq.KindShift
	if r.Reprint {
		kind = printq.KindReprint
	}
	_, err = d.queue.Enqueue(ctx, "receipt", kind, shiftRef(r.Shift.ID), job)
	return err
}

// shiftRef is the print job's reference of a shift's report.
func shiftRef(id int64) string { return "shift:" + strconv.FormatInt(id, 10) }

// shiftReport turns a kept shift into the printed report's fields, its
// times in the store's time zone.
func shiftReport(r shift.Report) receipt.ShiftReport {
	sh := r.Shift
	loc := r.Store.Location()
	out := receipt.ShiftReport{Staff: sh.StaffName, StaffCode: sh.StaffCode, Terminal: sh.TerminalName,
		Start: sh.StartedAt.In(loc), End: sh.EndedAt.In(loc), BusinessDay: sh.Day.String(), OpeningFloat: sh.OpeningFloat,
		Reprint: r.Reprint, PrintedAt: r.PrintedAt.In(loc)}
	if sh.Day.IsZero() {
		out.BusinessDay = summary.DayOf(sh.StartedAt, loc).String()
	}
	h := sh.Handover
	if h == nil {
		return out
	}
	out.CountTerminal = h.CountTerminal
	out.Total = shiftFigures(h.Summary.Total)
	for _, m := range summary.Methods {
		if f, ok := h.Summary.ByMethod[m]; ok && f != (summary.Figures{}) {
			out.Methods = append(out.Methods, receipt.MethodFigures{Method: i18n.In(i18n.Chinese, m.Name()), Figures: shiftFigures(f)})
		}
	}
	dep := h.Summary.Deposits
	out.Deposits.TakenCount, out.Deposits.Taken, out.Deposits.Consumed, out.Deposits.Released = dep.TakenCount, dep.Taken, dep.Consumed, dep.Released
	for _, dn := range shift.Denominations {
		n := h.Count.Notes[dn.Code]
		out.Count = append(out.Count, receipt.CountLine{Name: i18n.In(i18n.Chinese, dn.Name()), Pieces: n, Amount: dn.Value * app.Money(n)})
	}
	out.Count = append(out.Count, receipt.CountLine{Name: i18n.In(i18n.Chinese, shift.CoinsName()), Amount: h.Count.Coins})
	out.Counted, out.Expected, out.Variance, out.Threshold, out.FloatLeft = h.Counted, h.Expected, h.Variance, h.Threshold, h.FloatLeft
	out.Countersign = h.CountersignName
	out.HeldOrders = shiftHanded(h.HeldOrders, loc)
	out.OpenDeposits = shiftHanded(h.OpenDeposits, loc)
	out.HeldCarts = receipt.HeldCarts{Count: h.HeldCarts.Count, Total: h.HeldCarts.Total}
	if !h.HeldCarts.Oldest.IsZero() {
		out.HeldCarts.Oldest = h.HeldCarts.Oldest.In(loc)
	}
	return out
}

func shiftFigures(f summary.Figures) receipt.Figures {
	return receipt.Figures{TxAmount: f.TxAmount, Settlement: f.Settlement, Received: f.Received, Discount: f.Discount,
		Refund: f.Refund, RefundSettlement: f.RefundSettlement, TxCount: f.TxCount, RefundCount: f.RefundCount}
}

func shiftHanded(in []shift.ItemRef, loc *time.Location) []receipt.HandedItem {
	var out []receipt.HandedItem
	for _, it := range in {
		out = append(out, receipt.HandedItem{No: it.No, Amount: it.Amount, Note: it.Note, Since: it.Since.In(loc)})
	}
	return out
}
