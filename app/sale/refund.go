package sale

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"cashier/app"
	"cashier/app/payment"
)

// Refunds at the counter (退款单): a person finds a paid order by its
// receipt's barcode or its number, gives back chosen lines and quantities,
// an amount, or everything left, and each of the order's tenders pays its
// part back through its own channel — a wallet tender by a channel refund
// (payment.Payments.Refund, its own number, durable before it is sent),
// cash from the drawer.
//
// Which tender pays back what (the allocation): wallet tenders first, the
// last one paid first, cash last; each tender at most what it paid less
// what its earlier refunds took or still hold. Money taken through a
// channel goes back the way it came (原路退回) and shows in the customer's
// wallet as a refund of that payment; the drawer gives cash only for what
// the wallets cannot take back, so a refund never turns a wallet payment
// into cash and the drawer's count moves as little as it can. A refund of
// everything gives every tender back exactly what it paid.
//
// The refund is written first, with its lines and each tender's part, in
// one transaction that checks again what is left (so a line is never
// refunded twice and no tender gives back more than it took); its cash is
// handed back in that same transaction (the takings journal, the order's
// refunded amount) and the drawer opens. Each wallet part is then driven
// to the end. A channel that has not finished (processing, unknown) leaves
// the rest done and is reported as it stands; Continue, or Recover in the
// background, takes it on with the same number, and a part whose channel
// refund failed (no money moved) gets a new one — never a second refund of
// the same money.

// RefundLine asks for Qty more of the order's line LineNo.
type RefundLine struct {
	LineNo int
	Qty    int64
}

// RefundAsk is what a person asks back from a paid order: Lines, or an
// Amount (when there are no lines); neither means everything left.
type RefundAsk struct {
	OrderNo string
	Staff   app.Staff
	Lines   []RefundLine
	Amount  app.Money
	Reason  string
	// OnEvent hears each channel refund's progress (may be nil).
	OnEvent payment.EventFunc
}

// Whole reports whether the ask is everything left.
func (a RefundAsk) Whole() bool { return len(a.Lines) == 0 && a.Amount == 0 }

// MaxRefundReason is the longest reason every channel takes (WeChat's
// refund_desc: 80 characters).
const MaxRefundReason = 80

// PartState is where one tender's part of a refund stands.
type PartState string

const (
	PartPending    PartState = "pending"    // no channel refund carries it now: one is to be sent
	PartProcessing PartState = "processing" // its channel refund has not finished
	PartDone       PartState = "done"       // the money went back
	PartFailed     PartState = "failed"     // its channel refund failed (no money moved): a new one may be sent
	PartManual     PartState = "manual"     // the channel's answer needs a person
)

// Open reports whether the part still needs the machine: a refund to send
// or one to follow.
func (s PartState) Open() bool { return s == PartPending || s == PartProcessing || s == PartFailed }

// PartStateOf maps the channel refund carrying a wallet part to the part's
// state ("" when none carries it).
func PartStateOf(rs payment.RefundState) PartState {
	switch rs {
	case "":
		return PartPending
	case payment.RefundRefunded:
		return PartDone
	case payment.RefundFailed:
		return PartFailed
	case payment.RefundManual:
		return PartManual
	}
	return PartProcessing
}

// RefundedLine is a line a refund covered: how many, and its share of the
// money.
type RefundedLine struct {
	LineNo int
	Name   string // as the order has it (filled when read)
	Qty    int64
	Amount app.Money
}

// RefundPart is one tender's part of a refund.
type RefundPart struct {
	ID         int64
	TenderID   int64
	Kind       app.TenderKind
	Wallet     app.Wallet
	OutTradeNo string // the wallet tender's payment
	Amount     app.Money
	// OutRefundNo is the channel refund carrying a wallet part now, ""
	// before one is written; RefundState is its state.
	OutRefundNo string
	RefundState payment.RefundState
	RefundID    string // the channel's number for it
	State       PartState
}

// OrderRefund is one refund at the counter (退款单).
type OrderRefund struct {
	ID             int64
	RefundNo       string
	OrderID        int64
	OrderNo        string
	Amount         app.Money
	Whole          bool
	Reason         string
	StaffID        int64
	StaffName      string
	ApprovedBy     int64 // the manager whose override allowed it, 0 if none
	ApprovedByName string
	ShiftID        int64
	TerminalID     int64
	CreatedAt      time.Time
	Lines          []RefundedLine
	Parts          []RefundPart
}

// Given is what its parts have given back so far.
func (r OrderRefund) Given() app.Money {
	var g app.Money
	for _, p := range r.Parts {
		if p.State == PartDone {
			g += p.Amount
		}
	}
	return g
}

