package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
	"cashier/app/reconcile"
	"cashier/app/sale"
	"cashier/app/summary"
	"cashier/localdb"
	"cashier/sync/channel/setup"
	"cashier/sync/sandbox"
)

// billDesk stands between the app and a channel client: it edits the bill
// the client downloaded from the sandbox (what a test plants as the
// channel's word), and can lose the network for a payment — the pay call
// reaches the channel, its answer and the queries after it do not.
type billDesk struct {
	app.PaymentChannel
	mu     sync.Mutex
	edit   func(*app.Bill)
	lost   bool
	cancel func()
}

func (d *billDesk) DownloadBill(ctx context.Context, day time.Time) (app.Bill, error) {
	b, err := d.PaymentChannel.DownloadBill(ctx, day)
	d.mu.Lock()
	edit := d.edit
	d.mu.Unlock()
	if err == nil && edit != nil {
		edit(&b)
	}
	return b, err
}

func (d *billDesk) isLost() (bool, func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lost, d.cancel
}

func (d *billDesk) Pay(ctx context.Context, r app.PayRequest) (app.ChannelResult, error) {
	res, err := d.PaymentChannel.Pay(ctx, r)
	if lost, _ := d.isLost(); lost {
		return app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "TIMEOUT"}, nil
	}
	return res, err
}

func (d *billDesk) Query(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	if lost, cancel := d.isLost(); lost {
		cancel() // the till goes down while it still does not know
		return app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "TIMEOUT"}, nil
	}
	return d.PaymentChannel.Query(ctx, r)
}

func (d *billDesk) Reverse(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	if lost, _ := d.isLost(); lost {
		return app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "TIMEOUT"}, nil
	}
	return d.PaymentChannel.Reverse(ctx, r)
}

// newReconcileWorld is newWorld on a clock that starts at 10:00 China
// time today: the fast clock keeps the bill day one day for the test.
func newReconcileWorld(t *testing.T, ch app.ChannelName) (*world, *billDesk) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	now := time.Now().In(app.ChinaTime)
	base := time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, app.ChinaTime)
	clock := paytest.NewFastClockAt(base, time.Now(), speedup)
	sb := filepath.Join(t.TempDir(), "gateway")
	copySandbox(t, sb)
	gw, err := StartSandbox(ctx, sb, clock)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Server.Close() })
	w := &world{t: t, clock: clock, gw: gw, dir: t.TempDir()}
	f := gw.File()
	f.Routes = routeAllTo(ch)
	require.NoError(t, f.Write(filepath.Join(w.dir, setup.FileName)))
	desk := &billDesk{}
	w.open(func(c app.PaymentChannel) app.PaymentChannel {
		desk.PaymentChannel = c
		return desk
	})
	return w, desk
}

func walletOf(ch app.ChannelName) app.Wallet {
	if ch == app.ChannelAlipay {
		return app.WalletAlipay
	}
	return app.WalletWeChat
}

func billDayOf(w *world) summary.Day { return summary.DayOf(w.clock.Now(), app.ChinaTime) }

// chargeLine is the bill's row of the money taken under no.
func chargeLine(b *app.Bill, no string) int {
	for i, l := range b.Lines {
		if l.OutTradeNo == no && l.OutRefundNo == "" && l.Status != "REFUND" || l.OutTradeNo == no && l.Status == "REFUND" && l.OutRefundNo == "" {
			return i
		}
	}
	return -1
}

func unresolvedKinds(lines []reconcile.Difference) map[string]reconcile.Kind {
	out := map[string]reconcile.Kind{}
	for _, d := range lines {
		if !d.Resolved() {
			out[d.Ref] = d.Kind
		}
	}
	return out
}

