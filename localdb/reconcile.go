package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"cashier/app"
	"cashier/app/reconcile"
	"cashier/app/summary"
)

// ReconcileStore keeps reconciliation runs (migration 0014) and reads the
// records a bill day is matched against.
type ReconcileStore struct{ db *DB }

// ReconcileStore is the store of app/reconcile.
func (db *DB) ReconcileStore() *ReconcileStore { return &ReconcileStore{db} }

var _ reconcile.Store = (*ReconcileStore)(nil)

// What a stored state means for money (reconcile.LocalState).
func intentLocal(state string) reconcile.LocalState {
	switch state {
	case "paid":
		return reconcile.LocalMoved
	case "failed", "reversed", "closed":
		return reconcile.LocalNone
	case "manual":
		return reconcile.LocalManual
	}
	return reconcile.LocalOpen
}

func refundLocal(state string) reconcile.LocalState {
	switch state {
	case "refunded":
		return reconcile.LocalMoved
	case "failed":
		return reconcile.LocalNone
	case "manual":
		return reconcile.LocalManual
	}
	return reconcile.LocalOpen
}

func opLocal(state string) reconcile.LocalState {
	switch state {
	case "done":
		return reconcile.LocalMoved
	case "failed":
		return reconcile.LocalNone
	case "manual":
		return reconcile.LocalManual
	}
	return reconcile.LocalOpen
}

// The settled movements come from the takings journal, which has them by
// store and time (takings_store_at; the kind and method filters are read
// from the index before a row is): a wallet tender paid (a sale's payment
// or a deposit's freeze), a refund done, a consumption done. Each leads to
// its record by primary key or payment_intent_tender. The order's number
// is not read here (a lookup per record, for the few that are kept):
// SaveRun fills it for the lines it keeps.
const (
	recPaidSQL = `SELECT i.kind, i.out_trade_no, '', i.transaction_id, i.state, i.amount, t.at
		FROM takings t
		JOIN payment_intent i ON i.tender_id = CAST(substr(t.ref, 8) AS INTEGER)
		WHERE t.store_id = ? AND t.at >= ? AND t.at < ? AND t.kind IN ('sale','deposit_hold') AND t.method != 'cash'
		  AND i.channel = ?`
	recRefundSQL = `SELECT r.out_refund_no, i.out_trade_no, '', r.refund_id, r.state, r.amount, t.at
		FROM takings t
		JOIN refund r ON r.id = CAST(substr(t.ref, 8) AS INTEGER)
		JOIN payment_intent i ON i.id = r.intent_id
		WHERE t.store_id = ? AND t.at >= ? AND t.at < ? AND t.kind = 'refund' AND t.method != 'cash'
		  AND t.ref LIKE 'refund:%' AND i.channel = ?`
	recConsumeSQL = `SELECT op.out_request_no, i.out_trade_no, '', op.transaction_id, op.state, op.amount, t.at
		FROM takings t
		JOIN deposit_operation op ON op.id = CAST(substr(t.ref, 4) AS INTEGER)
		JOIN deposit d ON d.id = op.deposit_id
		JOIN payment_intent i ON i.id = d.intent_id
		WHERE t.store_id = ? AND t.at >= ? AND t.at < ? AND t.kind = 'deposit_consume' AND i.channel = ?`
	// Not settled: each from its partial index (payment_intent_open's
	// condition is the one written here, or SQLite will not use it).
	recOpenIntentSQL = `SELECT i.kind, i.out_trade_no, COALESCE(o.order_no,''), i.transaction_id, i.state, i.amount, i.created_at
		FROM payment_intent i LEFT JOIN orders o ON o.id = i.order_id
		WHERE i.state NOT IN ` + settledIntent + ` AND i.channel = ? AND i.created_at >= ? AND i.created_at < ?`
	recOpenRefundSQL = `SELECT r.out_refund_no, i.out_trade_no, COALESCE(o.order_no,''), r.refund_id, r.state, r.amount, r.created_at
		FROM refund r JOIN payment_intent i ON i.id = r.intent_id LEFT JOIN orders o ON o.id = r.order_id
		WHERE r.state IN ` + refundOpen + ` AND i.channel = ? AND r.created_at >= ? AND r.created_at < ?
		UNION ALL
		SELECT r.out_refund_no, i.out_trade_no, COALESCE(o.order_no,''), r.refund_id, r.state, r.amount, r.created_at
		FROM refund r JOIN payment_intent i ON i.id = r.intent_id LEFT JOIN orders o ON o.id = r.order_id
		WHERE r.state = 'manual' AND i.channel = ? AND r.created_at >= ? AND r.created_at < ?`
	recOpenOpSQL = `SELECT op.kind, op.out_request_no, i.out_trade_no, COALESCE(o.order_no,''), op.transaction_id, op.state, op.amount, op.created_at
		FROM deposit_operation op JOIN deposit d ON d.id = op.deposit_id
		JOIN payment_intent i ON i.id = d.intent_id LEFT JOIN orders o ON o.id = d.order_id
		WHERE op.state NOT IN ('done','failed') AND i.channel = ? AND op.created_at >= ? AND op.created_at < ?`
)

