package localdb

import (
	"context"
	"database/sql"
	"math"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/report"
	"cashier/app/summary"
)

var _ report.Store = (*DB)(nil)

// takingsFrom is the FROM and WHERE of the journal rows a summary filter
// selects, on the index SumTakings reads for the same filter.
func takingsFrom(f summary.Filter) (string, []any) {
	var q string
	var args []any
	switch {
	case f.ShiftID != 0:
		q = `FROM takings t INDEXED BY takings_shift WHERE t.shift_id=? AND t.store_id=?`
		args = append(args, f.ShiftID, f.StoreID)
		if !f.Day.IsZero() {
			q += ` AND t.business_day=?`
			args = append(args, f.Day.Int())
		}
		if !f.From.IsZero() {
			q += ` AND t.at>=? AND t.at<?`
			args = append(args, ms(f.From), ms(f.To))
		}
	case !f.Day.IsZero():
		q = `FROM takings t INDEXED BY takings_store_day WHERE t.store_id=? AND t.business_day=?`
		args = append(args, f.StoreID, f.Day.Int())
	case f.StaffID != 0:
		q = `FROM takings t INDEXED BY takings_staff_at WHERE t.staff_id=? AND t.at>=? AND t.at<? AND t.store_id=?`
		args = append(args, f.StaffID, ms(f.From), ms(f.To), f.StoreID)
	default:
		q = `FROM takings t INDEXED BY takings_store_at WHERE t.store_id=? AND t.at>=? AND t.at<?`
		args = append(args, f.StoreID, ms(f.From), ms(f.To))
	}
	if f.StaffID != 0 && (f.ShiftID != 0 || !f.Day.IsZero()) {
		q += ` AND t.staff_id=?`
		args = append(args, f.StaffID)
	}
	return q, args
}

// SumTakingsBy implements report.Store: the summary's journal rows grouped
// by person or by shift as well, each group named. The staff grouping of a
// business day reads takings_store_day alone (it holds the person); a time
// range or the shift grouping also reads each row's person or shift from
// the table — a day of a busy store is some ten thousand rows.
func (db *DB) SumTakingsBy(ctx context.Context, f summary.Filter, by report.By) ([]report.GroupRow, error) {
	from, args := takingsFrom(f)
	var q string
	switch by {
	case report.ByStaff:
		q = `SELECT g.k, g.kind, g.method, g.n, g.a, g.d, g.k, COALESCE(s.code,''), COALESCE(s.name,''), NULL, NULL
			FROM (SELECT t.staff_id AS k, t.kind, t.method, count(*) AS n, sum(t.amount) AS a, sum(t.discount) AS d ` + from +
			` GROUP BY t.staff_id, t.kind, t.method) g LEFT JOIN staff s ON s.id = g.k`
	case report.ByShift:
		q = `SELECT g.k, g.kind, g.method, g.n, g.a, g.d, COALESCE(sh.staff_id,0), COALESCE(s.code,''), COALESCE(s.name,''), sh.started_at, sh.ended_at
			FROM (SELECT COALESCE(t.shift_id,0) AS k, t.kind, t.method, count(*) AS n, sum(t.amount) AS a, sum(t.discount) AS d ` + from +
			` GROUP BY 1, t.kind, t.method) g LEFT JOIN shift sh ON sh.id = g.k LEFT JOIN staff s ON s.id = sh.staff_id`
	default:
		return nil, report.ErrBadBy.With("Value", string(by))
	}
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []report.GroupRow
	for rows.Next() {
		var r report.GroupRow
		var kind, method string
		var start, end sql.NullInt64
		if err := rows.Scan(&r.ID, &kind, &method, &r.Count, &r.Amount, &r.Discount, &r.StaffID, &r.StaffCode, &r.StaffName,
			&start, &end); err != nil {
			return nil, err
		}
		r.Kind, r.Method = summary.Kind(kind), summary.Method(method)
		r.Start, r.End = fromMS(start), fromMS(end)
		out = append(out, r)
	}
	return out, rows.Err()
}

// sumDaysQuery reads the journal's day sums (migration 0016): a month of a
// store is a few hundred rows whatever it took.
const sumDaysQuery = `SELECT business_day, kind, method, sum(n), sum(amount), sum(discount) FROM takings_day
	WHERE store_id=? AND business_day BETWEEN ? AND ?`