// A day of real payments, refunds and deposits through the sandbox, with
// a difference of each kind planted in its bill (or left here): the
// reconciliation finds all of them and only them, per channel. The
// payment left unknown here that the channel took is settled by a query
// and matches; another difference is explained (audited).
func TestReconcile_PlantedDifferences(t *testing.T) {
	for _, ch := range []app.ChannelName{app.ChannelWeChat, app.ChannelAlipay, app.ChannelCloudPay} {
		t.Run(string(ch), func(t *testing.T) {
			w, desk := newReconcileWorld(t, ch)
			ctx := context.Background()
			wallet := walletOf(ch)
			paid := func(amount app.Money) sale.Outcome {
				t.Helper()
				out, err := w.payCode(codeFor(wallet, "000"), amount)
				require.NoError(t, err)
				require.True(t, out.Payment.Paid(), "%+v", out.Payment)
				return out
			}
			p1 := paid(1250) // matched; its row twice in the bill
			p2 := paid(3000) // matched, refunded in part
			r1, err := w.refund(p2.Order.OrderNo, 500)
			require.NoError(t, err)
			require.True(t, r1.Refunded())
			p3 := paid(2000) // here only
			p4 := paid(1000) // the bill says 1 fen more
			p6 := paid(900)  // the bill says reversed

			// A deposit consumed: the bills list the consumption (Cloud Pay
			// the freeze too).
			dep, err := w.payKind(codeFor(wallet, "000"), 10000, true)
			require.NoError(t, err)
			require.True(t, dep.Payment.Paid())
			c, err := w.pay.Consume(ctx, payment.DepositOpInput{DepositNo: dep.Order.OrderNo, Amount: 3000, StaffID: w.staff.ID})
			require.NoError(t, err)
			require.True(t, c.Done(), "%+v", c)

			// The network is lost for p5: the channel takes the money, the
			// till goes down before it knows.
			o5, err := w.checkout.Open(ctx, sale.OrderInput{Staff: w.staff, Total: 700})
			require.NoError(t, err)
			lostCtx, cancel := context.WithCancel(ctx)
			desk.mu.Lock()
			desk.lost, desk.cancel = true, cancel
			desk.mu.Unlock()
			_, err = w.checkout.PayByCode(lostCtx, o5.OrderNo, codeFor(wallet, "000"), 0, w.staff, nil)
			require.Error(t, err)
			desk.mu.Lock()
			desk.lost = false
			desk.mu.Unlock()
			p5 := w.intentOf(o5.OrderNo)
			require.Equal(t, payment.IntentUnknown, p5.State)

			// At the channel only: a payment under our number the till never made.
			chn, err := w.s.Channels.Named(ch)
			require.NoError(t, err)
			only := w.pay.NumberPrefix() + "X" + randDigits(10)
			res, err := chn.Pay(ctx, app.PayRequest{OutTradeNo: only, AuthCode: codeFor(wallet, "000"), Wallet: wallet, Amount: 800, Subject: "柜台外收款"})
			require.NoError(t, err)
			require.Equal(t, app.OutcomeSuccess, res.Outcome, "%+v", res)

			desk.mu.Lock()
			desk.edit = func(b *app.Bill) {
				i := chargeLine(b, p1.Payment.OutTradeNo)
				require.GreaterOrEqual(t, i, 0)
				b.Lines = append(b.Lines, b.Lines[i])
				var kept []app.BillLine
				for _, l := range b.Lines {
					if l.OutTradeNo != p3.Payment.OutTradeNo {
						kept = append(kept, l)
					}
				}
				b.Lines = kept
				i = chargeLine(b, p4.Payment.OutTradeNo)
				require.GreaterOrEqual(t, i, 0)
				b.Lines[i].Amount++
				i = chargeLine(b, p6.Payment.OutTradeNo)
				require.GreaterOrEqual(t, i, 0)
				b.Lines[i].Status, b.Lines[i].RefundAmount, b.Lines[i].OutRefundNo = "REVOKED", b.Lines[i].Amount, p6.Payment.OutTradeNo
			}
			desk.mu.Unlock()

			svc := w.s.Reconciler()
			day := billDayOf(w)
			got, err := svc.DayAs(ctx, w.staff.ID, day, ch)
			require.NoError(t, err)
			assert.Equal(t, map[string]reconcile.Kind{
				only:                  reconcile.MissingLocal,
				p3.Payment.OutTradeNo: reconcile.MissingChannel,
				p4.Payment.OutTradeNo: reconcile.AmountDiffers,
				p5.OutTradeNo:         reconcile.StateDiffers,
				p6.Payment.OutTradeNo: reconcile.StateDiffers,
			}, unresolvedKinds(got.Differences))
			var dup reconcile.Difference
			for _, d := range got.Differences {
				if d.Ref == p1.Payment.OutTradeNo {
					dup = d
				}
			}
			assert.Equal(t, reconcile.Matched, dup.Kind)
			assert.Equal(t, 1, dup.Seen.Duplicates)
			assert.Equal(t, 1, got.Run.Duplicates)
			matched := 4 // p1, p2, its refund, the consumption
			if ch == app.ChannelCloudPay {
				matched++ // and the freeze, an order of Cloud Pay's list
			}
			assert.Equal(t, matched, got.Run.Matched)
			assert.Equal(t, reconcile.StatusOpen, got.Run.Status)
			assert.Equal(t, 5, got.Run.Open)
			if ch != app.ChannelCloudPay { // its order list states no fee
				assert.Positive(t, got.Run.Bill.Fee)
			}

			// Settle the unknown one: the channel says paid; it matches.
			d, err := svc.Find(ctx, w.staff.ID, day, ch, p5.OutTradeNo)
			require.NoError(t, err)
			d, err = svc.Settle(ctx, w.staff.ID, d.ID)
			require.NoError(t, err)
			assert.Equal(t, reconcile.ResolvedMatched, d.Resolution)
			assert.Equal(t, payment.IntentPaid, w.intentOf(o5.OrderNo).State)

			// Explain the one at the channel only: audited.
			d, err = svc.Find(ctx, w.staff.ID, day, ch, only)
			require.NoError(t, err)
			_, err = svc.Explain(ctx, w.staff.ID, d.ID, "后台补录的线下收款 / taken in the back office")
			require.NoError(t, err)
			audit, err := w.db.ListAudit(ctx, localdb.AuditFilter{Action: reconcile.AuditExplain})
			require.NoError(t, err)
			require.Len(t, audit, 1)
			assert.Equal(t, only, audit[0].Subject)

			// A rerun keeps both and finds the rest again.
			got, err = svc.DayAs(ctx, w.staff.ID, day, ch)
			require.NoError(t, err)
			assert.Equal(t, map[string]reconcile.Kind{
				p3.Payment.OutTradeNo: reconcile.MissingChannel,
				p4.Payment.OutTradeNo: reconcile.AmountDiffers,
				p6.Payment.OutTradeNo: reconcile.StateDiffers,
			}, unresolvedKinds(got.Differences))
			assert.Equal(t, 3, got.Run.Open)

			// The bill as the sandbox serves it: only what was planted here
			// is left (the payment dropped from the bill is in it).
			desk.mu.Lock()
			desk.edit = nil
			desk.mu.Unlock()
			got, err = svc.DayAs(ctx, w.staff.ID, day, ch)
			require.NoError(t, err)
			assert.Empty(t, unresolvedKinds(got.Differences))
			assert.Equal(t, reconcile.StatusDone, got.Run.Status)
		})
	}
}