func intentRecord(kind string) reconcile.Record {
	if kind == "deposit" {
		return reconcile.RecordDeposit
	}
	return reconcile.RecordPayment
}

func opRecord(kind string) reconcile.Record {
	if kind == string(app.DepositOpRelease) {
		return reconcile.RecordRelease
	}
	return reconcile.RecordConsume
}

// Records implements reconcile.Store for the terminal's store.
func (s *ReconcileStore) Records(ctx context.Context, ch app.ChannelName, from, to time.Time) ([]reconcile.Local, error) {
	st, err := s.db.CurrentStore(ctx)
	if err != nil {
		return nil, err
	}
	f, t := ms(from), ms(to)
	var out []reconcile.Local
	scan := func(query string, args []any, row func(rows *sql.Rows) (reconcile.Local, error)) error {
		stmt, err := s.db.prepared(ctx, query)
		if err != nil {
			return err
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			l, err := row(rows)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return rows.Err()
	}
	intentRow := func(rows *sql.Rows) (reconcile.Local, error) {
		var l reconcile.Local
		var kind, state string
		var amount, at int64
		err := rows.Scan(&kind, &l.Ref, &l.OrderNo, &l.TransactionID, &state, &amount, &at)
		l.Record, l.OutTradeNo, l.Stored, l.State = intentRecord(kind), l.Ref, state, intentLocal(state)
		l.Amount, l.At = app.Money(amount), time.UnixMilli(at)
		return l, err
	}
	refundRow := func(rows *sql.Rows) (reconcile.Local, error) {
		l := reconcile.Local{Record: reconcile.RecordRefund}
		var state string
		var amount, at int64
		err := rows.Scan(&l.Ref, &l.OutTradeNo, &l.OrderNo, &l.TransactionID, &state, &amount, &at)
		l.Stored, l.State, l.Amount, l.At = state, refundLocal(state), app.Money(amount), time.UnixMilli(at)
		return l, err
	}
	consumeRow := func(rows *sql.Rows) (reconcile.Local, error) {
		l := reconcile.Local{Record: reconcile.RecordConsume}
		var state string
		var amount, at int64
		err := rows.Scan(&l.Ref, &l.OutTradeNo, &l.OrderNo, &l.TransactionID, &state, &amount, &at)
		l.Stored, l.State, l.Amount, l.At = state, opLocal(state), app.Money(amount), time.UnixMilli(at)
		return l, err
	}
	opRow := func(rows *sql.Rows) (reconcile.Local, error) {
		var l reconcile.Local
		var kind, state string
		var amount, at int64
		err := rows.Scan(&kind, &l.Ref, &l.OutTradeNo, &l.OrderNo, &l.TransactionID, &state, &amount, &at)
		l.Record, l.Stored, l.State, l.Amount, l.At = opRecord(kind), state, opLocal(state), app.Money(amount), time.UnixMilli(at)
		return l, err
	}
	c := string(ch)
	for _, q := range []struct {
		sql  string
		args []any
		row  func(*sql.Rows) (reconcile.Local, error)
	}{
		{recPaidSQL, []any{st.ID, f, t, c}, intentRow},
		{recRefundSQL, []any{st.ID, f, t, c}, refundRow},
		{recConsumeSQL, []any{st.ID, f, t, c}, consumeRow},
		{recOpenIntentSQL, []any{c, f, t}, intentRow},
		{recOpenRefundSQL, []any{c, f, t, c, f, t}, refundRow},
		{recOpenOpSQL, []any{c, f, t}, opRow},
	} {
		if err := scan(q.sql, q.args, q.row); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Lookup implements reconcile.Store: one probe of a unique index a number.
func (s *ReconcileStore) Lookup(ctx context.Context, ch app.ChannelName, charges, refunds []string) ([]reconcile.Local, error) {
	intentQ, err := s.db.prepared(ctx, `SELECT i.id, i.kind, i.out_trade_no, COALESCE(o.order_no,''), i.transaction_id, i.state, i.amount,
		COALESCE(i.finished_at, i.created_at) FROM payment_intent i LEFT JOIN orders o ON o.id = i.order_id
		WHERE i.out_trade_no = ? AND i.channel = ?`)
	if err != nil {
		return nil, err
	}
	const opCols = `SELECT op.kind, op.out_request_no, i.out_trade_no, COALESCE(o.order_no,''), op.transaction_id, op.state, op.amount,
		op.updated_at FROM deposit_operation op JOIN deposit d ON d.id = op.deposit_id
		JOIN payment_intent i ON i.id = d.intent_id LEFT JOIN orders o ON o.id = d.order_id `
	opsOfQ, err := s.db.prepared(ctx, opCols+`WHERE d.intent_id = ? ORDER BY op.id`)
	if err != nil {
		return nil, err
	}
	opQ, err := s.db.prepared(ctx, opCols+`WHERE op.out_request_no = ? AND i.channel = ?`)
	if err != nil {
		return nil, err
	}
	refundQ, err := s.db.prepared(ctx, `SELECT r.out_refund_no, i.out_trade_no, COALESCE(o.order_no,''), r.refund_id, r.state, r.amount,
		COALESCE(r.finished_at, r.created_at) FROM refund r JOIN payment_intent i ON i.id = r.intent_id
		LEFT JOIN orders o ON o.id = r.order_id WHERE r.out_refund_no = ? AND i.channel = ?`)
	if err != nil {
		return nil, err
	}
	var out []reconcile.Local
	ops := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l reconcile.Local
			var kind, state string
			var amount, at int64
			if err := rows.Scan(&kind, &l.Ref, &l.OutTradeNo, &l.OrderNo, &l.TransactionID, &state, &amount, &at); err != nil {
				return err
			}
			l.Record, l.Stored, l.State, l.Amount, l.At = opRecord(kind), state, opLocal(state), app.Money(amount), time.UnixMilli(at)
			out = append(out, l)
		}
		return rows.Err()
	}
	c := string(ch)
	for _, no := range charges {
		var l reconcile.Local
		var id, amount, at int64
		var kind, state string
		err := intentQ.QueryRowContext(ctx, no, c).Scan(&id, &kind, &l.Ref, &l.OrderNo, &l.TransactionID, &state, &amount, &at)
		switch {
		case err == nil:
			l.Record, l.OutTradeNo, l.Stored, l.State = intentRecord(kind), l.Ref, state, intentLocal(state)
			l.Amount, l.At = app.Money(amount), time.UnixMilli(at)
			out = append(out, l)
			if kind == "deposit" {
				// A WeChat consumption is billed under the deposit's number.
				if err := ops(opsOfQ.QueryContext(ctx, id)); err != nil {
					return nil, err
				}
			}
			continue
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
		if err := ops(opQ.QueryContext(ctx, no, c)); err != nil {
			return nil, err
		}
	}
	for _, no := range refunds {
		l := reconcile.Local{Record: reconcile.RecordRefund}
		var state string
		var amount, at int64
		err := refundQ.QueryRowContext(ctx, no, c).Scan(&l.Ref, &l.OutTradeNo, &l.OrderNo, &l.TransactionID, &state, &amount, &at)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		l.Stored, l.State, l.Amount, l.At = state, refundLocal(state), app.Money(amount), time.UnixMilli(at)
		out = append(out, l)
	}
	return out, nil
}

// BilledElsewhere implements reconcile.Store.
func (s *ReconcileStore) BilledElsewhere(ctx context.Context, ch app.ChannelName, day summary.Day, refs []string) (map[string]summary.Day, error) {
	q, err := s.db.prepared(ctx, `SELECT r.day FROM reconcile_line l JOIN reconcile_run r ON r.id = l.run_id
		WHERE l.ref = ? AND l.kind = 'matched' AND r.channel = ? AND r.day != ? LIMIT 1`)
	if err != nil {
		return nil, err
	}
	out := map[string]summary.Day{}
	for _, ref := range refs {
		var d int
		err := q.QueryRowContext(ctx, ref, string(ch), day.Int()).Scan(&d)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[ref] = dayOfInt(d)
	}
	return out, nil
}

func dayOfInt(d int) summary.Day {
	if d == 0 {
		return summary.Day{}
	}
	return summary.Day{Year: d / 10000, Month: time.Month(d / 100 % 100), D: d % 100}
}

// errorArgs keeps an error's parameters as text; the channel's name is
// the run's and is put back in words when read.
func errorArgs(m app.Message) string {
	args := map[string]string{}
	for k, v := range m.Args {
		if _, ok := v.(app.Message); ok {
			continue
		}
		args[k] = fmt.Sprint(v)
	}
	if len(args) == 0 {
		return ""
	}
	b, _ := json.Marshal(args)
	return string(b)
}

func runError(code, args string, ch app.ChannelName) app.Message {
	if code == "" {
		return app.Message{}
	}
	m := app.Msg(code, "Channel", app.ChannelTitle(ch))
	var kv map[string]string
	if json.Unmarshal([]byte(args), &kv) == nil {
		for k, v := range kv {
			m.Args[k] = v
		}
	}
	return m
}

// SaveRun implements reconcile.Store.
func (s *ReconcileStore) SaveRun(ctx context.Context, run *reconcile.Run, lines []reconcile.Difference) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		b, o, l := run.Bill, run.Others, run.Local
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO reconcile_run(day, channel, status, bill_count, bill_amount, bill_refund_count,
			bill_refund_amount, bill_fee, other_count, other_amount, other_refund_count, other_refund_amount, other_fee,
			local_count, local_amount, local_refund_count, local_refund_amount, matched, duplicates, open, error_code, error_args,
			staff_id, attempted_at, reconciled_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,'','',?,?,?)
			ON CONFLICT(day, channel) DO UPDATE SET status=excluded.status, bill_count=excluded.bill_count,
			bill_amount=excluded.bill_amount, bill_refund_count=excluded.bill_refund_count,
			bill_refund_amount=excluded.bill_refund_amount, bill_fee=excluded.bill_fee, other_count=excluded.other_count,
			other_amount=excluded.other_amount, other_refund_count=excluded.other_refund_count,
			other_refund_amount=excluded.other_refund_amount, other_fee=excluded.other_fee, local_count=excluded.local_count,
			local_amount=excluded.local_amount, local_refund_count=excluded.local_refund_count,
			local_refund_amount=excluded.local_refund_amount, matched=excluded.matched, duplicates=excluded.duplicates,
			error_code='', error_args='', staff_id=excluded.staff_id, attempted_at=excluded.attempted_at,
			reconciled_at=excluded.reconciled_at
			RETURNING id`,
			run.Day.Int(), string(run.Channel), string(statusOrDone(run.Status)), b.Count, int64(b.Amount), b.RefundCount,
			int64(b.RefundAmount), int64(b.Fee), o.Count, int64(o.Amount), o.RefundCount, int64(o.RefundAmount), int64(o.Fee),
			l.Count, int64(l.Amount), l.RefundCount, int64(l.RefundAmount), run.Matched, run.Duplicates,
			nullID(run.StaffID), ms(run.AttemptedAt), nullMS(run.ReconciledAt)).Scan(&id)
		if err != nil {
			return err
		}
		run.ID = id
		kept, err := resolvedLines(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM reconcile_line WHERE run_id=? AND resolution=''`, id); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO reconcile_line(run_id, kind, record, ref, out_trade_no, order_no,
			transaction_id, local_state, local_stored, local_amount, seen_state, seen_amount, seen_returned, seen_txn, seen_at,
			duplicates, at, resolution, resolved_by, resolved_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		touched := map[int64]bool{id: true}
		for _, d := range lines {
			if sameAsKept(kept, d) {
				continue
			}
			if d.OrderNo == "" && d.LocalState != reconcile.LocalAbsent {
				if d.OrderNo, err = orderNoOf(ctx, tx, d.Record, d.Ref); err != nil {
					return err
				}
			}
			var resolvedAt any
			if d.Resolved() {
				resolvedAt = ms(run.AttemptedAt)
			}
			if _, err := ins.ExecContext(ctx, id, string(d.Kind), string(d.Record), d.Ref, d.OutTradeNo, d.OrderNo,
				d.TransactionID, string(d.LocalState), d.LocalStored, int64(d.LocalAmount), string(d.Seen.State),
				int64(d.Seen.Amount), int64(d.Seen.Returned), d.Seen.TransactionID, nullMS(d.Seen.At), d.Seen.Duplicates,
				nullMS(d.At), string(d.Resolution), nullID(d.ResolvedBy), resolvedAt); err != nil {
				return err
			}
			if d.Kind != reconcile.Matched {
				continue
			}
			// This bill had the record: another day that missed it was
			// missing it from the wrong bill.
			rows, err := tx.QueryContext(ctx, `UPDATE reconcile_line SET resolution='matched', matched_day=?, resolved_at=?
				WHERE ref=? AND record=? AND kind='missing_channel' AND resolution=''
				  AND run_id IN (SELECT id FROM reconcile_run WHERE channel=? AND id != ?)
				RETURNING run_id`, run.Day.Int(), ms(run.AttemptedAt), d.Ref, string(d.Record), string(run.Channel), id)
			if err != nil {
				return err
			}
			for rows.Next() {
				var rid int64
				if err := rows.Scan(&rid); err != nil {
					rows.Close()
					return err
				}
				touched[rid] = true
			}
			if err := rows.Close(); err != nil {
				return err
			}
		}
		for rid := range touched {
			if err := refreshRun(ctx, tx, rid); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `SELECT open, status FROM reconcile_run WHERE id=?`, id).Scan(&run.Open, (*string)(&run.Status))
	})
}

