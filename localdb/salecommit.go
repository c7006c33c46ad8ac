package localdb

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"time"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/summary"
)

// ErrSaleNotCovered: the tenders of a sale committed at once add up to
// less than it costs, so it would not be paid.
var ErrSaleNotCovered = app.NewError("order.not_covered")

// errSaleTenderKind: a wallet payment must be durable as an intent before
// its first network byte (the payment state machine), so it never arrives
// here already paid.
var errSaleTenderKind = errors.New("localdb: CommitPaidSale takes cash tenders only; a wallet payment goes through the payment state machine")

// saleSQL is every statement of a sale's commit, prepared once on the
// writer (writeStmts). The order is written paid and each tender with its
// share of the discount, so nothing written is updated again.
var saleSQL = writeSQL{queries: []string{
	saleShift: `SELECT id, store_id, started_at FROM shift WHERE staff_id=? AND ended_at IS NULL`,
	saleZone:  `SELECT timezone FROM store WHERE id=?`,
	saleOrder: insertOrderSQL,
	saleLine:  insertLineSQL,
	saleTender: `INSERT INTO tender(order_id, kind, wallet, amount, state, cash_received, staff_id, shift_id, created_at, settled_at, discount)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
	// CreateIntent's insert of the same columns: a payment paid by the
	// customer's code (a QR payment is never paid before its order exists).
	saleIntent: `INSERT INTO payment_intent(out_trade_no, order_id, tender_id, kind, channel, wallet,
		auth_code_masked, auth_code_hash, amount, state, transaction_id, channel_code, channel_msg, attempts,
		staff_id, foreign_no, version, created_at, sent_at, updated_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?,?)`,
	saleTaking: insertTakingSQL,
}}

const (
	saleShift = iota
	saleZone
	saleOrder
	saleLine
	saleTender
	saleIntent
	saleTaking
	saleStmts // how many
)

// insertTakingSQL is recordTaking's insert (the equivalence test holds
// the rows of both ways to the same).
const insertTakingSQL = `INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day)
		VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(kind, ref) DO NOTHING`

// CommitPaidSale writes a sale paid in cash at the counter in one durable
// transaction: the order and its lines, its tenders, their takings rows
// (one per tender, with its share of the discount: the summaries count
// it as the separate discount row of the step-by-step path) and the
// order paid. It is CreateOrder followed by AddCashTender for each tender, with
// their checks, in one commit instead of one per step: the tenders are
// cash, each above zero, and together pay exactly what the order costs
// (app.ErrTenderTooLarge names the first one that goes over,
// ErrSaleNotCovered says when they fall short); a deposit is never paid in
// cash. o.Status is ignored (the order is written paid); o gets its ID,
// ShiftID, Status, Paid, PaidAt and Tenders, each tender its ID, ShiftID,
// State and SettledAt (its CreatedAt, as AddCashTender does).
func (db *DB) CommitPaidSale(ctx context.Context, o *app.Order, tenders []app.Tender) error {
	for i := range tenders {
		if tenders[i].Kind != app.TenderCash {
			return errSaleTenderKind
		}
	}
	return db.commitSale(ctx, o, tenders, nil)
}

// commitSale is CommitPaidSale; intents[i], when given, is the paid
// payment intent of wallet tender i, written with it (the benchmarks
// measure a split with a wallet in one commit this way).
func (db *DB) commitSale(ctx context.Context, o *app.Order, tenders []app.Tender, intents []*payment.PaymentIntent) error {
	if o.OrderNo == "" || o.Kind == "" {
		return app.ErrOrderInvalid
	}
	if o.Kind == app.OrderDeposit { // one wallet freeze, and its deposit row: FinishIntent's
		return app.ErrDepositOneTender.With("Amount", o.Payable)
	}
	var taken app.Money
	paidAt := o.CreatedAt
	for i, t := range tenders {
		if t.Kind == app.TenderWallet && (i >= len(intents) || intents[i] == nil ||
			intents[i].State != payment.IntentPaid || intents[i].Amount != t.Amount || intents[i].Wallet != t.Wallet) {
			return errSaleTenderKind
		}
		if err := o.CheckTender(t.Kind, t.Amount); err != nil {
			return err
		}
		if t.Amount <= 0 {
			return app.ErrMoneyZero
		}
		if due := o.Payable - taken; t.Amount > due {
			return app.ErrTenderTooLarge.With("Amount", t.Amount, "Due", max(due, 0))
		}
		taken += t.Amount
		if at := settledAt(t, intents, i); at.After(paidAt) {
			paidAt = at
		}
	}
	if taken < o.Payable {
		return ErrSaleNotCovered.With("Amount", taken, "Due", o.Payable)
	}
	// The discount's shares, as recordOrderPaid gives them when the last
	// tender pays the order: in proportion to what each tender paid.
	var shares []app.Money
	if o.Discount > 0 && len(tenders) > 0 {
		ratios := make([]int64, len(tenders))
		for i, t := range tenders {
			ratios[i] = int64(t.Amount)
		}
		var err error
		if shares, err = o.Discount.Allocate(ratios...); err != nil {
			return err
		}
	}
	st, err := db.writeStmts(ctx, &saleSQL)
	if err != nil {
		return err
	}
	order, paid := *o, slices.Clone(tenders)
	err = db.Write(ctx, func(tx *sql.Tx) error {
		w := saleTx{ctx: ctx, tx: tx, st: st, store: o.StoreID}
		return w.commit(o, tenders, intents, shares, paidAt)
	})
	if err != nil { // nothing was written: neither is anything set
		*o = order
		copy(tenders, paid)
	}
	return err
}

// settledAt is when tender i was paid: a wallet tender when its intent
// finished, cash when it was handed over.
func settledAt(t app.Tender, intents []*payment.PaymentIntent, i int) time.Time {
	if t.Kind == app.TenderWallet {
		return intents[i].FinishedAt
	}
	return t.CreatedAt
}

// saleTx is one sale's commit in progress.
type saleTx struct {
	ctx    context.Context
	tx     *sql.Tx
	st     []*sql.Stmt
	stmts  [saleStmts]*sql.Stmt // the transaction's handles, taken once each
	store  int64
	loc    *time.Location
	shifts []staffShift // the open shift of each person met, looked up once
}

type staffShift struct {
	staff, id, store int64
	started          time.Time
}

func (w *saleTx) stmt(i int) *sql.Stmt {
	if w.stmts[i] == nil {
		w.stmts[i] = w.tx.StmtContext(w.ctx, w.st[i])
	}
	return w.stmts[i]
}

// shiftOf is staffID's open shift (its id 0 when none): the shift a
// tender or an order is written on, as openShift finds it.
func (w *saleTx) shiftOf(staffID int64) (staffShift, error) {
	for _, s := range w.shifts {
		if s.staff == staffID {
			return s, nil
		}
	}
	s := staffShift{staff: staffID}
	var started int64
	err := w.stmt(saleShift).QueryRowContext(w.ctx, staffID).Scan(&s.id, &s.store, &started)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return s, err
	default:
		s.started = time.UnixMilli(started)
	}
	w.shifts = append(w.shifts, s)
	return s, nil
}

func (w *saleTx) commit(o *app.Order, tenders []app.Tender, intents []*payment.PaymentIntent, shares []app.Money, paidAt time.Time) error {
	var zone string
	if err := w.stmt(saleZone).QueryRowContext(w.ctx, w.store).Scan(&zone); err != nil {
		return err
	}
	w.loc = app.Zone(zone)
	sh, err := w.shiftOf(o.StaffID)
	if err != nil {
		return err
	}
	o.ShiftID, o.Status, o.Paid, o.PaidAt = sh.id, app.OrderPaid, o.Payable, paidAt
	var line *sql.Stmt
	if len(o.Lines) > 0 {
		line = w.stmt(saleLine)
	}
	if err := writeOrder(w.ctx, w.stmt(saleOrder), line, o); err != nil {
		return err
	}
	for i := range tenders {
		t := &tenders[i]
		t.State, t.SettledAt = app.TenderPaid, settledAt(*t, intents, i)
		var share app.Money
		if shares != nil {
			share = shares[i]
		}
		if err := w.tender(o, t, share, paidAt); err != nil {
			return err
		}
		if t.Kind == app.TenderWallet {
			in := intents[i]
			in.OrderID, in.OrderNo = o.ID, o.OrderNo
			res, err := w.stmt(saleIntent).ExecContext(w.ctx, in.OutTradeNo, in.OrderID, t.ID, string(in.Kind),
				string(in.Channel), string(in.Wallet), in.CodeMasked, in.CodeHash, int64(in.Amount), string(in.State),
				in.TransactionID, in.ChannelCode, in.ChannelMsg, in.Attempts, nullID(in.StaffID), in.Foreign,
				ms(in.CreatedAt), nullMS(in.SentAt), ms(in.UpdatedAt), nullMS(in.FinishedAt))
			if err != nil {
				return err
			}
			if in.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			in.TenderID, in.Version = t.ID, 0
			t.OutTradeNo, t.TransactionID = in.OutTradeNo, in.TransactionID
		}
	}
	o.Tenders = tenders
	return nil
}

// tender writes one paid tender with its share of the discount and its
// sale row in the takings journal. The share rides on the sale row (one
// journal row, the table and five index entries, instead of two) when it
// falls on the same shift and business day as the order's payment, where
// the step-by-step path journals it; a tender settled on an earlier day
// off shift keeps a discount row of its own on the day the order was paid.
func (w *saleTx) tender(o *app.Order, t *app.Tender, share app.Money, paidAt time.Time) error {
	sh, err := w.shiftOf(t.StaffID)
	if err != nil {
		return err
	}
	t.OrderID, t.ShiftID = o.ID, sh.id
	res, err := w.stmt(saleTender).ExecContext(w.ctx, o.ID, string(t.Kind), string(t.Wallet), int64(t.Amount),
		string(app.TenderPaid), int64(t.CashReceived), t.StaffID, nullID(sh.id), ms(t.CreatedAt), nullMS(t.SettledAt), int64(share))
	if err != nil {
		return err
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	onShift := sh.id != 0 && sh.store == w.store
	if share == 0 || onShift || summary.DayOf(t.SettledAt, w.loc) == summary.DayOf(paidAt, w.loc) {
		return w.taking(summary.KindSale, *t, o.ID, int64(t.Amount), int64(share), t.SettledAt)
	}
	if err := w.taking(summary.KindSale, *t, o.ID, int64(t.Amount), 0, t.SettledAt); err != nil {
		return err
	}
	return w.taking(summary.KindDiscount, *t, o.ID, 0, int64(share), paidAt)
}

// taking journals one movement of tender t, as recordTaking does: on the
// shift its person has open in the store now (shiftNow), on the business
// day that shift started (or of the movement, off shift).
func (w *saleTx) taking(kind summary.Kind, t app.Tender, orderID, amount, discount int64, at time.Time) error {
	sh, err := w.shiftOf(t.StaffID)
	if err != nil {
		return err
	}
	shift, dayOf := int64(0), at
	if sh.id != 0 && sh.store == w.store {
		shift, dayOf = sh.id, sh.started
	}
	_, err = w.stmt(saleTaking).ExecContext(w.ctx, string(kind), "tender:"+strconv.FormatInt(t.ID, 10), w.store,
		t.StaffID, nullID(shift), nullID(orderID), string(summary.MethodOf(t.Kind, t.Wallet)), amount, discount,
		ms(at), summary.DayOf(dayOf, w.loc).Int())
	return err
}
