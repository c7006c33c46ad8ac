package localdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/reconcile"
	"cashier/app/summary"
	"cashier/localdb"
	"cashier/sync/channel/wechat"
)

// A day of 100,000 WeChat payments at this terminal, and that day's bill
// of 100,000 rows with a few hundred differences planted (every 1,000th
// row 1 fen more, 100 rows missing, 100 rows of payments not here).
const fxRecN = 100_000

var fxRec struct {
	once sync.Once
	db   *localdb.DB
	bill app.Bill
	text []byte // the same bill as WeChat's downloadbill text
	err  error
	took time.Duration
}

func fxReconcile(b *testing.B) {
	fxRec.once.Do(func() {
		start := time.Now()
		fxSweepStaleBenchDirs()
		dir, err := os.MkdirTemp(fxBenchDir(), fmt.Sprintf("poscashier-bench-%d-", os.Getpid()))
		if err != nil {
			fxRec.err = err
			return
		}
		db, err := localdb.Open(filepath.Join(dir, "reconcile.db"))
		if err != nil {
			fxRec.err = err
			return
		}
		ctx := context.Background()
		if _, err := db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, time.Now()); err != nil {
			fxRec.err = err
			return
		}
		from, _ := reconcile.Window(recDay)
		st, _ := db.CurrentStore(ctx)
		term, _ := db.CurrentTerminal(ctx)
		staff, _, _ := db.StaffByCode(ctx, "1001")
		fxRec.err = db.Write(ctx, func(tx *sql.Tx) error {
			for _, q := range []string{
				`WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < :n - 1)
				 INSERT INTO orders(id, order_no, store_id, terminal_id, staff_id, kind, status, total, payable, paid, created_at, paid_at)
				 SELECT 1000000 + i, 'B' || i, :store, :term, :staff, 'sale', 'paid', 1000 + i % 5000, 1000 + i % 5000, 1000 + i % 5000,
				        :start + i * 864, :start + i * 864 + 2000 FROM k`,
				`INSERT INTO tender(id, order_id, kind, wallet, amount, state, staff_id, created_at, settled_at)
				 SELECT id, id, 'wallet', 'wechat', payable, 'paid', staff_id, created_at, paid_at FROM orders WHERE id >= 1000000`,
				`INSERT INTO payment_intent(id, out_trade_no, order_id, kind, channel, wallet, auth_code_masked, amount, state,
				   transaction_id, staff_id, created_at, updated_at, finished_at, tender_id)
				 SELECT id, 'sz01T1' || printf('%012d', id), id, 'pay', 'wechat', 'wechat', '1345**********0000', payable, 'paid',
				        '4200' || id, staff_id, created_at, paid_at, paid_at, id FROM orders WHERE id >= 1000000`,
				`INSERT INTO takings(kind, ref, store_id, staff_id, order_id, method, amount, discount, at, business_day)
				 SELECT 'sale', 'tender:' || id, store_id, staff_id, id, 'wechat', payable, 0, paid_at, 20261130
				 FROM orders WHERE id >= 1000000`,
				`ANALYZE`,
			} {
				if _, err := tx.ExecContext(ctx, q, sql.Named("n", fxRecN), sql.Named("store", st.ID), sql.Named("term", term.ID),
					sql.Named("staff", staff.ID), sql.Named("start", from.UnixMilli())); err != nil {
					return err
				}
			}
			return nil
		})
		var text strings.Builder
		text.WriteString("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n")
		var total app.Money
		row := func(no, txn string, amount app.Money, at time.Time) {
			l := app.BillLine{Time: at.Truncate(time.Second), OutTradeNo: no, TransactionID: txn, Status: "SUCCESS", Amount: amount,
				Fee: (amount*6 + 500) / 1000}
			fxRec.bill.Lines = append(fxRec.bill.Lines, l)
			total += amount
			fmt.Fprintf(&text, "`%s,`wx2421b1c4370ec43b,`10000100,`1900000109,`POS-1,`%s,`%s,`oUpF8u,`MICROPAY,`SUCCESS,`CMC,`CNY,`%s,`0.00,`0,`0,`0.00,`0.00,`,`,`商品,`,`%s,`0.60%%,`%s,`0.00,`\r\n",
				l.Time.In(app.ChinaTime).Format("2006-01-02 15:04:05"), txn, no, amount.Yuan(), l.Fee.Yuan(), amount.Yuan())
		}
		for i := 0; i < fxRecN; i++ {
			id := 1000000 + i
			if i%1000 == 500 {
				continue // here only
			}
			amount := app.Money(1000 + i%5000)
			if i%1000 == 0 {
				amount++ // the bill says 1 fen more
			}
			row(fmt.Sprintf("sz01T1%012d", id), fmt.Sprintf("4200%d", id), amount, from.Add(time.Duration(i)*864*time.Millisecond))
		}
		for i := 0; i < 100; i++ { // at the channel only
			row(fmt.Sprintf("sz01T1X%011d", i), fmt.Sprintf("4299%d", i), 500, from.Add(time.Duration(i)*time.Minute))
		}
		fmt.Fprintf(&text, "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`%d,`%s,`0.00,`0.00,`0.00,`%s,`0.00\r\n",
			len(fxRec.bill.Lines), total.Yuan(), total.Yuan())
		fxRec.text = []byte(text.String())
		fxRec.bill.Count, fxRec.bill.Total = len(fxRec.bill.Lines), total
		fxRec.db, fxRec.took = db, time.Since(start)
	})
	require.NoError(b, fxRec.err)
}