// orderNoOf is the number of the order a record belongs to ("" none).
func orderNoOf(ctx context.Context, tx *sql.Tx, rec reconcile.Record, ref string) (string, error) {
	q := `SELECT o.order_no FROM payment_intent i JOIN orders o ON o.id = i.order_id WHERE i.out_trade_no = ?`
	switch rec {
	case reconcile.RecordRefund:
		q = `SELECT o.order_no FROM refund r JOIN orders o ON o.id = r.order_id WHERE r.out_refund_no = ?`
	case reconcile.RecordConsume, reconcile.RecordRelease:
		q = `SELECT o.order_no FROM deposit_operation op JOIN deposit d ON d.id = op.deposit_id JOIN orders o ON o.id = d.order_id
			WHERE op.out_request_no = ?`
	}
	var no string
	err := tx.QueryRowContext(ctx, q, ref).Scan(&no)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return no, err
}

func statusOrDone(st reconcile.Status) reconcile.Status {
	if st == reconcile.StatusEmpty {
		return st
	}
	return reconcile.StatusDone // refreshRun sets open when a line waits
}

type keptLine struct {
	kind, localState, seenState string
	localAmount, seenAmount     int64
}

func resolvedLines(ctx context.Context, tx *sql.Tx, runID int64) (map[string][]keptLine, error) {
	rows, err := tx.QueryContext(ctx, `SELECT record, ref, kind, local_state, local_amount, seen_state, seen_amount
		FROM reconcile_line WHERE run_id=? AND resolution!=''`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]keptLine{}
	for rows.Next() {
		var rec, ref string
		var k keptLine
		if err := rows.Scan(&rec, &ref, &k.kind, &k.localState, &k.localAmount, &k.seenState, &k.seenAmount); err != nil {
			return nil, err
		}
		out[rec+"\x00"+ref] = append(out[rec+"\x00"+ref], k)
	}
	return out, rows.Err()
}