// intentOf is the payment intent of an order's one wallet tender.
func (w *world) intentOf(orderNo string) payment.PaymentIntent {
	w.t.Helper()
	var no string
	require.NoError(w.t, w.db.Read().QueryRow(`SELECT i.out_trade_no FROM payment_intent i JOIN orders o ON o.id = i.order_id
		WHERE o.order_no = ? ORDER BY i.id DESC LIMIT 1`, orderNo).Scan(&no))
	in, err := w.store.GetIntent(context.Background(), no)
	require.NoError(w.t, err)
	return in
}

// Each bad bill the sandbox can serve gives its clear error, per channel,
// and nothing is marked reconciled; "not ready" is said as such.
func TestReconcile_BadBillsPerChannel(t *testing.T) {
	want := map[app.ChannelName]map[sandbox.BillFault]string{
		app.ChannelWeChat: {
			sandbox.BillNotReady:        "",
			sandbox.BillTruncated:       "truncated bill?",
			sandbox.BillMissingColumn:   "lacks the column(s) 商户订单号",
			sandbox.BillWrongEncoding:   "not UTF-8 text (wrong encoding)",
			sandbox.BillForeignMerchant: "another merchant's (mch_id 1999999999",
		},
		app.ChannelAlipay: {
			sandbox.BillNotReady:        "",
			sandbox.BillTruncated:       "truncated bill?",
			sandbox.BillMissingColumn:   "lacks the column(s) 商户订单号",
			sandbox.BillWrongEncoding:   "not GBK text (it is UTF-8)",
			sandbox.BillForeignMerchant: "another account's (20211999999999",
		},
		app.ChannelCloudPay: {
			sandbox.BillNotReady:        "",
			sandbox.BillTruncated:       "incomplete",
			sandbox.BillForeignMerchant: "another merchant's orders",
		},
	}
	for _, ch := range []app.ChannelName{app.ChannelWeChat, app.ChannelAlipay, app.ChannelCloudPay} {
		t.Run(string(ch), func(t *testing.T) {
			w, _ := newReconcileWorld(t, ch)
			ctx := context.Background()
			p, err := w.payCode(codeFor(walletOf(ch), "000"), 1250)
			require.NoError(t, err)
			require.True(t, p.Payment.Paid())
			svc := w.s.Reconciler()
			day := billDayOf(w)
			for fault, text := range want[ch] {
				w.gw.Server.SetBillFault(fault)
				res, err := svc.Day(ctx, day, ch)
				require.Error(t, err, fault)
				assert.Contains(t, err.Error(), text, fault)
				assert.False(t, res.Run.Status.Reconciled(), fault)
				if fault == sandbox.BillNotReady {
					assert.ErrorIs(t, err, reconcile.ErrBillNotReady)
					assert.Equal(t, reconcile.StatusNotReady, res.Run.Status)
				} else {
					assert.ErrorIs(t, err, reconcile.ErrBillUnusable, fault)
					assert.Equal(t, reconcile.StatusFailed, res.Run.Status)
				}
			}
			// Columns in another order, and a row listed twice: read, the
			// copy counted once and reported.
			for _, fault := range []sandbox.BillFault{sandbox.BillShuffledColumns, sandbox.BillDuplicateRow} {
				if ch == app.ChannelCloudPay && fault == sandbox.BillShuffledColumns {
					continue
				}
				w.gw.Server.SetBillFault(fault)
				res, err := svc.Day(ctx, day, ch)
				require.NoError(t, err, fault)
				assert.Equal(t, reconcile.StatusDone, res.Run.Status, fault)
				assert.Equal(t, 1, res.Run.Matched, fault)
				if fault == sandbox.BillDuplicateRow {
					assert.Equal(t, 1, res.Run.Duplicates)
				}
			}
			// A failed attempt after that leaves the result standing.
			w.gw.Server.SetBillFault(sandbox.BillTruncated)
			res, err := svc.Day(ctx, day, ch)
			require.Error(t, err)
			assert.Equal(t, reconcile.StatusDone, res.Run.Status)
			assert.False(t, res.Run.Error.IsZero())
			w.gw.Server.SetBillFault(sandbox.BillAsIs)
		})
	}
}