// Open reports whether a part still needs the machine.
func (r OrderRefund) Open() bool {
	for _, p := range r.Parts {
		if p.State.Open() {
			return true
		}
	}
	return false
}

// TenderRefunds is what a tender's refunds took so far.
type TenderRefunds struct {
	Done app.Money // given back
	// Pending is on its way: a channel refund not finished, or a part no
	// channel refund carries now (not sent yet, or its refund failed).
	Pending app.Money
	Manual  app.Money // held by a channel refund a person must check
}

// Taken is everything the tender can no longer give.
func (t TenderRefunds) Taken() app.Money { return t.Done + t.Pending + t.Manual }

// RefundHistory is what an order's earlier refunds took, as storage reads
// it: every refund counts (the counter's and a single wallet refund made
// elsewhere, e.g. `pos refund`).
type RefundHistory struct {
	Lines   map[int]int64           // line number → quantity refunded
	Tenders map[int64]TenderRefunds // tender ID → its refunds
	Refunds []OrderRefund           // the counter's refunds of the order, oldest first
}

// PlanLine is an order line as a refund sees it.
type PlanLine struct {
	app.OrderLine
	Refunded   int64     // quantity refunded before
	Take       int64     // quantity this refund gives back
	TakeAmount app.Money // and its share of the money
}

// Left is the quantity that may still be refunded.
func (l PlanLine) Left() int64 { return l.Qty - l.Refunded }

// PlanPart is a paid tender as a refund sees it.
type PlanPart struct {
	Tender  app.Tender
	Refunds TenderRefunds // before this refund
	Take    app.Money     // what it pays back of this refund
}

// Left is what the tender may still pay back.
func (p PlanPart) Left() app.Money { return max(p.Tender.Amount-p.Refunds.Taken(), 0) }

// RefundPlan is a refund worked out before it is made: the order, every
// line and tender with what earlier refunds took, and what this one gives
// back from each. Parts are in the order they pay back.
type RefundPlan struct {
	Order   app.Order
	Lines   []PlanLine
	Parts   []PlanPart
	Left    app.Money // what may be refunded, before this refund
	Amount  app.Money // this refund
	Whole   bool
	Refunds []OrderRefund // earlier refunds at the counter
}

// Cash is what the drawer hands back.
func (p RefundPlan) Cash() app.Money {
	var c app.Money
	for _, pt := range p.Parts {
		if pt.Tender.Kind == app.TenderCash {
			c += pt.Take
		}
	}
	return c
}

// History is what the earlier refunds took, as PlanRefund reads it: a
// screen plans each change of the ask against it without reading storage
// again (the write plans once more against what is stored).
func (p RefundPlan) History() RefundHistory {
	h := RefundHistory{Lines: map[int]int64{}, Tenders: map[int64]TenderRefunds{}, Refunds: p.Refunds}
	for _, l := range p.Lines {
		if l.Refunded > 0 {
			h.Lines[l.LineNo] = l.Refunded
		}
	}
	for _, pt := range p.Parts {
		h.Tenders[pt.Tender.ID] = pt.Refunds
	}
	return h
}

// Unfinished lists the earlier refunds with a part the machine has not
// finished.
func (p RefundPlan) Unfinished() []OrderRefund {
	var out []OrderRefund
	for _, r := range p.Refunds {
		if r.Open() {
			out = append(out, r)
		}
	}
	return out
}

// CanRefund says why nothing can be refunded from the order, nil when
// something can.
func (p RefundPlan) CanRefund() error {
	o := p.Order
	switch {
	case o.Kind != app.OrderSale:
		return ErrRefundDeposit
	case o.Status.Open():
		return ErrRefundNotPaid.With("OrderNo", o.OrderNo)
	case o.Status == app.OrderClosed:
		return ErrRefundVoided.With("OrderNo", o.OrderNo)
	case o.Status != app.OrderPaid && o.Status != app.OrderPartRefunded && o.Status != app.OrderRefunded:
		return ErrRefundNotPaid.With("OrderNo", o.OrderNo)
	case p.Left <= 0:
		return ErrRefundNothingLeft.With("OrderNo", o.OrderNo)
	}
	return nil
}