// sameAsKept: a resolved line saying the same (its kind, both sides'
// states and amounts) keeps its resolution and is not added again.
func sameAsKept(kept map[string][]keptLine, d reconcile.Difference) bool {
	for _, k := range kept[string(d.Record)+"\x00"+d.Ref] {
		if k.kind == string(d.Kind) && k.localState == string(d.LocalState) && k.localAmount == int64(d.LocalAmount) &&
			k.seenState == string(d.Seen.State) && k.seenAmount == int64(d.Seen.Amount) {
			return true
		}
	}
	return false
}

// refreshRun counts a run's unresolved lines and sets its status from
// them (a run that failed or found no bill keeps its status).
func refreshRun(ctx context.Context, tx *sql.Tx, runID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE reconcile_run SET
		open = (SELECT count(*) FROM reconcile_line WHERE run_id = reconcile_run.id AND resolution = ''),
		status = CASE WHEN status IN ('open','done') THEN
			CASE WHEN EXISTS (SELECT 1 FROM reconcile_line WHERE run_id = reconcile_run.id AND resolution = '') THEN 'open' ELSE 'done' END
			ELSE status END
		WHERE id = ?`, runID)
	return err
}

// SaveAttempt implements reconcile.Store. A matched result (open or done)
// stands beside a failed attempt; "empty" does not: it only said nothing
// was due, and now something may be.
func (s *ReconcileStore) SaveAttempt(ctx context.Context, run *reconcile.Run) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO reconcile_run(day, channel, status, error_code, error_args, staff_id, attempted_at)
			VALUES (?,?,?,?,?,?,?)
			ON CONFLICT(day, channel) DO UPDATE SET error_code=excluded.error_code, error_args=excluded.error_args,
			staff_id=excluded.staff_id, attempted_at=excluded.attempted_at,
			status = CASE WHEN reconcile_run.status IN ('open','done') THEN reconcile_run.status ELSE excluded.status END
			RETURNING id`, run.Day.Int(), string(run.Channel), string(run.Status), run.Error.Code, errorArgs(run.Error),
			nullID(run.StaffID), ms(run.AttemptedAt)).Scan(&run.ID)
	})
}

