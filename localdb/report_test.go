package localdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/report"
	"cashier/app/summary"
	"cashier/localdb"
)

// daySums is the takings journal grouped as takings_day keeps it, and
// takings_day itself (without rows a removal brought to nothing).
func daySums(t *testing.T, db *localdb.DB) (journal, kept []string) {
	t.Helper()
	read := func(q string) []string {
		rows, err := db.Read().Query(q)
		require.NoError(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var store, day, staff, n, amount, discount int64
			var kind, method string
			require.NoError(t, rows.Scan(&store, &day, &staff, &kind, &method, &n, &amount, &discount))
			out = append(out, fmt.Sprintf("%d %d %d %s %s %d %d %d", store, day, staff, kind, method, n, amount, discount))
		}
		require.NoError(t, rows.Err())
		return out
	}
	return read(`SELECT store_id, business_day, staff_id, kind, method, count(*), sum(amount), sum(discount) FROM takings
			GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`),
		read(`SELECT store_id, business_day, staff_id, kind, method, n, amount, discount FROM takings_day WHERE n != 0 ORDER BY 1, 2, 3, 4, 5`)
}

// 0016's day sums start equal to the journal already written and follow
// it: a new row, a movement recorded twice (summed once), and even a row
// corrected or removed by hand.
func TestMigrate0016_DaySumsFollowTheJournal(t *testing.T) {
	ctx := context.Background()
	db, exec := fxAtVersion(t, 13)
	exec(fxSeedSQL + `
		INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES (2, 1, 'C2', 'Clerk 2', 'clerk', 'x', 0, 0);`)
	var rows []string
	kinds := []string{"sale", "discount", "refund", "sale", "deposit_hold", "deposit_consume"}
	methods := []string{"wechat", "alipay", "cash", "unionpay", "member"}
	for i := 0; i < 500; i++ {
		rows = append(rows, fmt.Sprintf("('%s', 'r:%d', 1, %d, NULL, NULL, '%s', %d, %d, %d, %d)",
			kinds[i%len(kinds)], i, 1+i%2, methods[(i*7)%len(methods)], (i*7919)%5000, (i*31)%97,
			int64(1796054400000)+int64(i)*300_000, 20261201+i/100))
	}
	exec(`INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day) VALUES ` +
		strings.Join(rows, ","))
	_, err := db.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)
	journal, kept := daySums(t, db)
	require.NotEmpty(t, journal)
	assert.Equal(t, journal, kept, "backfilled")

	exec(`INSERT INTO takings(kind, ref, store_id, staff_id, method, amount, discount, at, business_day)
		VALUES ('sale', 'new:1', 1, 2, 'cash', 1234, 56, 1796600000000, 20261207), ('sale', 'new:2', 1, 2, 'cash', 1, 0, 1796600000000, 20261207)`)
	exec(`INSERT INTO takings(kind, ref, store_id, staff_id, method, amount, discount, at, business_day)
		VALUES ('sale', 'new:1', 1, 2, 'cash', 1234, 56, 1796600000000, 20261207) ON CONFLICT(kind, ref) DO NOTHING`)
	journal, kept = daySums(t, db)
	assert.Equal(t, journal, kept, "new rows, the second recording of one ignored")
	assert.Contains(t, kept, "1 20261207 2 sale cash 2 1235 56")

	exec(`UPDATE takings SET amount = amount + 1, business_day = 20261208, method = 'wechat' WHERE ref = 'r:7'`)
	exec(`DELETE FROM takings WHERE ref IN ('r:8', 'new:2')`)
	journal, kept = daySums(t, db)
	assert.Equal(t, journal, kept, "a row corrected and rows removed by hand")
	ok, err := db.IntegrityCheck(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ok", ok)
}

func reportPlan(t *testing.T, db *localdb.DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.Read().Query(`EXPLAIN QUERY PLAN `+q, args...)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		out = append(out, detail)
	}
	require.NoError(t, rows.Err())
	return strings.Join(out, "; ")
}

// The details read the store's orders by time on orders_store_time in
// its order whatever the filters (never a sort, never another index the
// planner might like for one filter, never the whole table); the bills
// read the day sums by their key; the hours one covering index.
func TestReportQueries_Plans(t *testing.T) {
	w := newTakingsWorld(t)
	db := w.db
	from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for name, q := range map[string]report.DetailQuery{
		"bare":           {DetailFilter: report.DetailFilter{StoreID: 1}, Limit: 101},
		"range":          {DetailFilter: report.DetailFilter{StoreID: 1, From: from, To: to}, Limit: 101},
		"after a cursor": {DetailFilter: report.DetailFilter{StoreID: 1, From: from}, After: report.Cursor{At: to, ID: 99}, Limit: 101},
		"every filter": {DetailFilter: report.DetailFilter{StoreID: 1, From: from, To: to, Method: summary.MethodWeChat, StaffID: 2,
			ShiftID: 3, Kind: app.OrderSale, Min: 100, Max: 900, State: report.StatePaid}, Limit: 101},
		"open orders of a person": {DetailFilter: report.DetailFilter{StoreID: 1, StaffID: 2, State: report.StateUnsettled}, Limit: 101},
	} {
		sql, args := localdb.DetailsSQL(q)
		p := reportPlan(t, db, sql, args...)
		assert.Contains(t, p, "SEARCH o USING INDEX orders_store_time (store_id=? AND created_at>? AND created_at<?)", "%s: %s", name, p)
		assert.NotContains(t, p, "TEMP B-TREE", "%s: %s", name, p)
		assert.NotContains(t, p, "SCAN o", "%s: %s", name, p)
		assert.NotContains(t, p, "SCAN t", "%s: %s", name, p)
		t.Logf("%s: %s", name, p)
	}
	p := reportPlan(t, db, localdb.SumDaysQuery+` AND staff_id=? GROUP BY business_day, kind, method`, 1, 20261101, 20261130, 2)
	assert.Contains(t, p, "SEARCH takings_day USING PRIMARY KEY (store_id=? AND business_day>? AND business_day<?)", p)
	t.Log("days: ", p)
}
