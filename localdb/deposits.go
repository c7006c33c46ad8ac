package localdb

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
)

// Errors of the desk's lookup (app/deposit owns them).
var (
	ErrNotADeposit       = deposit.ErrNotADeposit
	ErrDepositOtherStore = deposit.ErrOtherStore
)

// ShortNoLen is how many trailing characters of a deposit or transaction
// number the desk may type instead of the whole number, and ShortNoWindow
// how far back such a short number is looked for: the channels settle or
// refund a deposit within that window, so older ones cannot be meant.
const (
	ShortNoLen    = 6
	ShortNoWindow = 60 * 24 * time.Hour
)

// The desk's list types are app/deposit's.
type (
	DepositFilter = deposit.Filter
	DepositRow    = deposit.Row
)

// DefaultDepositLimit caps a list without a Limit.
const DefaultDepositLimit = deposit.DefaultLimit

const depositRowCols = depositCols + `, o.store_id, o.note`

func scanDepositRow(sc interface{ Scan(...any) error }) (DepositRow, error) {
	var r DepositRow
	d, err := scanDeposit(sc, &r.StoreID, &r.Note)
	d.Note = r.Note
	r.Deposit = d
	return r, err
}

// FindDeposit finds the deposits a desk means by q: a deposit's order
// number (the receipt barcode), the channel's transaction number shown in
// the guest's wallet, or the last ShortNoLen characters of either for a
// deposit of this store taken in the last ShortNoWindow.
func (db *DB) FindDeposit(ctx context.Context, storeID int64, q string) ([]payment.Deposit, error) {
	return db.FindDepositAt(ctx, storeID, q, time.Now())
}