// Matches reports whether r gives back what the plan does: the same
// amount, lines and tenders. The write compares the plan it makes afresh
// with the refund it was asked to write: a refund planned on an order that
// changed since is refused, never written with other figures than the
// person confirmed.
func (p RefundPlan) Matches(r OrderRefund) bool {
	if p.Amount != r.Amount || p.Whole != r.Whole {
		return false
	}
	var lines []RefundedLine
	for _, l := range p.Lines {
		if l.Take > 0 {
			lines = append(lines, RefundedLine{LineNo: l.LineNo, Qty: l.Take, Amount: l.TakeAmount})
		}
	}
	if len(lines) != len(r.Lines) {
		return false
	}
	for i, l := range lines {
		if o := r.Lines[i]; o.LineNo != l.LineNo || o.Qty != l.Qty || o.Amount != l.Amount {
			return false
		}
	}
	var parts []PlanPart
	for _, pt := range p.Parts {
		if pt.Take > 0 {
			parts = append(parts, pt)
		}
	}
	if len(parts) != len(r.Parts) {
		return false
	}
	for i, pt := range parts {
		if o := r.Parts[i]; o.TenderID != pt.Tender.ID || o.Amount != pt.Take {
			return false
		}
	}
	return true
}

// Record is the refund the plan makes (lines and parts), before it is
// written.
func (p RefundPlan) Record() OrderRefund {
	r := OrderRefund{OrderID: p.Order.ID, OrderNo: p.Order.OrderNo, Amount: p.Amount, Whole: p.Whole}
	for _, l := range p.Lines {
		if l.Take > 0 {
			r.Lines = append(r.Lines, RefundedLine{LineNo: l.LineNo, Name: l.Name, Qty: l.Take, Amount: l.TakeAmount})
		}
	}
	for _, pt := range p.Parts {
		if pt.Take > 0 {
			t := pt.Tender
			r.Parts = append(r.Parts, RefundPart{TenderID: t.ID, Kind: t.Kind, Wallet: t.Wallet, OutTradeNo: t.OutTradeNo,
				Amount: pt.Take, State: PartPending})
		}
	}
	return r
}

// Errors of refunds at the counter.
var (
	ErrOrderNotFound = app.NewError("orderrefund.not_found")
	// ErrRefundQuery: too few characters to look an order up by.
	ErrRefundQuery       = app.NewError("orderrefund.query_short")
	ErrRefundDeposit     = app.NewError("orderrefund.deposit")
	ErrRefundNotPaid     = app.NewError("orderrefund.not_paid")
	ErrRefundVoided      = app.NewError("orderrefund.voided")
	ErrRefundNothingLeft = app.NewError("orderrefund.nothing_left")
	ErrRefundAsk         = app.NewError("orderrefund.ask_invalid")
	// ErrRefundLine carries Line.
	ErrRefundLine = app.NewError("orderrefund.no_line")
	// ErrRefundQty carries Line, Name, Asked and Left.
	ErrRefundQty = app.NewError("orderrefund.qty_exceeds")
	// ErrRefundExceeds carries Asked and Left.
	ErrRefundExceeds = app.NewError("orderrefund.exceeds")
	ErrRefundReason  = app.NewError("orderrefund.reason_long")
	// ErrRefundChanged: the order was refunded elsewhere since the plan
	// was shown; nothing was written.
	ErrRefundChanged = app.NewError("orderrefund.changed")
	// ErrRefundNoTender: what is left sits on a tender the counter cannot
	// pay back (a member card: no ledger yet).
	ErrRefundNoTender = app.NewError("orderrefund.no_tender")
	// ErrRefundUnknown carries RefundNo.
	ErrRefundUnknown   = app.NewError("orderrefund.unknown")
	ErrRefundNoPrinter = app.NewError("orderrefund.no_printer")
)

