package localdb_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/localdb"
)

// A version-2 database with money in it goes through 0003: every old
// payment becomes exactly its order's tender, refunds and deposit
// operations are kept, no foreign key dangles, and the store reads the
// result.
func TestMigrate0003_KeepsVersion2Money(t *testing.T) {
	ctx := context.Background()
	db, exec := fxAtVersion(t, 2)
	exec(`INSERT INTO merchant(id, code, name, created_at) VALUES (1,'M1','m',0)`)
	exec(`INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (1,1,'S1','s',0)`)
	exec(`INSERT INTO terminal(id, store_id, code, name, created_at) VALUES (1,1,'T1','t',0)`)
	exec(`INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES (7,1,'1001','w','manager','x',0,0)`)
	// 1: paid and part refunded; 2: manual; 3: reversed; 4: a deposit with an open consume.
	exec(`INSERT INTO orders(id, order_no, store_id, terminal_id, staff_id, kind, status, total, payable, paid, refunded, created_at) VALUES
		(1,'O1',1,1,7,'sale','part_refunded',1000,1000,1000,300,100),
		(2,'O2',1,1,7,'sale','paying',500,500,0,0,200),
		(3,'O3',1,1,7,'sale','closed',700,700,0,0,300),
		(4,'O4',1,1,7,'deposit','paid',30000,30000,30000,0,400)`)
	exec(`INSERT INTO payment_intent(id, out_trade_no, order_id, kind, channel, wallet, auth_code_masked, amount, state, created_at, updated_at, finished_at) VALUES
		(11,'P1',1,'pay','wechat','wechat','13****89',1000,'paid',100,101,101),
		(12,'P2',2,'pay','alipay','alipay','28****00',500,'manual',200,201,NULL),
		(13,'P3',3,'pay','wechat','wechat','13****01',700,'reversed',300,301,301),
		(14,'P4',4,'deposit','wechat','wechat','13****02',30000,'paid',400,401,401)`)
	exec(`INSERT INTO refund(out_refund_no, order_id, intent_id, amount, state, staff_id, created_at, updated_at, finished_at)
		VALUES ('R1',1,11,300,'refunded',7,500,501,501)`)
	exec(`INSERT INTO deposit(id, deposit_no, order_id, intent_id, amount, state, created_at) VALUES (1,'O4',4,14,30000,'frozen',401)`)
	exec(`INSERT INTO deposit_operation(deposit_id, kind, out_request_no, amount, state, created_at, updated_at)
		VALUES (1,'consume','C1',10000,'unknown',600,600)`)

	_, err := db.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)

	type row struct {
		Intent, Tender int64
		State          string
		Settled        bool
	}
	rows, err := db.Read().QueryContext(ctx, `SELECT i.id, i.tender_id, t.state, t.settled_at IS NOT NULL
		FROM payment_intent i JOIN tender t ON t.id = i.tender_id AND t.order_id = i.order_id AND t.amount = i.amount ORDER BY i.id`)
	require.NoError(t, err)
	var got []row
	for rows.Next() {
		var r row
		require.NoError(t, rows.Scan(&r.Intent, &r.Tender, &r.State, &r.Settled))
		got = append(got, r)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	assert.Equal(t, []row{
		{11, 11, "paid", true},
		{12, 12, "pending", false}, // with a person: not settled
		{13, 13, "failed", true},
		{14, 14, "paid", true},
	}, got)
	assert.Equal(t, 4, fxCount(t, db.Read(), `SELECT count(*) FROM tender`))
	assert.Equal(t, "refunded", fxString(t, db.Read(), `SELECT state FROM refund WHERE out_refund_no='R1'`))
	assert.Equal(t, "unknown", fxString(t, db.Read(), `SELECT state FROM deposit_operation WHERE out_request_no='C1'`))
	assert.Equal(t, 0, fxCount(t, db.Read(), `SELECT count(*) FROM pragma_foreign_key_check`))
	assert.Contains(t, queryPlan(t, db, `SELECT id FROM payment_intent WHERE tender_id=1`), "payment_intent_tender")
	assert.Contains(t, queryPlan(t, db, `SELECT id FROM payment_intent WHERE state NOT IN ('paid','failed','reversed','closed')`), "payment_intent_open")

	o, err := db.GetOrder(ctx, "O1")
	require.NoError(t, err)
	require.Len(t, o.Tenders, 1)
	assert.Equal(t, app.TenderPaid, o.Tenders[0].State)
	assert.Equal(t, "P1", o.Tenders[0].OutTradeNo)
	open, err := localdb.NewPaymentStore(db).OpenIntents(ctx)
	require.NoError(t, err)
	require.Len(t, open, 1)
	assert.Equal(t, "P2", open[0].OutTradeNo, "the manual payment is still listed for recovery")
}

// queryPlan is SQLite's plan for q, its steps joined.
func queryPlan(t *testing.T, db *localdb.DB, q string) string {
	t.Helper()
	rows, err := db.Read().Query(`EXPLAIN QUERY PLAN ` + q)
	require.NoError(t, err)
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan += detail + " | "
	}
	require.NoError(t, rows.Err())
	return plan
}
