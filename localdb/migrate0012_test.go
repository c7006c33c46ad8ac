package localdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app/summary"
	"cashier/localdb"
)

// 0012 only re-sorts two of the takings journal's indexes: every summary
// of a journal written before it reads the same figures after it.
func TestMigrate0012_SummariesUnchanged(t *testing.T) {
	ctx := context.Background()
	db, exec := fxAtVersion(t, 11)
	exec(fxSeedSQL + `
		INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES (2, 1, 'C2', 'Clerk 2', 'clerk', 'x', 0, 0);
		INSERT INTO shift(id, store_id, terminal_id, staff_id, started_at, ended_at) VALUES
			(1, 1, 1, 1, 1796054400000, 1796083200000), (2, 1, 1, 2, 1796083200000, NULL);`)
	// Two days, two people, every kind and method, amounts in no order.
	var rows []string
	kinds := []string{"sale", "discount", "refund", "sale", "deposit_hold"}
	methods := []string{"wechat", "alipay", "cash", "unionpay", "member"}
	for i := 0; i < 300; i++ {
		staff, shift := 1+i%2, "NULL"
		if i%3 != 0 {
			shift = fmt.Sprint(staff)
		}
		at := int64(1796054400000) + int64(i)*300_000
		rows = append(rows, fmt.Sprintf("('%s', 'r:%d', 1, %d, %s, NULL, '%s', %d, %d, %d, %d)",
			kinds[i%len(kinds)], i, staff, shift, methods[(i*7)%len(methods)], (i*7919)%5000, (i*31)%97, at,
			20261201+i/200))
	}
	exec(`INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day) VALUES ` +
		strings.Join(rows, ","))

	filters := map[string]summary.Filter{
		"shift 1":         {StoreID: 1, ShiftID: 1},
		"shift 2 so far":  {StoreID: 1, ShiftID: 2, From: time.UnixMilli(1796083200000), To: time.UnixMilli(1796140000000)},
		"day":             {StoreID: 1, Day: summary.Day{Year: 2026, Month: 12, D: 1}},
		"day, one person": {StoreID: 1, Day: summary.Day{Year: 2026, Month: 12, D: 2}, StaffID: 2},
		"range":           {StoreID: 1, From: time.UnixMilli(1796054400000), To: time.UnixMilli(1796100000000)},
		"person's range":  {StoreID: 1, StaffID: 1, From: time.UnixMilli(1796054400000), To: time.UnixMilli(1796100000000)},
	}
	before := map[string][]summary.Row{}
	for name, f := range filters {
		r, err := db.SumTakings(ctx, f)
		require.NoError(t, err)
		require.NotEmpty(t, r, name)
		before[name] = r
	}

	_, err := db.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)
	for name, f := range filters {
		r, err := db.SumTakings(ctx, f)
		require.NoError(t, err)
		assert.ElementsMatch(t, before[name], r, name)
	}
	ok, err := db.IntegrityCheck(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ok", ok)
}
