// Package summary is the transaction summary engine (business-rules
// section 4): the same figures for any time range, store, staff member,
// shift or business day, in total and per payment method. Shift reports,
// the counter's status bar and the reports reuse it.
//
// The figures come from the takings journal: one row for every settled
// money movement (a tender paid, a refund done, cash handed back, an
// order's discount, a deposit frozen, consumed or released), written in the
// same transaction that settles the movement and never changed after. The
// journal is the one source, so every view of the same rows agrees.
package summary

import (
	"context"
	"time"

	"cashier/app"
)

// Method is a payment method as the summary groups it.
type Method string

const (
	MethodWeChat   Method = "wechat"
	MethodAlipay   Method = "alipay"
	MethodUnionPay Method = "unionpay" // UnionPay / 云闪付
	MethodMember   Method = "member"   // the store's member card
	MethodCash     Method = "cash"
)

// Methods lists the methods in the order reports show them.
var Methods = []Method{MethodWeChat, MethodAlipay, MethodUnionPay, MethodMember, MethodCash}

// MethodOf names a tender's method.
func MethodOf(kind app.TenderKind, w app.Wallet) Method {
	switch kind {
	case app.TenderCash:
		return MethodCash
	case app.TenderMember:
		return MethodMember
	}
	switch w {
	case app.WalletAlipay:
		return MethodAlipay
	case app.WalletUnionPay:
		return MethodUnionPay
	case app.WalletMember:
		return MethodMember
	}
	return MethodWeChat
}

// Name names the method for people: the wallet's name, or cash.
func (m Method) Name() app.Message {
	switch m {
	case MethodCash:
		return app.Msg("method.cash")
	case MethodAlipay:
		return app.WalletName(app.WalletAlipay)
	case MethodUnionPay:
		return app.WalletName(app.WalletUnionPay)
	case MethodMember:
		return app.WalletName(app.WalletMember)
	}
	return app.WalletName(app.WalletWeChat)
}

// Kind is what a journal row records.
type Kind string

const (
	KindSale           Kind = "sale"            // a sale tender paid: Amount is what it took
	KindDiscount       Kind = "discount"        // an order's discount, its share for one method, when the order is paid (a sale committed at once carries it on its sale row instead)
	KindRefund         Kind = "refund"          // money given back: a refund done or cash handed back; Discount is the discount share it carries back
	KindDepositHold    Kind = "deposit_hold"    // a deposit frozen (a liability, not takings)
	KindDepositConsume Kind = "deposit_consume" // part of a deposit charged: takings
	KindDepositRelease Kind = "deposit_release" // the rest of a deposit given back to the customer
)

// Row is the journal summed for one kind and method.
type Row struct {
	Kind     Kind
	Method   Method
	Count    int64
	Amount   app.Money
	Discount app.Money
}

// Filter selects journal rows. StoreID is required. Either a time range
// [From, To) on when the money moved, or a business Day (the store's
// local date; a shift that crosses midnight belongs to the day it
// started), or a Shift alone.
type Filter struct {
	StoreID int64
	StaffID int64 // 0: everyone
	ShiftID int64 // 0: any shift
	From    time.Time
	To      time.Time
	Day     Day // zero: not by day
}

// Day is a business day, the store's local calendar date.
type Day struct {
	Year  int
	Month time.Month
	D     int
}

// IsZero reports whether no day is set.
func (d Day) IsZero() bool { return d.Year == 0 }

// Int is the day as yyyymmdd, how the journal stores it.
func (d Day) Int() int { return d.Year*10000 + int(d.Month)*100 + d.D }

// String is the day as 2006-01-02.
func (d Day) String() string {
	return time.Date(d.Year, d.Month, d.D, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// DayOf is the business day of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day{y, m, d}
}

// ParseDay reads 2006-01-02.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Day{}, ErrBadDay.With("Value", s)
	}
	return DayOf(t, time.UTC), nil
}

// Figures are the section-4 metrics for one method or in total.
type Figures struct {
	TxAmount         app.Money // 交易金额: settlement plus discount
	Settlement       app.Money // 结算金额: what the sales took
	Received         app.Money // 实收金额: settlement − refund settlement
	Discount         app.Money // 优惠金额
	Refund           app.Money // 退款金额: refunds at transaction value (with the discount share they carry back)
	RefundSettlement app.Money // 退款结算金额: the money given back
	TxCount          int64     // 交易量: paid sale tenders and deposit consumptions
	RefundCount      int64     // 退款量
}