// FindDepositAt is FindDeposit with the short-number window ending at now.
func (db *DB) FindDepositAt(ctx context.Context, storeID int64, q string, now time.Time) ([]payment.Deposit, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, ErrNotFound.With("Ref", q)
	}
	// The whole order number: a sale's is refused by name, as is another
	// store's deposit — both are mistakes the desk must see, not "none".
	var kind string
	var store int64
	err := db.reader.QueryRowContext(ctx, `SELECT kind, store_id FROM orders WHERE order_no=?`, q).Scan(&kind, &store)
	switch {
	case err == nil:
		if kind != string(app.OrderDeposit) {
			return nil, ErrNotADeposit.With("No", q)
		}
		if store != storeID {
			return nil, ErrDepositOtherStore.With("No", q)
		}
		return db.deposits(ctx, `WHERE d.deposit_no=?`, q)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	// The wallet's transaction number, through the partial index on
	// deposit intents (payment_intent_deposit_txn).
	found, err := db.depositRows(ctx, depositByTxn, q)
	if err != nil {
		return nil, err
	}
	if len(found) > 0 {
		var mine []payment.Deposit
		for _, r := range found {
			if r.StoreID == storeID {
				mine = append(mine, r.Deposit)
			}
		}
		if len(mine) == 0 {
			return nil, ErrDepositOtherStore.With("No", q)
		}
		return mine, nil
	}
	if len(q) == ShortNoLen {
		rows, err := db.depositRows(ctx, depositByShortNo, storeID, now.Add(-ShortNoWindow).UnixMilli(), q)
		if err != nil {
			return nil, err
		}
		var out []payment.Deposit
		for _, r := range rows {
			out = append(out, r.Deposit)
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, ErrNotFound.With("Ref", q)
}

const (
	depositByTxn = `SELECT ` + depositRowCols + ` FROM payment_intent i INDEXED BY payment_intent_deposit_txn
		CROSS JOIN deposit d ON d.intent_id = i.id CROSS JOIN orders o ON o.id = d.order_id
		WHERE i.transaction_id=?1 AND i.kind='deposit' AND i.transaction_id!='' ORDER BY d.id DESC`
	// The store's orders of the window through orders_store_time; the
	// deposit by its unique order_id.
	depositByShortNo = `SELECT ` + depositRowCols + ` FROM orders o CROSS JOIN deposit d ON d.order_id = o.id
		CROSS JOIN payment_intent i ON i.id = d.intent_id
		WHERE o.store_id=?1 AND o.created_at>=?2 AND o.kind='deposit'
		AND (substr(o.order_no, -6)=?3 OR substr(i.transaction_id, -6)=?3) ORDER BY o.created_at DESC`
)

func (db *DB) deposits(ctx context.Context, where string, args ...any) ([]payment.Deposit, error) {
	rows, err := db.depositRows(ctx, `SELECT `+depositRowCols+depositFrom+`JOIN orders o ON o.id = d.order_id `+where, args...)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound.With("Ref", args[0])
	}
	out := make([]payment.Deposit, len(rows))
	for i, r := range rows {
		out[i] = r.Deposit
	}
	return out, nil
}

func (db *DB) depositRows(ctx context.Context, query string, args ...any) ([]DepositRow, error) {
	rows, err := db.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DepositRow
	for rows.Next() {
		r, err := scanDepositRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ListDeposits is the desk's list, newest first. Open deposits are read
// through the partial index deposit_frozen (a handful however old the
// store); all deposits through the store's orders by time.
func (db *DB) ListDeposits(ctx context.Context, f DepositFilter) ([]DepositRow, error) {
	q, args := listDepositsQuery(f)
	return db.depositRows(ctx, q, args...)
}

func listDepositsQuery(f DepositFilter) (string, []any) {
	from, to := int64(0), int64(math.MaxInt64)
	if !f.From.IsZero() {
		from = f.From.UnixMilli()
	}
	if !f.To.IsZero() {
		to = f.To.UnixMilli()
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultDepositLimit
	}
	var q string
	if f.Open {
		q = `SELECT ` + depositRowCols + ` FROM deposit d INDEXED BY deposit_frozen
			CROSS JOIN orders o ON o.id = d.order_id CROSS JOIN payment_intent i ON i.id = d.intent_id
			WHERE d.state='frozen' AND d.created_at>=?2 AND d.created_at<?3 AND o.store_id=?1`
	} else {
		q = `SELECT ` + depositRowCols + ` FROM orders o CROSS JOIN deposit d ON d.order_id = o.id
			CROSS JOIN payment_intent i ON i.id = d.intent_id
			WHERE o.store_id=?1 AND o.created_at>=?2 AND o.created_at<?3 AND o.kind='deposit'`
	}
	args := []any{f.StoreID, from, to}
	if f.Wallet != "" {
		args = append(args, string(f.Wallet))
		q += ` AND i.wallet=?` + strconv.Itoa(len(args))
	}
	if f.MinAmount > 0 {
		args = append(args, int64(f.MinAmount))
		q += ` AND d.amount>=?` + strconv.Itoa(len(args))
	}
	if f.MaxAmount > 0 {
		args = append(args, int64(f.MaxAmount))
		q += ` AND d.amount<=?` + strconv.Itoa(len(args))
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		// A room is typed from its start (80 finds 801, not 1801); a
		// name may be typed in part. LIKE's wildcards are escaped.
		t = likeEscaper.Replace(t)
		args = append(args, t+"%", "%"+t+"%")
		n := strconv.Itoa(len(args))
		q += ` AND (d.room LIKE ?` + strconv.Itoa(len(args)-1) + ` ESCAPE '\' OR d.guest_name LIKE ?` + n + ` ESCAPE '\')`
	}
	if f.Open {
		q += ` ORDER BY d.created_at DESC`
	} else {
		q += ` ORDER BY o.created_at DESC`
	}
	args = append(args, limit)
	q += ` LIMIT ?` + strconv.Itoa(len(args))
	return q, args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// GetDeposit reads a deposit by its number or the wallet's transaction
// number (deposit.Store).
func (db *DB) GetDeposit(ctx context.Context, depositNo string) (payment.Deposit, error) {
	return NewPaymentStore(db).GetDeposit(ctx, depositNo)
}

// DepositOps is every consume and release of a deposit, oldest first.
func (db *DB) DepositOps(ctx context.Context, depositID int64) ([]payment.DepositOp, error) {
	return NewPaymentStore(db).depositOps(ctx, `WHERE op.deposit_id=? ORDER BY op.id`, depositID)
}