// The command: downloads, matches, keeps, prints; exit 0 when everything
// matched or was explained, 1 while differences remain, 2 for bad usage;
// list shows what is kept; explain and settle resolve one line.
func TestReconcileCLI(t *testing.T) {
	dir := demoFolder(t)
	t.Setenv("POS_PIN", "8888")
	rec := func(args ...string) (int, string, string) {
		return runCmd(t, fast, append([]string{"reconcile", "--data-dir", dir}, args...)...)
	}
	rc, out, errs := runCmd(t, fast, "pay", "--data-dir", dir, "--code", "134567890123458001", "--amount", "12.50")
	require.Equal(t, 0, rc, out+errs)
	rc, out, errs = runCmd(t, fast, "pay", "--data-dir", dir, "--code", "134567890123458002", "--amount", "20.00")
	require.Equal(t, 0, rc, out+errs)
	second := lineAfter(out, "merchant order number: ")
	require.NotEmpty(t, second)
	day := summary.DayOf(fastClock.Now(), app.ChinaTime).String()

	rc, out, errs = rec("--date", day, "--channel", "wechat", "--staff", "1001")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "WeChat Pay "+day+" (bill day, China time): reconciled")
	assert.Contains(t, out, "bill (our numbers): 2 charges ￥32.50")
	assert.Contains(t, out, "here: 2 charges ￥32.50")

	// Plant a difference here: the second payment recorded 1 fen short.
	db, err := localdb.Open(dbPath(dir))
	require.NoError(t, err)
	require.NoError(t, db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE payment_intent SET amount = amount - 1 WHERE out_trade_no = ?`, second)
		return err
	}))
	require.NoError(t, db.Close())

	rc, out, errs = rec("--date", day, "--channel", "wechat")
	require.Equal(t, 1, rc, out+errs)
	assert.Contains(t, out, "1 difference(s) to resolve")
	assert.Contains(t, out, "amount differs")
	assert.Contains(t, out, second)
	assert.Contains(t, out, "19.99")
	assert.Contains(t, out, "20.00")

	rc, out, _ = runCmdLang(t, fast, "zh", "reconcile", "--data-dir", dir, "list", "--date", day)
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "金额不符")
	assert.Contains(t, out, "待处理")

	rc, out, errs = rec("list", "--date", day, "--format", "json")
	require.Equal(t, 0, rc, errs)
	assert.Contains(t, out, `"kind": "amount_differs"`)
	assert.Contains(t, out, `"unit": "fen"`)

	// Settling does not make an amount agree: still open, exit 1.
	rc, out, _ = rec("settle", "--date", day, "--channel", "wechat", "--ref", second)
	assert.Equal(t, 1, rc, out)
	assert.Contains(t, out, "still open")

	rc, _, errs = rec("explain", "--date", day, "--channel", "wechat", "--ref", second)
	assert.Equal(t, 2, rc, "a note is required")
	assert.Contains(t, errs, "--note is required")
	rc, out, errs = rec("explain", "--date", day, "--channel", "wechat", "--ref", second, "--note", "收银机记录有误，以账单为准")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "explained: 收银机记录有误，以账单为准")

	rc, out, errs = rec("--date", day, "--channel", "wechat", "--format", "json")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, `"resolution": "explained"`)

	rc, out, _ = runCmd(t, fast, "audit", "--data-dir", dir, "list", "--staff", "1001")
	_ = rc
	assert.Contains(t, out, second, "the explanation is in the audit log")

	// Bad usage: 2, nothing done.
	for _, args := range [][]string{
		{"--date", "2026-02-30"},
		{"--channel", "paypal"},
		{"--format", "xml"},
		{"extra"},
		{"settle", "--channel", "wechat", "--ref", second},
		{"settle", "--date", day, "--ref", second},
		{"settle", "--date", day, "--channel", "wechat"},
	} {
		rc, _, errs := rec(args...)
		assert.Equal(t, 2, rc, "%v: %s", args, errs)
	}
	// A day not begun.
	rc, _, errs = rec("--date", "2099-01-01", "--channel", "wechat")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "has not begun")
	if !strings.Contains(errs, "has not begun") {
		t.Log(errs)
	}
}

// The scheduled job's work: every configured channel's bill of the day,
// and again each earlier day (within six) whose bill was not ready; a bill
// still missing fails the run, to be tried again next time.
func TestReconcileJob_DayAndCatchUp(t *testing.T) {
	w, _ := newReconcileWorld(t, app.ChannelWeChat)
	ctx := context.Background()
	p, err := w.payCode(codeFor(app.WalletWeChat, "000"), 1250)
	require.NoError(t, err)
	require.True(t, p.Payment.Paid())
	now := w.clock.Now().In(app.ChinaTime)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, app.ChinaTime)
	yesterday := summary.DayOf(today.Add(-time.Hour), app.ChinaTime)
	store := w.db.ReconcileStore()
	require.NoError(t, store.SaveAttempt(ctx, &reconcile.Run{Day: yesterday, Channel: app.ChannelWeChat,
		Status: reconcile.StatusNotReady, AttemptedAt: now}))

	var steps []float64
	progress := func(f float64, _ app.Message) { steps = append(steps, f) }
	w.gw.Server.SetBillFault(sandbox.BillNotReady)
	res, err := w.s.reconcileJob(ctx, today, progress)
	require.ErrorIs(t, err, reconcile.ErrBillNotReady, "today's bill is not there yet")
	assert.Equal(t, "reconcile.job.summary", res.Summary.Code)
	assert.Equal(t, 2, res.Summary.Args["Days"], "today and the day left not ready")
	assert.Equal(t, []float64{0, 0.5, 1}, steps)
	run, err := store.Run(ctx, yesterday, app.ChannelWeChat)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusEmpty, run.Status, "tried again: nothing was due that day")

	w.gw.Server.SetBillFault(sandbox.BillAsIs)
	res, err = w.s.reconcileJob(ctx, today, func(float64, app.Message) {})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Done)
	assert.Zero(t, res.Open)
	assert.Equal(t, 1, res.Summary.Args["Days"])
}