// SumTakingsDays implements report.Store.
func (db *DB) SumTakingsDays(ctx context.Context, storeID, staffID int64, from, to summary.Day) ([]report.DayRow, error) {
	q, args := sumDaysQuery, []any{storeID, from.Int(), to.Int()}
	if staffID != 0 {
		q += ` AND staff_id=?`
		args = append(args, staffID)
	}
	rows, err := db.reader.QueryContext(ctx, q+` GROUP BY business_day, kind, method`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []report.DayRow
	for rows.Next() {
		var r report.DayRow
		var day int
		var kind, method string
		if err := rows.Scan(&day, &kind, &method, &r.Count, &r.Amount, &r.Discount); err != nil {
			return nil, err
		}
		r.Day = summary.Day{Year: day / 10000, Month: time.Month(day / 100 % 100), D: day % 100}
		r.Kind, r.Method = summary.Kind(kind), summary.Method(method)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SumTakingsHours implements report.Store: the range on the store's (or
// the person's) covering index by time, grouped by the hour.
func (db *DB) SumTakingsHours(ctx context.Context, storeID, staffID int64, from, to time.Time) ([]report.HourRow, error) {
	q := `SELECT (at - ?1) / 3600000, kind, method, count(*), sum(amount), sum(discount)
		FROM takings INDEXED BY takings_store_at WHERE store_id=?2 AND at>=?1 AND at<?3 GROUP BY 1, 2, 3`
	args := []any{ms(from), storeID, ms(to)}
	if staffID != 0 {
		q = `SELECT (at - ?1) / 3600000, kind, method, count(*), sum(amount), sum(discount)
			FROM takings INDEXED BY takings_staff_at WHERE staff_id=?4 AND at>=?1 AND at<?3 AND store_id=?2 GROUP BY 1, 2, 3`
		args = append(args, staffID)
	}
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []report.HourRow
	for rows.Next() {
		var r report.HourRow
		var kind, method string
		if err := rows.Scan(&r.Hour, &kind, &method, &r.Count, &r.Amount, &r.Discount); err != nil {
			return nil, err
		}
		r.Kind, r.Method = summary.Kind(kind), summary.Method(method)
		out = append(out, r)
	}
	return out, rows.Err()
}

// methodOfTender is a tender's payment method (summary.MethodOf in SQL).
const methodOfTender = `CASE WHEN t.kind = 'cash' THEN 'cash' WHEN t.kind = 'member' OR t.wallet = 'member' THEN 'member'
	WHEN t.wallet IN ('alipay','unionpay') THEN t.wallet ELSE 'wechat' END`

// orderDetailsQuery reads the store's orders newest first on
// orders_store_time from a cursor: created at or before the cursor's
// time, and of those at its very time only the ones with a lower id, so
// a page starts where the last one ended whatever was written since. The
// filters are checked on each order on the way; %s is where they go.
const orderDetailsQuery = `SELECT o.id, o.order_no, o.kind, o.status, o.staff_id, COALESCE(s.name, ''),
	o.total, o.discount, o.payable, o.paid, o.refunded, o.created_at,
	COALESCE((SELECT group_concat(m, ',') FROM (
		SELECT ` + methodOfTender + ` AS m
		FROM tender t WHERE t.order_id = o.id AND t.state IN ('paid','pending','returned') ORDER BY t.id)), '')
	FROM orders o INDEXED BY orders_store_time LEFT JOIN staff s ON s.id = o.staff_id
	WHERE o.store_id = ? AND o.created_at >= ? AND o.created_at <= ? AND (o.created_at < ? OR o.id < ?)%s
	ORDER BY o.created_at DESC, o.id DESC LIMIT ?`

// detailsSQL builds the query and its arguments for q.
func detailsSQL(q report.DetailQuery) (string, []any) {
	upto, below := int64(math.MaxInt64), int64(math.MaxInt64)
	if !q.To.IsZero() {
		upto = ms(q.To) - 1
	}
	if !q.After.IsZero() {
		upto, below = min(upto, ms(q.After.At)), q.After.ID
	}
	args := []any{q.StoreID, ms(q.From), upto, upto, below}
	var where strings.Builder
	if q.StaffID != 0 {
		where.WriteString(` AND o.staff_id = ?`)
		args = append(args, q.StaffID)
	}
	if q.ShiftID != 0 {
		where.WriteString(` AND o.shift_id = ?`)
		args = append(args, q.ShiftID)
	}
	if q.Kind != "" {
		where.WriteString(` AND o.kind = ?`)
		args = append(args, string(q.Kind))
	}
	if st := q.State.Statuses(); len(st) > 0 {
		where.WriteString(` AND o.status IN (?` + strings.Repeat(`,?`, len(st)-1) + `)`)
		for _, s := range st {
			args = append(args, string(s))
		}
	}
	if q.Min > 0 {
		where.WriteString(` AND o.payable >= ?`)
		args = append(args, int64(q.Min))
	}
	if q.Max > 0 {
		where.WriteString(` AND o.payable <= ?`)
		args = append(args, int64(q.Max))
	}
	if q.Method != "" {
		where.WriteString(` AND EXISTS (SELECT 1 FROM tender t WHERE t.order_id = o.id AND t.state IN ('paid','pending','returned') AND ` +
			methodOfTender + ` = ?)`)
		args = append(args, string(q.Method))
	}
	return strings.Replace(orderDetailsQuery, "%s", where.String(), 1), append(args, q.Limit)
}

// OrderDetails implements report.Store.
func (db *DB) OrderDetails(ctx context.Context, q report.DetailQuery) ([]report.Detail, error) {
	query, args := detailsSQL(q)
	rows, err := db.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []report.Detail
	for rows.Next() {
		var d report.Detail
		var kind, status, methods string
		var at int64
		if err := rows.Scan(&d.ID, &d.OrderNo, &kind, &status, &d.StaffID, &d.StaffName,
			&d.Total, &d.Discount, &d.Amount, &d.Paid, &d.Refunded, &at, &methods); err != nil {
			return nil, err
		}
		d.Kind, d.Status, d.At = app.OrderKind(kind), app.OrderStatus(status), time.UnixMilli(at)
		d.Methods = methodList(methods)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Stores implements report.Store: the merchant's stores by code.
func (db *DB) Stores(ctx context.Context) ([]app.StoreInfo, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT s.id, s.merchant_id, m.name, s.code, s.name, s.address, s.phone, s.receipt_footer, s.timezone, s.scale_layout
		FROM store s JOIN merchant m ON m.id = s.merchant_id ORDER BY s.code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.StoreInfo
	for rows.Next() {
		var s app.StoreInfo
		if err := rows.Scan(&s.ID, &s.MerchantID, &s.MerchantName, &s.Code, &s.Name, &s.Address, &s.Phone, &s.ReceiptFooter,
			&s.Timezone, &s.ScaleLayout); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