const runCols = `id, day, channel, status, bill_count, bill_amount, bill_refund_count, bill_refund_amount, bill_fee,
	other_count, other_amount, other_refund_count, other_refund_amount, other_fee, local_count, local_amount,
	local_refund_count, local_refund_amount, matched, duplicates, open, error_code, error_args, COALESCE(staff_id, 0),
	attempted_at, reconciled_at FROM reconcile_run `

func scanRun(row interface{ Scan(...any) error }) (reconcile.Run, error) {
	var r reconcile.Run
	var day int
	var ch, status, code, args string
	var ba, bra, bf, oa, ora, of, la, lra, attempted int64
	var reconciled sql.NullInt64
	err := row.Scan(&r.ID, &day, &ch, &status, &r.Bill.Count, &ba, &r.Bill.RefundCount, &bra, &bf,
		&r.Others.Count, &oa, &r.Others.RefundCount, &ora, &of, &r.Local.Count, &la, &r.Local.RefundCount, &lra,
		&r.Matched, &r.Duplicates, &r.Open, &code, &args, &r.StaffID, &attempted, &reconciled)
	if err != nil {
		return r, err
	}
	r.Day, r.Channel, r.Status = dayOfInt(day), app.ChannelName(ch), reconcile.Status(status)
	r.Bill.Amount, r.Bill.RefundAmount, r.Bill.Fee = app.Money(ba), app.Money(bra), app.Money(bf)
	r.Others.Amount, r.Others.RefundAmount, r.Others.Fee = app.Money(oa), app.Money(ora), app.Money(of)
	r.Local.Amount, r.Local.RefundAmount = app.Money(la), app.Money(lra)
	r.Error = runError(code, args, r.Channel)
	r.AttemptedAt, r.ReconciledAt = time.UnixMilli(attempted), fromMS(reconciled)
	return r, nil
}