// PlanRefund works out ask against order o and what its earlier refunds
// took (h). It is pure: the use case shows it before the person confirms,
// and the store runs it again inside the write's transaction.
func PlanRefund(o app.Order, h RefundHistory, ask RefundAsk) (RefundPlan, error) {
	p := describe(o, h)
	if err := p.CanRefund(); err != nil {
		return p, err
	}
	if utf8.RuneCountInString(ask.Reason) > MaxRefundReason {
		return p, ErrRefundReason.With("Max", MaxRefundReason)
	}
	switch {
	case len(ask.Lines) > 0 && ask.Amount != 0, ask.Amount < 0:
		return p, ErrRefundAsk
	case len(ask.Lines) > 0:
		seen := map[int]bool{}
		for _, a := range ask.Lines {
			i := p.line(a.LineNo)
			if i < 0 {
				return p, ErrRefundLine.With("Line", a.LineNo)
			}
			if a.Qty <= 0 || seen[a.LineNo] {
				return p, ErrRefundAsk
			}
			seen[a.LineNo] = true
			l := &p.Lines[i]
			if a.Qty > l.Left() {
				return p, ErrRefundQty.With("Line", l.LineNo, "Name", l.Name, "Asked", a.Qty, "Left", l.Left())
			}
			l.Take = a.Qty
			l.TakeAmount = lineShare(l.OrderLine, l.Refunded+a.Qty) - lineShare(l.OrderLine, l.Refunded)
			p.Amount += l.TakeAmount
		}
	case ask.Amount > 0:
		p.Amount = ask.Amount
	default:
		p.Whole, p.Amount = true, p.Left
		for i := range p.Lines {
			l := &p.Lines[i]
			if left := l.Left(); left > 0 {
				l.Take = left
				l.TakeAmount = l.Amount - lineShare(l.OrderLine, l.Refunded)
			}
		}
	}
	if p.Amount <= 0 {
		return p, app.ErrMoneyZero
	}
	if p.Amount > p.Left {
		return p, ErrRefundExceeds.With("Asked", p.Amount, "Left", p.Left)
	}
	rest := p.Amount
	for i := range p.Parts {
		pt := &p.Parts[i]
		if rest == 0 {
			break
		}
		if !repayable(pt.Tender) {
			continue
		}
		pt.Take = min(pt.Left(), rest)
		rest -= pt.Take
	}
	if rest > 0 {
		return p, ErrRefundNoTender
	}
	return p, nil
}

// describe is the order as a refund sees it, nothing chosen yet.
func describe(o app.Order, h RefundHistory) RefundPlan {
	p := RefundPlan{Order: o, Refunds: h.Refunds}
	for _, l := range o.Lines {
		p.Lines = append(p.Lines, PlanLine{OrderLine: l, Refunded: h.Lines[l.LineNo]})
	}
	for _, t := range payBackOrder(o.Tenders) {
		pt := PlanPart{Tender: t, Refunds: h.Tenders[t.ID]}
		p.Parts = append(p.Parts, pt)
		if repayable(t) {
			p.Left += pt.Left()
		}
	}
	return p
}

func (p RefundPlan) line(no int) int {
	for i, l := range p.Lines {
		if l.LineNo == no {
			return i
		}
	}
	return -1
}

// repayable reports whether the counter can pay a tender back: a wallet by
// its channel, cash from the drawer (a member card has no ledger yet).
func repayable(t app.Tender) bool { return t.Kind == app.TenderWallet || t.Kind == app.TenderCash }