// Deposits are held money, apart from takings.
type Deposits struct {
	TakenCount int64
	Taken      app.Money // frozen in the range
	Consumed   app.Money // charged from deposits in the range (also in takings)
	Released   app.Money // given back in the range
	// Held is the liability at the end of the range: every deposit frozen
	// before it and not yet consumed or released. Store-wide: set only for
	// a summary of the whole store.
	Held      app.Money
	HeldCount int64
}

// Summary is the answer for one filter.
type Summary struct {
	Filter   Filter
	Total    Figures
	ByMethod map[Method]Figures
	Deposits Deposits
}

// Method returns the figures for m (zero when it took nothing).
func (s Summary) Method(m Method) Figures { return s.ByMethod[m] }

// Store reads the journal.
type Store interface {
	// SumTakings sums the journal rows the filter selects, grouped by kind
	// and method.
	SumTakings(ctx context.Context, f Filter) ([]Row, error)
	// DepositsHeld is the store's deposit liability at t: the amount and
	// count of deposits frozen before t and not settled before t.
	DepositsHeld(ctx context.Context, storeID int64, at time.Time) (app.Money, int64, error)
}

// Errors.
var (
	ErrBadDay    = app.NewError("summary.bad_day")
	ErrBadRange  = app.NewError("summary.bad_range")
	ErrNoStore   = app.NewError("summary.no_store")
	ErrTooManyBy = app.NewError("summary.filter_conflict")
)

// Engine computes summaries.
type Engine struct{ Store Store }

// Summarize computes the figures for f.
func (e Engine) Summarize(ctx context.Context, f Filter) (Summary, error) {
	if f.StoreID == 0 {
		return Summary{}, ErrNoStore
	}
	ranged := !f.From.IsZero() || !f.To.IsZero()
	if ranged && !f.Day.IsZero() {
		return Summary{}, ErrTooManyBy
	}
	if ranged && (f.From.IsZero() || f.To.IsZero() || !f.From.Before(f.To)) {
		return Summary{}, ErrBadRange.With("From", f.From, "To", f.To)
	}
	if !ranged && f.Day.IsZero() && f.ShiftID == 0 {
		return Summary{}, ErrBadRange.With("From", f.From, "To", f.To)
	}
	rows, err := e.Store.SumTakings(ctx, f)
	if err != nil {
		return Summary{}, err
	}
	s := Compute(rows)
	s.Filter = f
	if ranged && f.StaffID == 0 && f.ShiftID == 0 {
		if s.Deposits.Held, s.Deposits.HeldCount, err = e.Store.DepositsHeld(ctx, f.StoreID, f.To); err != nil {
			return Summary{}, err
		}
	}
	return s, nil
}

// Compute turns summed journal rows into figures.
func Compute(rows []Row) Summary {
	s := Summary{ByMethod: map[Method]Figures{}}
	for _, r := range rows {
		f := s.ByMethod[r.Method]
		switch r.Kind {
		case KindSale, KindDepositConsume:
			f.TxCount += r.Count
			f.Settlement += r.Amount
			// A sale committed at once carries its discount share on its
			// own row (localdb.CommitPaidSale); one paid step by step has a
			// discount row of its own. Either way it is counted once.
			f.Discount += r.Discount
		case KindDiscount:
			f.Discount += r.Discount
		case KindRefund:
			f.RefundCount += r.Count
			f.RefundSettlement += r.Amount
			f.Refund += r.Amount + r.Discount
		}
		switch r.Kind {
		case KindDepositHold:
			s.Deposits.TakenCount += r.Count
			s.Deposits.Taken += r.Amount
		case KindDepositConsume:
			s.Deposits.Consumed += r.Amount
		case KindDepositRelease:
			s.Deposits.Released += r.Amount
		}
		s.ByMethod[r.Method] = f
	}
	for m, f := range s.ByMethod {
		f.TxAmount = f.Settlement + f.Discount
		f.Received = f.Settlement - f.RefundSettlement
		s.ByMethod[m] = f
		t := &s.Total
		t.TxAmount += f.TxAmount
		t.Settlement += f.Settlement
		t.Received += f.Received
		t.Discount += f.Discount
		t.Refund += f.Refund
		t.RefundSettlement += f.RefundSettlement
		t.TxCount += f.TxCount
		t.RefundCount += f.RefundCount
	}
	return s
}