// Run implements reconcile.Store.
func (s *ReconcileStore) Run(ctx context.Context, day summary.Day, ch app.ChannelName) (reconcile.Run, error) {
	r, err := scanRun(s.db.reader.QueryRowContext(ctx, `SELECT `+runCols+`WHERE day=? AND channel=?`, day.Int(), string(ch)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, reconcile.ErrNoRun.With("Day", day.String(), "Channel", app.ChannelTitle(ch))
	}
	return r, err
}

// Runs implements reconcile.Store: newest day first, channels in order.
func (s *ReconcileStore) Runs(ctx context.Context, from, to summary.Day) ([]reconcile.Run, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT `+runCols+`WHERE day BETWEEN ? AND ? ORDER BY day DESC, channel`,
		from.Int(), to.Int())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []reconcile.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

const lineCols = `l.id, l.run_id, r.day, r.channel, l.kind, l.record, l.ref, l.out_trade_no, l.order_no, l.transaction_id,
	l.local_state, l.local_stored, l.local_amount, l.seen_state, l.seen_amount, l.seen_returned, l.seen_txn, l.seen_at,
	l.duplicates, l.at, l.resolution, COALESCE(l.matched_day, 0), l.note, COALESCE(l.resolved_by, 0), COALESCE(s.name, ''),
	l.resolved_at
	FROM reconcile_line l JOIN reconcile_run r ON r.id = l.run_id LEFT JOIN staff s ON s.id = l.resolved_by `

func scanLine(row interface{ Scan(...any) error }) (reconcile.Difference, error) {
	var d reconcile.Difference
	var day, matchedDay int
	var ch, kind, rec, ls, ss, res string
	var la, sa, sr int64
	var seenAt, at, resolvedAt sql.NullInt64
	err := row.Scan(&d.ID, &d.RunID, &day, &ch, &kind, &rec, &d.Ref, &d.OutTradeNo, &d.OrderNo, &d.TransactionID,
		&ls, &d.LocalStored, &la, &ss, &sa, &sr, &d.Seen.TransactionID, &seenAt, &d.Seen.Duplicates, &at, &res,
		&matchedDay, &d.Note, &d.ResolvedBy, &d.ResolvedByName, &resolvedAt)
	if err != nil {
		return d, err
	}
	d.Day, d.Channel, d.Kind, d.Record = dayOfInt(day), app.ChannelName(ch), reconcile.Kind(kind), reconcile.Record(rec)
	d.LocalState, d.LocalAmount = reconcile.LocalState(ls), app.Money(la)
	d.Seen.State, d.Seen.Amount, d.Seen.Returned, d.Seen.At = reconcile.SeenState(ss), app.Money(sa), app.Money(sr), fromMS(seenAt)
	d.At, d.Resolution, d.MatchedOn, d.ResolvedAt = fromMS(at), reconcile.Resolution(res), dayOfInt(matchedDay), fromMS(resolvedAt)
	return d, nil
}

// Differences implements reconcile.Store.
func (s *ReconcileStore) Differences(ctx context.Context, runID int64) ([]reconcile.Difference, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT `+lineCols+`WHERE l.run_id = ?`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []reconcile.Difference
	for rows.Next() {
		d, err := scanLine(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	reconcile.SortLines(out)
	return out, nil
}

// Difference implements reconcile.Store.
func (s *ReconcileStore) Difference(ctx context.Context, id int64) (reconcile.Difference, error) {
	d, err := scanLine(s.db.reader.QueryRowContext(ctx, `SELECT `+lineCols+`WHERE l.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, reconcile.ErrNoDifference.With("Ref", strconv.FormatInt(id, 10))
	}
	return d, err
}

// Resolve implements reconcile.Store. Only an unresolved line changes:
// a resolution is never taken back.
func (s *ReconcileStore) Resolve(ctx context.Context, d reconcile.Difference, audit *app.AuditEntry) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reconcile_line SET kind=?, local_state=?, local_stored=?, local_amount=?,
			transaction_id=?, resolution=?, note=?, resolved_by=?, resolved_at=? WHERE id=? AND resolution=''`,
			string(d.Kind), string(d.LocalState), d.LocalStored, int64(d.LocalAmount), d.TransactionID, string(d.Resolution),
			d.Note, nullID(d.ResolvedBy), nullMS(d.ResolvedAt), d.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return reconcile.ErrResolved.With("Resolution", "")
		}
		if audit != nil {
			if err := InsertAudit(ctx, tx, *audit); err != nil {
				return err
			}
		}
		return refreshRun(ctx, tx, d.RunID)
	})
}
