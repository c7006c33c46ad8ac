package localdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app/summary"
	"cashier/localdb"
)

// A version-3 database with settled money goes through 0004: the takings
// journal is filled from it, so a summary over the old days shows what
// was taken, given back and held.
func TestMigrate0004_FillsTheJournal(t *testing.T) {
	ctx := context.Background()
	db, exec := fxAtVersion(t, 3)
	// 2025-11-20 10:00 China time = 02:00 UTC = 1763604000000 ms.
	const at = 1763604000000
	exec(`INSERT INTO merchant(id, code, name, created_at) VALUES (1,'M1','m',0)`)
	exec(`INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (1,1,'S1','s',0)`)
	exec(`INSERT INTO terminal(id, store_id, code, name, created_at) VALUES (1,1,'T1','t',0)`)
	exec(`INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES (7,1,'1001','w','manager','x',0,0)`)
	// 1: WeChat 10.00 paid, 3.00 refunded; 2: 20.00 less 2.00 discount in cash;
	// 3: a voided order whose 5.00 cash went back; 4: a deposit of 300.00,
	// 100.00 consumed and the rest released; 5: an Alipay payment left open.
	exec(`INSERT INTO orders(id, order_no, store_id, terminal_id, staff_id, kind, status, total, discount, payable, paid, refunded, created_at, paid_at) VALUES
		(1,'O1',1,1,7,'sale','part_refunded',1000,0,1000,1000,300,` + "1763604000000,1763604000000" + `),
		(2,'O2',1,1,7,'sale','paid',2000,200,1800,1800,0,1763604060000,1763604060000),
		(3,'O3',1,1,7,'sale','closed',800,0,800,500,500,1763604120000,NULL),
		(4,'O4',1,1,7,'deposit','paid',30000,0,30000,30000,0,1763604180000,1763604180000),
		(5,'O5',1,1,7,'sale','open',900,0,900,0,0,1763604240000,NULL)`)
	exec(`INSERT INTO tender(id, order_id, kind, wallet, amount, state, staff_id, created_at, settled_at) VALUES
		(1,1,'wallet','wechat',1000,'paid',7,1763604000000,1763604000000),
		(2,2,'cash','',1800,'paid',7,1763604060000,1763604060000),
		(3,3,'cash','',500,'returned',7,1763604120000,1763604130000),
		(4,4,'wallet','wechat',30000,'paid',7,1763604180000,1763604180000),
		(5,5,'wallet','alipay',900,'pending',7,1763604240000,NULL)`)
	exec(`INSERT INTO payment_intent(id, out_trade_no, order_id, tender_id, kind, channel, wallet, auth_code_masked, amount, state, created_at, updated_at, finished_at) VALUES
		(11,'P1',1,1,'pay','wechat','wechat','13****89',1000,'paid',1763604000000,1763604000000,1763604000000),
		(14,'P4',4,4,'deposit','wechat','wechat','13****02',30000,'paid',1763604180000,1763604180000,1763604180000),
		(15,'P5',5,5,'pay','alipay','alipay','28****02',900,'unknown',1763604240000,1763604240000,NULL)`)
	exec(`INSERT INTO refund(out_refund_no, order_id, intent_id, amount, state, staff_id, created_at, updated_at, finished_at)
		VALUES ('R1',1,11,300,'refunded',7,1763604300000,1763604300000,1763604300000)`)
	exec(`INSERT INTO deposit(id, deposit_no, order_id, intent_id, amount, consumed, released, state, created_at, settled_at)
		VALUES (1,'O4',4,14,30000,10000,20000,'consumed',1763604180000,1763604360000)`)
	exec(`INSERT INTO deposit_operation(deposit_id, kind, out_request_no, amount, state, staff_id, created_at, updated_at)
		VALUES (1,'consume','C1',10000,'done',7,1763604360000,1763604360000)`)

	_, err := db.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)

	s, err := summary.Engine{Store: db}.Summarize(ctx, summary.Filter{StoreID: 1, Day: summary.Day{Year: 2025, Month: 11, D: 20}})
	require.NoError(t, err)
	assert.Equal(t, figures(2, 11000, 0, 1, 300, 300), s.Method(summary.MethodWeChat), "the WeChat sale and the deposit's consume")
	assert.Equal(t, figures(2, 2300, 200, 1, 500, 500), s.Method(summary.MethodCash), "the cash sale and the voided order's cash")
	assert.Equal(t, summary.Figures{}, s.Method(summary.MethodAlipay), "the open payment took nothing yet")
	assert.Equal(t, summary.Deposits{TakenCount: 1, Taken: 30000, Consumed: 10000, Released: 20000}, s.Deposits)
	// The business day is China's: 10:00 there is still the 20th.
	r, err := summary.Engine{Store: db}.Summarize(ctx, summary.Filter{StoreID: 1,
		From: time.UnixMilli(at).Add(-time.Hour), To: time.UnixMilli(at).Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, int64(4), r.Total.TxCount)
}