// benchBills serves the fixture's bill, parsed ahead (bill) or parsed
// from WeChat's text on every download (text).
type benchBills struct {
	bill app.Bill
	text []byte
}

func (b benchBills) Channels() []app.ChannelName { return []app.ChannelName{app.ChannelWeChat} }

func (b benchBills) Download(context.Context, app.ChannelName, summary.Day) (app.Bill, error) {
	if b.text != nil {
		return wechat.ParseBill(b.text)
	}
	return b.bill, nil
}

// heapPeak samples the live heap until stop is closed and returns the
// highest reading.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// measured runs fn b.N times and reports what it allocated per run and
// the live heap's peak above what was live before (MB).
func measured(b *testing.B, fn func()) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	stop := make(chan struct{})
	peak := heapPeak(stop)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fn()
	}
	b.StopTimer()
	close(stop)
	p := <-peak
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(b.N)/1e6, "MB-alloc/op")
	b.ReportMetric(float64(p-min(p, m0.HeapAlloc))/1e6, "MB-peak-heap")
}

// BenchmarkReconcile100k: one day of 100,000 local WeChat payments against
// a 100,000-row bill (targets: under 1 s, under 200 MB). ReadLocal is the
// same-run baseline: reading the day's 100,000 records and nothing else.
// Day matches a bill already parsed; ParseAndDay parses WeChat's text
// too, as the job does after the download.
func BenchmarkReconcile100k(b *testing.B) {
	fxReconcile(b)
	b.Logf("built the 100,000-payment day in %s", fxRec.took.Round(time.Millisecond))
	ctx := context.Background()
	store := fxRec.db.ReconcileStore()
	from, to := reconcile.Window(recDay)
	svc := func(bills reconcile.Bills) *reconcile.Service {
		return &reconcile.Service{Store: store, Bills: bills, Clock: app.NewManualClock(to.Add(9 * time.Hour)), Prefix: "sz01T1"}
	}
	b.Run("ReadLocal", func(b *testing.B) {
		measured(b, func() {
			recs, err := store.Records(ctx, app.ChannelWeChat, from.Add(-reconcile.DefaultGrace), to.Add(reconcile.DefaultGrace))
			if err != nil || len(recs) != fxRecN {
				b.Fatal(err, len(recs))
			}
		})
	})
	check := func(b *testing.B, res reconcile.Result, err error) {
		if err != nil || res.Run.Open != 300 || res.Run.Matched != fxRecN-200 {
			b.Fatalf("%v open %d matched %d", err, res.Run.Open, res.Run.Matched)
		}
	}
	b.Run("Day", func(b *testing.B) {
		s := svc(benchBills{bill: fxRec.bill})
		measured(b, func() {
			res, err := s.Day(ctx, recDay, app.ChannelWeChat)
			check(b, res, err)
		})
	})
	b.Run("ParseAndDay", func(b *testing.B) {
		s := svc(benchBills{text: fxRec.text})
		measured(b, func() {
			res, err := s.Day(ctx, recDay, app.ChannelWeChat)
			check(b, res, err)
		})
	})
}
