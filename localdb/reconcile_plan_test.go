package localdb

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A day's reconciliation reads its records through indexes, never by
// walking the history of payments, refunds or deposit operations: the
// settled movements from the journal's store-and-time index, each record
// by its key from there; what is not settled from the partial indexes.
func TestReconcilePlans(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.SeedDemo(context.Background(), testHasher, time.Now())
	require.NoError(t, err)
	for _, c := range []struct {
		q    string
		args []any
		want []string
	}{
		{recPaidSQL, []any{1, 0, 1, "wechat"}, []string{"t USING INDEX takings_store_at (store_id=? AND at>? AND at<?)",
			"i USING INDEX payment_intent_tender (tender_id=?)"}},
		{recRefundSQL, []any{1, 0, 1, "wechat"}, []string{"takings_store_at (store_id=? AND at>? AND at<?)",
			"r USING INTEGER PRIMARY KEY", "i USING INTEGER PRIMARY KEY"}},
		{recConsumeSQL, []any{1, 0, 1, "wechat"}, []string{"takings_store_at (store_id=? AND at>? AND at<?)",
			"op USING INTEGER PRIMARY KEY", "d USING INTEGER PRIMARY KEY"}},
		{recOpenIntentSQL, []any{"wechat", 0, 1}, []string{"i USING INDEX payment_intent_open"}},
		{recOpenRefundSQL, []any{"wechat", 0, 1, "wechat", 0, 1}, []string{"r USING INDEX refund_open", "r USING INDEX refund_manual"}},
		{recOpenOpSQL, []any{"wechat", 0, 1}, []string{"op USING INDEX deposit_operation_open"}},
	} {
		plan := queryPlan(t, db, c.q, c.args...)
		for _, w := range c.want {
			require.Contains(t, plan, w, c.q)
		}
		for _, table := range []string{"SCAN t", "SCAN i", "SCAN r", "SCAN op", "SCAN d", "SCAN o"} {
			// a partial index is scanned whole (it holds only what is open); a table never
			require.NotContains(t, plan+";", table+";", c.q)
		}
	}
}