// The journal filled from old data follows the live rules: a movement on
// its person's shift at its time belongs to the day the shift started
// (this one crosses midnight), and a refund carries back its share of the
// tender's discount, cumulatively, as a refund done today would.
func TestMigrate0004_ShiftDaysAndRefundDiscountShares(t *testing.T) {
	ctx := context.Background()
	db, exec := fxAtVersion(t, 3)
	// China time, 2025-11-20 22:00 = 1763647200000 ms; the shift ends at 02:00.
	exec(`INSERT INTO merchant(id, code, name, created_at) VALUES (1,'M1','m',0)`)
	exec(`INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (1,1,'S1','s',0)`)
	exec(`INSERT INTO terminal(id, store_id, code, name, created_at) VALUES (1,1,'T1','t',0)`)
	exec(`INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES (7,1,'1001','w','manager','x',0,0)`)
	exec(`INSERT INTO shift(id, store_id, terminal_id, staff_id, started_at, ended_at) VALUES (1,1,1,7,1763647200000,1763661600000)`)
	// 100.00 less 10.00, paid by WeChat at 00:30 on the shift; 45.00
	// refunded at 01:00 on it, 15.00 more at 10:00 the next morning.
	exec(`INSERT INTO orders(id, order_no, store_id, terminal_id, staff_id, shift_id, kind, status, total, discount, payable, paid, refunded, created_at, paid_at)
		VALUES (1,'O1',1,1,7,1,'sale','part_refunded',10000,1000,9000,9000,6000,1763656200000,1763656200000)`)
	exec(`INSERT INTO tender(id, order_id, kind, wallet, amount, state, staff_id, shift_id, created_at, settled_at)
		VALUES (1,1,'wallet','wechat',9000,'paid',7,1,1763656200000,1763656200000)`)
	exec(`INSERT INTO payment_intent(id, out_trade_no, order_id, tender_id, kind, channel, wallet, auth_code_masked, amount, state, created_at, updated_at, finished_at)
		VALUES (11,'P1',1,1,'pay','wechat','wechat','13****89',9000,'paid',1763656200000,1763656200000,1763656200000)`)
	exec(`INSERT INTO refund(id, out_refund_no, order_id, intent_id, amount, state, staff_id, created_at, updated_at, finished_at) VALUES
		(1,'R1',1,11,4500,'refunded',7,1763658000000,1763658000000,1763658000000),
		(2,'R2',1,11,1500,'refunded',7,1763690400000,1763690400000,1763690400000)`)

	_, err := db.Migrate(ctx, localdb.Migrations(), false)
	require.NoError(t, err)

	e := summary.Engine{Store: db}
	day20, err := e.Summarize(ctx, summary.Filter{StoreID: 1, Day: summary.Day{Year: 2025, Month: 11, D: 20}})
	require.NoError(t, err)
	// 45.00 of 90.00 carries back half of the 10.00 discount.
	assert.Equal(t, figures(1, 9000, 1000, 1, 4500, 5000), day20.Total, "the shift's day: the sale, its discount, the refund on the shift")
	sh, err := e.Summarize(ctx, summary.Filter{StoreID: 1, ShiftID: 1})
	require.NoError(t, err)
	assert.Equal(t, day20.Total, sh.Total)
	day21, err := e.Summarize(ctx, summary.Filter{StoreID: 1, Day: summary.Day{Year: 2025, Month: 11, D: 21}})
	require.NoError(t, err)
	// 60.00 refunded carries 6.66 in all: 5.00 before, 1.66 now.
	assert.Equal(t, figures(0, 0, 0, 1, 1500, 1666), day21.Total, "the refund off shift, on its own day")
}