// payBackOrder lists an order's paid tenders in the order they pay a
// refund back: wallets first, the last paid first, then cash, the last
// taken first (see the package's allocation rule above).
func payBackOrder(ts []app.Tender) []app.Tender {
	var out []app.Tender
	for _, t := range ts {
		if t.State == app.TenderPaid {
			out = append(out, t)
		}
	}
	rank := func(t app.Tender) int {
		switch t.Kind {
		case app.TenderWallet:
			return 0
		case app.TenderCash:
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := rank(out[i]), rank(out[j]); ri != rj {
			return ri < rj
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// lineShare is the part of a line's amount that q of its Qty pieces carry,
// to the fen, rounded down — except all of them, which carry the whole
// amount: the last piece takes the remainder, so a line refunded in parts
// adds up exactly to its amount.
func lineShare(l app.OrderLine, q int64) app.Money {
	if q >= l.Qty || l.Qty <= 0 {
		return l.Amount
	}
	if q <= 0 || l.Amount <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(l.Amount), uint64(q))
	share, _ := bits.Div64(hi, lo, uint64(l.Qty)) // q < Qty: the quotient fits
	return app.Money(share)
}

// RefundStore is what refunds need from storage.
type RefundStore interface {
	GetOrder(ctx context.Context, orderNo string) (app.Order, error)
	// OrdersEndingWith lists the store's orders created since, whose
	// number ends with suffix (letters in any case), newest first, at most
	// limit.
	OrdersEndingWith(ctx context.Context, storeID int64, suffix string, since time.Time, limit int) ([]app.Order, error)
	RefundHistory(ctx context.Context, orderID int64) (RefundHistory, error)
	// WriteRefund writes r (planned from ask as plan) with its lines and
	// parts, and sets its ID, ShiftID and the parts' IDs. In its
	// transaction it reads the order and its refunds again and plans ask
	// afresh (PlanRefund): an error of that plan is returned, and a plan
	// that no longer Matches r is ErrRefundChanged. Each cash part is
	// handed back in the same transaction: a cash refund on the shift of
	// the person (else of whoever is clocked on at r's terminal), its row
	// of the takings journal, the order's refunded amount and status.
	// audit is written with it.
	WriteRefund(ctx context.Context, ask RefundAsk, r *OrderRefund, audit app.AuditEntry) error
	// LinkRefundPart records the channel refund outRefundNo as carrying
	// the wallet part partID (written before it is sent).
	LinkRefundPart(ctx context.Context, partID int64, outRefundNo string) error
	// AdoptRefundPart finds, for a wallet part no channel refund carries,
	// the one a crash may have left unlinked (of its tender, its amount,
	// made since the refund was written, carrying no other part) and
	// links it; "" when there is none.
	AdoptRefundPart(ctx context.Context, partID int64) (string, error)
	// GetOrderRefund loads a refund with its lines and parts.
	GetOrderRefund(ctx context.Context, refundNo string) (OrderRefund, error)
	app.AuditLog
}

// RefundPayer is the payment state machine, as refunds use it.
type RefundPayer interface {
	Refund(ctx context.Context, in payment.RefundInput) (payment.RefundResult, error)
	ResumeRefund(ctx context.Context, outRefundNo string, onEvent payment.EventFunc) (payment.RefundResult, error)
}

// RefundReceipt is the refund receipt (退款单) as the printer is asked to
// print it: everything from the stored refund.
type RefundReceipt struct {
	Store    app.StoreInfo
	Terminal app.TerminalInfo
	Order    app.Order
	Refund   OrderRefund
	Time     time.Time
	// Again: printed again after a part finished later (Continue).
	Again bool
}

// RefundPrinter queues a refund receipt on the store's printer.
type RefundPrinter interface {
	PrintRefund(ctx context.Context, r RefundReceipt) error
}

// RefundAnnouncer says a refund given back (the cloud speaker: "退款12.50元").
type RefundAnnouncer interface {
	AnnounceRefund(ctx context.Context, amount app.Money) error
}

// Refunds is the counter's refund use case. Printer, Announcer and Drawer
// may be nil (none configured); a failing device never undoes a refund.
type Refunds struct {
	Store     RefundStore
	Payments  RefundPayer
	Permits   app.Permits
	Terminal  Terminal
	Clock     app.Clock
	Signals   *app.Signals
	Printer   RefundPrinter
	Announcer RefundAnnouncer
	Drawer    CashDrawer
	// OnDeviceError hears of work after the refund that failed (the
	// receipt, the announcement, the drawer); nil: ignored.
	OnDeviceError func(what string, err error)
}

// RecentDays is how far back a short number (尾号) looks for an order.
const RecentDays = 7

// FindLimit bounds the orders a short number lists.
const FindLimit = 20

// MinFindChars is the fewest characters an order is looked up by.
const MinFindChars = 4

// Find looks an order up by what was scanned or typed: the receipt's
// barcode (and QR) carry the whole order number; a typed number may be the
// whole one or its last digits (尾号, app.ShortNo: the last 6; any 4 or
// more), which match this store's orders of the last RecentDays days,
// newest first. Several matches are all returned, for the person to
// choose; none is ErrOrderNotFound.
func (s *Refunds) Find(ctx context.Context, q string) ([]app.Order, error) {
	q = normaliseNo(q)
	if utf8.RuneCountInString(q) < MinFindChars {
		return nil, ErrRefundQuery.With("Min", MinFindChars)
	}
	o, err := s.Store.GetOrder(ctx, q)
	if err == nil {
		return []app.Order{o}, nil
	}
	if !isNotFound(err) {
		return nil, err
	}
	st, err := s.Terminal.CurrentStore(ctx)
	if err != nil {
		return nil, err
	}
	since := s.Clock.Now().AddDate(0, 0, -RecentDays)
	found, err := s.Store.OrdersEndingWith(ctx, st.ID, q, since, FindLimit)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, ErrOrderNotFound.With("Ref", q)
	}
	return found, nil
}

// isNotFound: storage's "no such row" (localdb.ErrNotFound: db.not_found),
// told apart by its code so app need not import storage.
func isNotFound(err error) bool {
	m, ok := app.AsMessage(err)
	return ok && m.Code == "db.not_found"
}

// normaliseNo folds what a person typed (full-width digits and letters
// from a Chinese input method, spaces) into an order number's characters.
func normaliseNo(q string) string {
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
			r -= '０' - '0'
		case unicode.IsSpace(r):
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Load is an order as a refund sees it, nothing chosen: its lines and
// tenders with what earlier refunds took, and those refunds. Whether
// anything can be refunded is CanRefund's.
func (s *Refunds) Load(ctx context.Context, orderNo string) (RefundPlan, error) {
	o, h, err := s.read(ctx, orderNo)
	if err != nil {
		return RefundPlan{}, err
	}
	return describe(o, h), nil
}

func (s *Refunds) read(ctx context.Context, orderNo string) (app.Order, RefundHistory, error) {
	o, err := s.Store.GetOrder(ctx, orderNo)
	if err != nil {
		if isNotFound(err) {
			err = ErrOrderNotFound.With("Ref", orderNo).Wrap(err)
		}
		return o, RefundHistory{}, err
	}
	h, err := s.Store.RefundHistory(ctx, o.ID)
	return o, h, err
}

// Plan works ask out against the order as stored now, writing nothing.
func (s *Refunds) Plan(ctx context.Context, ask RefundAsk) (RefundPlan, error) {
	o, h, err := s.read(ctx, ask.OrderNo)
	if err != nil {
		return RefundPlan{}, err
	}
	return PlanRefund(o, h, ask)
}

// PartOutcome is one part and what to tell the person about it.
type PartOutcome struct {
	Part RefundPart
	Msg  app.Message
	Err  error // why a channel refund could not be sent or followed, if so
}

// RefundOutcome is where a refund stands when Refund or Continue returns.
type RefundOutcome struct {
	Refund OrderRefund // as stored
	Order  app.Order   // as stored
	Parts  []PartOutcome
}

// Done reports whether every part gave its money back.
func (o RefundOutcome) Done() bool {
	for _, p := range o.Refund.Parts {
		if p.State != PartDone {
			return false
		}
	}
	return true
}

// Refund makes ask: plans it, checks the refund permission of ask.Staff
// at this moment (business rules §1: a clerk only while clocked on, a
// manager at any time; a manager's override counts, and is recorded as
// the approver), writes it, hands the cash back (the drawer opens), sends
// each wallet part through its channel, then queues the refund receipt and
// announces what went back. Once the refund is written the outcome tells
// each part truthfully, also when a channel has not finished; an error
// returned with a written refund (Refund.ID set) concerns only the work
// after it.
func (s *Refunds) Refund(ctx context.Context, ask RefundAsk) (RefundOutcome, error) {
	plan, err := s.Plan(ctx, ask)
	if err != nil {
		return RefundOutcome{Order: plan.Order}, err
	}
	who, err := s.Permits.Check(ctx, ask.Staff.ID, app.PermRefund)
	if err != nil {
		return RefundOutcome{Order: plan.Order}, err
	}
	term, err := s.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return RefundOutcome{Order: plan.Order}, err
	}
	now := s.Clock.Now()
	rec := plan.Record()
	rec.RefundNo = app.NewOrderNo(term.NumberPrefix()+"T", now)
	rec.Reason, rec.StaffID, rec.StaffName = ask.Reason, who.ID, who.Name
	rec.ApprovedBy, rec.ApprovedByName = who.ApprovedBy, who.ApprovedByName
	rec.TerminalID, rec.CreatedAt = term.ID, now
	detail := fmt.Sprintf("%s amount=%s whole=%t lines=%s parts=%s", rec.RefundNo, rec.Amount, rec.Whole, linesDetail(rec.Lines), partsDetail(rec.Parts))
	if who.ApprovedBy != 0 {
		detail += fmt.Sprintf(" approved_by=%s(%d)", who.ApprovedByName, who.ApprovedBy)
	}
	if ask.Reason != "" {
		detail += " reason=" + ask.Reason
	}
	audit := app.AuditEntry{At: now, StaffID: who.ID, Action: "refund", Subject: plan.Order.OrderNo, Detail: detail}
	if err := s.Store.WriteRefund(ctx, ask, &rec, audit); err != nil {
		return RefundOutcome{Order: plan.Order}, err
	}
	s.Signals.Emit(app.SignalOrder, rec.OrderNo)
	if plan.Cash() > 0 {
		s.openDrawer(ctx, who.ID, rec.OrderNo, "cash_refund "+rec.RefundNo)
	}
	// The one check above covers every part: the payment machine asks
	// again for each wallet part, and a manager's one-shot override must
	// not be spent on the first of them (RefundPermits).
	ctx = context.WithValue(ctx, grantKey{}, grant{staff: who, perm: app.PermRefund})
	out, err := s.payBack(ctx, rec, who, ask.OnEvent)
	s.after(ctx, &out, rec, false)
	return out, err
}

// Continue takes on a refund whose wallet parts have not all given their
// money back: a channel refund still open is followed under its own number
// (never sent again blind), a part whose channel refund failed or was
// never sent gets a new one. A new channel refund needs the refund
// permission now, as a refund does. The receipt is printed again when a
// part finished.
func (s *Refunds) Continue(ctx context.Context, refundNo string, staff app.Staff, onEvent payment.EventFunc) (RefundOutcome, error) {
	rec, err := s.Store.GetOrderRefund(ctx, refundNo)
	if err != nil {
		if isNotFound(err) {
			err = ErrRefundUnknown.With("RefundNo", refundNo).Wrap(err)
		}
		return RefundOutcome{}, err
	}
	who := staff
	send := false
	for _, p := range rec.Parts {
		send = send || p.State == PartPending || p.State == PartFailed
	}
	if send {
		if who, err = s.Permits.Check(ctx, staff.ID, app.PermRefund); err != nil {
			return RefundOutcome{Refund: rec}, err
		}
		ctx = context.WithValue(ctx, grantKey{}, grant{staff: who, perm: app.PermRefund})
	}
	given := rec.Given()
	out, err := s.payBack(ctx, rec, who, onEvent)
	if out.Refund.Given() != given {
		s.after(ctx, &out, rec, true)
	}
	return out, err
}

// payBack drives each open wallet part, then reads the refund and the
// order back as stored.
func (s *Refunds) payBack(ctx context.Context, rec OrderRefund, who app.Staff, onEvent payment.EventFunc) (RefundOutcome, error) {
	out := RefundOutcome{Refund: rec}
	notes := map[int64]PartOutcome{}
	for _, p := range rec.Parts {
		if p.Kind != app.TenderWallet || !p.State.Open() {
			continue
		}
		notes[p.ID] = s.payBackWallet(ctx, rec, p, who, onEvent)
	}
	bg := context.WithoutCancel(ctx)
	stored, err := s.Store.GetOrderRefund(bg, rec.RefundNo)
	if err != nil {
		return out, err
	}
	out.Refund = stored
	if out.Order, err = s.Store.GetOrder(bg, rec.OrderNo); err != nil {
		return out, err
	}
	for _, p := range stored.Parts {
		po, ok := notes[p.ID]
		po.Part = p
		if !ok || po.Msg.IsZero() {
			po.Msg = partMessage(p)
		}
		out.Parts = append(out.Parts, po)
	}
	return out, nil
}

// payBackWallet drives one wallet part: the channel refund carrying it, or
// a new one when none does (or the last failed).
func (s *Refunds) payBackWallet(ctx context.Context, rec OrderRefund, p RefundPart, who app.Staff, onEvent payment.EventFunc) PartOutcome {
	bg := context.WithoutCancel(ctx)
	if p.OutRefundNo == "" || p.RefundState == payment.RefundFailed {
		// A crash between writing the part's next channel refund and
		// linking it leaves that refund unlinked: find it before sending
		// another.
		no, err := s.Store.AdoptRefundPart(bg, p.ID)
		if err != nil {
			return PartOutcome{Part: p, Err: err, Msg: errMessage(err)}
		}
		if no != "" {
			p.OutRefundNo, p.RefundState = no, payment.RefundCreated
		}
	}
	if p.OutRefundNo != "" && p.RefundState != payment.RefundFailed {
		res, err := s.Payments.ResumeRefund(ctx, p.OutRefundNo, onEvent)
		return PartOutcome{Part: p, Msg: res.Msg, Err: ignoreInProgress(err)}
	}
	ev := func(e payment.Event) {
		if e.Kind == payment.EventRefund && e.Step == payment.StepCreated {
			// Linked before the first byte goes out: a crash after it
			// leaves the part carried by this refund, which Recover
			// finishes. A link that could not be written is found again
			// by AdoptRefundPart.
			if err := s.Store.LinkRefundPart(bg, p.ID, e.Ref); err != nil {
				s.device("link", err)
			}
		}
		if onEvent != nil {
			onEvent(e)
		}
	}
	res, err := s.Payments.Refund(ctx, payment.RefundInput{OrderNo: rec.OrderNo, OutTradeNo: p.OutTradeNo, Amount: p.Amount,
		StaffID: who.ID, Reason: rec.Reason, OnEvent: ev})
	msg := res.Msg
	if msg.IsZero() && err != nil {
		msg = errMessage(err)
	}
	return PartOutcome{Part: p, Msg: msg, Err: err}
}

// ignoreInProgress: a refund another loop of this process (Recover) is
// driving is left to it; the part is processing, which the outcome says.
func ignoreInProgress(err error) error {
	if errors.Is(err, payment.ErrRefundInProgress) {
		return nil
	}
	return err
}

func errMessage(err error) app.Message {
	if m, ok := app.AsMessage(err); ok {
		return m
	}
	return app.Msg("orderrefund.part_error", "Err", err.Error())
}

// partMessage is what to tell about a part as stored.
func partMessage(p RefundPart) app.Message {
	switch {
	case p.Kind == app.TenderCash:
		return app.Msg("orderrefund.cash_given")
	case p.State == PartDone:
		return app.Msg("refund.refunded")
	case p.State == PartPending:
		return app.Msg("orderrefund.part_pending")
	case p.State == PartFailed:
		return app.Msg("refund.failed")
	case p.State == PartManual:
		return app.Msg("refund.manual", "Reason", "")
	}
	return app.Msg("refund.processing")
}

// after queues the refund receipt, announces what went back in this call
// and tells the screens. Devices are best-effort: the money has moved.
func (s *Refunds) after(ctx context.Context, out *RefundOutcome, before OrderRefund, again bool) {
	ctx = context.WithoutCancel(ctx)
	s.Signals.Emit(app.SignalOrder, out.Refund.OrderNo)
	if s.Printer != nil {
		err := s.printRefund(ctx, *out, again)
		s.device("receipt", err)
	}
	given := out.Refund.Given()
	if again {
		given -= before.Given()
	}
	if s.Announcer != nil && given > 0 {
		s.device("announce", s.Announcer.AnnounceRefund(ctx, given))
	}
}

func (s *Refunds) printRefund(ctx context.Context, out RefundOutcome, again bool) error {
	st, err := s.Terminal.CurrentStore(ctx)
	if err != nil {
		return err
	}
	term, err := s.Terminal.CurrentTerminal(ctx)
	if err != nil {
		return err
	}
	return s.Printer.PrintRefund(ctx, RefundReceipt{Store: st, Terminal: term, Order: out.Order, Refund: out.Refund,
		Time: s.Clock.Now(), Again: again})
}

// Reprint queues a refund's receipt again (marked as a reprint).
func (s *Refunds) Reprint(ctx context.Context, refundNo string) error {
	if s.Printer == nil {
		return ErrRefundNoPrinter
	}
	rec, err := s.Store.GetOrderRefund(ctx, refundNo)
	if err != nil {
		if isNotFound(err) {
			err = ErrRefundUnknown.With("RefundNo", refundNo).Wrap(err)
		}
		return err
	}
	o, err := s.Store.GetOrder(ctx, rec.OrderNo)
	if err != nil {
		return err
	}
	return s.printRefund(ctx, RefundOutcome{Refund: rec, Order: o}, true)
}

// openDrawer kicks the drawer for cash handed back and records it, as the
// checkout does for every opening.
func (s *Refunds) openDrawer(ctx context.Context, staffID int64, orderNo, why string) {
	if s.Drawer == nil {
		return
	}
	// The cash part is written: the drawer opens even when the person has
	// stopped waiting for the channels.
	ctx = context.WithoutCancel(ctx)
	err := s.Drawer.OpenDrawer(ctx)
	s.device("drawer", err)
	if err != nil {
		why += " failed"
	}
	s.device("audit", s.Store.Audit(context.WithoutCancel(ctx), app.AuditEntry{At: s.Clock.Now(), StaffID: staffID,
		Action: "drawer_open", Subject: orderNo, Detail: why}))
}

func (s *Refunds) device(what string, err error) {
	if err != nil && s.OnDeviceError != nil {
		s.OnDeviceError(what, err)
	}
}

func linesDetail(ls []RefundedLine) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d", l.LineNo, l.Qty)
	}
	return b.String()
}

func partsDetail(ps []RefundPart) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		what := string(p.Kind)
		if p.Kind == app.TenderWallet {
			what = string(p.Wallet)
		}
		fmt.Fprintf(&b, "%s:%s", what, p.Amount)
	}
	return b.String()
}

// grant is the refund permission one refund checked at its start.
type grant struct {
	staff app.Staff
	perm  string
}

type grantKey struct{}

// RefundPermits is the shop's rules (Permits) as the payment state machine
// asks them: inside a refund at the counter, the check the refund made at
// its start answers for the same person and permission, so each wallet
// part's channel refund passes on it and records the same approver — a
// manager's one-shot override approves the whole refund, not only its
// first tender. Anything else is asked of Permits. Only this package can
// put such a check in a context.
type RefundPermits struct{ app.Permits }

// Check implements app.Permits.
func (p RefundPermits) Check(ctx context.Context, staffID int64, perm string) (app.Staff, error) {
	if g, ok := ctx.Value(grantKey{}).(grant); ok && g.perm == perm && g.staff.ID == staffID {
		return g.staff, nil
	}
	return p.Permits.Check(ctx, staffID, perm)
}
