package cloudpay_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/cloudpay"
	"cashier/sync/channel/internal/chantest"
	"cashier/sync/sandbox"
)

// One sandbox gateway (demo merchants) for the client-against-sandbox
// tests of this package; its clock is manual.
var gw struct {
	once  sync.Once
	srv   *sandbox.Server
	creds *sandbox.ClientCredentials
	clock *app.ManualClock
	dir   string
	err   error
	seq   atomic.Int64
	logs  chantest.LogBuffer
}

func TestMain(m *testing.M) {
	code := m.Run()
	if gw.creds != nil && code == 0 && channel.Redact(gw.logs.String(), gw.creds.CloudPay.AuthenKey) != gw.logs.String() {
		fmt.Fprintln(os.Stderr, "FAIL: the authentication key reached the client logs")
		code = 1
	}
	if gw.srv != nil {
		_ = gw.srv.Close()
	}
	if gw.dir != "" {
		_ = os.RemoveAll(gw.dir)
	}
	os.Exit(code)
}

func gateway(t *testing.T) (*sandbox.Server, *sandbox.ClientCredentials, *app.ManualClock) {
	t.Helper()
	gw.once.Do(func() {
		gw.dir, gw.err = os.MkdirTemp("", "cloudpay-sandbox-")
		if gw.err != nil {
			return
		}
		var cfg *sandbox.Config
		cfg, gw.creds, gw.err = sandbox.Demo(gw.dir)
		if gw.err != nil {
			return
		}
		gw.clock = app.NewManualClock(time.Now().Truncate(time.Second))
		cfg.Clock = gw.clock
		gw.srv, gw.err = sandbox.Start(context.Background(), "127.0.0.1:0", cfg)
	})
	require.NoError(t, gw.err)
	return gw.srv, gw.creds, gw.clock
}

// sbClient is a client of the demo sub-merchant; mutate changes its settings
// (another terminal, a wrong key ...).
func sbClient(t *testing.T, mutate func(*cloudpay.Config)) *cloudpay.Client {
	srv, creds, clock := gateway(t)
	cfg := cloudpay.Config{
		BaseURL: srv.CloudPayURL, OutMchID: creds.CloudPay.OutMchID, OutSubMchID: creds.CloudPay.OutSubMchID,
		OutShopID: creds.CloudPay.OutShopID, CashierID: creds.CloudPay.CashierID, AuthenKey: channel.Secret(creds.CloudPay.AuthenKey),
		DeviceID: creds.CloudPay.DeviceID, StaffID: creds.CloudPay.StaffID, ClientIP: "127.0.0.1",
		HTTP:   channel.HTTPSettings{Timeout: 3 * time.Second, RootCAPEM: creds.CAPEM},
		Logger: gw.logs.Logger(),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	cl, err := cloudpay.New(cfg, clock)
	require.NoError(t, err)
	return cl
}

func sbNo(t *testing.T) string {
	_, creds, _ := gateway(t)
	return fmt.Sprintf("%sCP%06d%04d", creds.CloudPay.CashierID, time.Now().Unix()%1_000_000, gw.seq.Add(1))
}

// sbCode makes a payment code: prefix, unique middle, scenario suffix.
func sbCode(prefix string, length int, suffix string) string {
	mid := fmt.Sprintf("%020d", time.Now().UnixNano()+gw.seq.Add(1))
	return prefix + mid[len(mid)-(length-len(prefix)-len(suffix)):] + suffix
}

func must(t *testing.T, want app.Outcome, res app.ChannelResult, err error, what string) {
	t.Helper()
	require.NoError(t, err, what)
	require.Equal(t, want, res.Outcome, "%s: %+v", what, res)
}

// Issue 8 item 5, as reproduced: two terminals of one shop use the same
// order number. Terminal B must not read A's payment as its own, and may
// neither reverse nor refund it.
func TestAgainstSandbox_TwoTerminalsOneNumber(t *testing.T) {
	srv, _, _ := gateway(t)
	ctx := context.Background()
	a := sbClient(t, nil)
	b := sbClient(t, func(c *cloudpay.Config) { c.DeviceID = "POS-02" })
	no := sbNo(t)
	codeA, codeB := sbCode("13", 18, "000"), sbCode("13", 18, "000")
	res, err := a.Pay(ctx, app.PayRequest{OutTradeNo: no, AuthCode: codeA, Wallet: app.WalletWeChat, Amount: 1500, Subject: "A"})
	must(t, app.OutcomeSuccess, res, err, "terminal A pays")

	res, err = b.Pay(ctx, app.PayRequest{OutTradeNo: no, AuthCode: codeB, Wallet: app.WalletWeChat, Amount: 1500, Subject: "B"})
	must(t, app.OutcomeFailed, res, err, "terminal B, same number")
	assert.True(t, res.Foreign)
	assert.True(t, res.NoReverse)
	assert.True(t, res.NewOrderNo)
	assert.Empty(t, srv.Ledger().ChargesFor(codeB), "B's customer is not charged")

	ref := app.OrderRef{OutTradeNo: no, Wallet: app.WalletWeChat}
	q, err := b.Query(ctx, ref)
	must(t, app.OutcomeUnknown, q, err, "B queries the number")
	assert.True(t, q.Foreign)
	assert.Empty(t, q.TradeState, "A's paid order is not B's")
	_, err = b.Reverse(ctx, ref)
	assert.True(t, app.IsNotSent(err))
	_, err = b.Refund(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: sbNo(t), Total: 1500, Amount: 1500})
	assert.True(t, app.IsNotSent(err))

	// A terminal that never saw the 407 (a restart) still does not take it
	// for its own: the order was made by another terminal.
	b2 := sbClient(t, func(c *cloudpay.Config) { c.DeviceID = "POS-02" })
	q, err = b2.Query(ctx, ref)
	must(t, app.OutcomeUnknown, q, err, "B after a restart")
	assert.True(t, q.Foreign)

	q, err = a.Query(ctx, ref)
	must(t, app.OutcomeSuccess, q, err, "A's own query")
	assert.False(t, q.Foreign)
	assert.Equal(t, "PAID", q.TradeState)
	c := srv.Ledger().ChargesFor(codeA)
	require.Len(t, c, 1)
	assert.Equal(t, app.Money(1500), c[0].Held(), "nothing of A's money moved")
}

// The …407 scenario: the number already belongs to another, paid order.
func TestAgainstSandbox_Foreign407Scenario(t *testing.T) {
	srv, _, _ := gateway(t)
	ctx := context.Background()
	cl := sbClient(t, nil)
	for _, w := range []struct {
		wallet app.Wallet
		code   string
		dep    bool
	}{{app.WalletWeChat, sbCode("13", 18, "407"), false}, {app.WalletAlipay, sbCode("28", 18, "407"), false}, {app.WalletWeChat, sbCode("13", 18, "407"), true}} {
		r := app.PayRequest{OutTradeNo: sbNo(t), AuthCode: w.code, Wallet: w.wallet, Amount: 2000, Subject: "x", Deposit: w.dep}
		res, err := cl.Pay(ctx, r)
		must(t, app.OutcomeFailed, res, err, "pay")
		assert.True(t, res.Foreign && res.NoReverse && res.NewOrderNo, "%+v", res)
		assert.Empty(t, srv.Ledger().ChargesFor(w.code))
		ref := app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: w.wallet, Deposit: w.dep}
		for name, c := range map[string]*cloudpay.Client{"same client": cl, "fresh client": sbClient(t, nil)} {
			q, err := c.Query(ctx, ref)
			must(t, app.OutcomeUnknown, q, err, name+" query")
			assert.True(t, q.Foreign, name)
			assert.Empty(t, q.TradeState, name)
		}
		_, err = cl.Reverse(ctx, ref)
		assert.True(t, app.IsNotSent(err))
	}
}

// Issue 8 item 10: Cloud Pay has no member-card platform.
func TestAgainstSandbox_NoMemberCard(t *testing.T) {
	srv, _, _ := gateway(t)
	cl := sbClient(t, nil)
	code := sbCode("99", 16, "000")
	r := app.PayRequest{OutTradeNo: sbNo(t), AuthCode: code, Wallet: app.WalletMember, Amount: 100, Subject: "会员"}
	_, err := cl.Pay(context.Background(), r)
	assert.True(t, app.IsNotSent(err))
	_, found := srv.Ledger().Order(app.ChannelCloudPay, r.OutTradeNo)
	assert.False(t, found)
}

// A refusal of our settings before any business is a ConfigError.
func TestAgainstSandbox_SettingsRefused(t *testing.T) {
	ctx := context.Background()
	for name, mutate := range map[string]func(*cloudpay.Config){
		"wrong authentication key": func(c *cloudpay.Config) { c.AuthenKey = "0123456789abcdef0123456789abcdef" },
		"unknown sub-merchant":     func(c *cloudpay.Config) { c.OutSubMchID = "sz01nobody" },
		"unknown shop":             func(c *cloudpay.Config) { c.OutShopID = "sz01nowhere" },
		"another cashier id":       func(c *cloudpay.Config) { c.CashierID = "zz99" },
	} {
		t.Run(name, func(t *testing.T) {
			cl := sbClient(t, mutate)
			no := sbNo(t)
			if name == "another cashier id" {
				no = "zz99" + no[len(gw.creds.CloudPay.CashierID):]
			}
			r := app.PayRequest{OutTradeNo: no, AuthCode: sbCode("13", 18, "000"), Wallet: app.WalletWeChat, Amount: 100, Subject: "x"}
			res, err := cl.Pay(ctx, r)
			must(t, app.OutcomeFailed, res, err, "pay")
			assert.True(t, res.ConfigError)
			assert.Equal(t, "101", res.Code)
			assert.NotEmpty(t, res.Message)
			ref := app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletWeChat}
			rv, err := cl.Reverse(ctx, ref)
			require.NoError(t, err)
			assert.True(t, rv.ConfigError)
			if name == "wrong authentication key" {
				assert.Equal(t, app.OutcomeUnknown, rv.Outcome, "an unsigned refusal never ends a reverse")
				q, err := cl.Query(ctx, ref)
				must(t, app.OutcomeUnknown, q, err, "query")
				assert.True(t, q.ConfigError)
			}
		})
	}
}

func TestAgainstSandbox_NotFound(t *testing.T) {
	ctx := context.Background()
	cl := sbClient(t, nil)
	ref := app.OrderRef{OutTradeNo: sbNo(t), Wallet: app.WalletAlipay}
	q, err := cl.Query(ctx, ref)
	must(t, app.OutcomeUnknown, q, err, "query of a number never used")
	assert.True(t, q.NotFound)
	rq, err := cl.RefundQuery(ctx, app.RefundRequest{OrderRef: ref, OutRefundNo: sbNo(t), Total: 100, Amount: 100})
	must(t, app.OutcomeUnknown, rq, err, "refund query")
	assert.True(t, rq.NotFound)

	r := app.PayRequest{OutTradeNo: sbNo(t), AuthCode: sbCode("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 900, Subject: "x"}
	res, err := cl.Pay(ctx, r)
	must(t, app.OutcomeSuccess, res, err, "pay")
	rq, err = cl.RefundQuery(ctx, app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletAlipay}, OutRefundNo: sbNo(t), Total: 900, Amount: 100})
	must(t, app.OutcomeUnknown, rq, err, "refund query of a paid order without that refund")
	assert.True(t, rq.NotFound)
	dq, err := cl.Query(ctx, app.OrderRef{OutTradeNo: sbNo(t), Wallet: app.WalletWeChat, Deposit: true})
	must(t, app.OutcomeUnknown, dq, err, "freeze query of a number never used")
	assert.True(t, dq.NotFound)
}

// Issue 8 item 9: freeze, consume and unfreeze as the pages document them,
// and QueryDepositOp for both operations.
func TestAgainstSandbox_DepositOperations(t *testing.T) {
	srv, _, clock := gateway(t)
	ctx := context.Background()
	cl := sbClient(t, nil)
	freeze := func(w app.Wallet, code string, amount app.Money) app.OrderRef {
		r := app.PayRequest{OutTradeNo: sbNo(t), AuthCode: code, Wallet: w, Amount: amount, Subject: "押金", Deposit: true}
		res, err := cl.Pay(ctx, r)
		must(t, app.OutcomeSuccess, res, err, "micro_freeze")
		assert.Equal(t, amount, res.Amount)
		require.NotEmpty(t, res.TransactionID)
		ref := app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: w, Deposit: true}
		q, err := cl.Query(ctx, ref)
		must(t, app.OutcomeSuccess, q, err, "query_freeze_order")
		assert.Equal(t, "PAID", q.TradeState)
		return ref
	}

	t.Run("WeChat: consume returns the rest", func(t *testing.T) {
		code := sbCode("13", 18, "000")
		dep := freeze(app.WalletWeChat, code, 50000)
		op := app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpConsume, OutRequestNo: sbNo(t), Total: 50000, Amount: 32000}
		q, err := cl.QueryDepositOp(ctx, op)
		must(t, app.OutcomeUnknown, q, err, "consume not made yet")
		assert.True(t, q.NotFound)
		res, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: dep, OutRequestNo: op.OutRequestNo, Total: 50000, Amount: 32000})
		must(t, app.OutcomeSuccess, res, err, "deposit_consume")
		assert.Equal(t, app.Money(32000), res.Amount)
		q, err = cl.QueryDepositOp(ctx, op)
		must(t, app.OutcomeSuccess, q, err, "consume query")
		assert.Equal(t, app.Money(32000), q.Amount)
		assert.Equal(t, res.TransactionID, q.TransactionID)
		dq, err := cl.Query(ctx, dep)
		must(t, app.OutcomeSuccess, dq, err, "the freeze after the consume")
		assert.Equal(t, "REFUND", dq.TradeState, "WxpayFreezeOrderState 5: nothing held")
		c := srv.Ledger().ChargesFor(code)
		require.Len(t, c, 1)
		assert.Equal(t, app.Money(32000), c[0].Held())
	})
	t.Run("Alipay: release, then query it", func(t *testing.T) {
		dep := freeze(app.WalletAlipay, sbCode("28", 18, "000"), 30000)
		op := app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpRelease, OutRequestNo: sbNo(t), Total: 30000, Amount: 10000}
		q, err := cl.QueryDepositOp(ctx, op)
		must(t, app.OutcomeUnknown, q, err, "release not made yet")
		assert.True(t, q.NotFound)
		res, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: dep, OutRequestNo: op.OutRequestNo, Amount: 10000})
		must(t, app.OutcomeSuccess, res, err, "unfreeze")
		assert.Equal(t, app.Money(10000), res.Amount)
		q, err = cl.QueryDepositOp(ctx, op)
		must(t, app.OutcomeSuccess, q, err, "release query")
		assert.Equal(t, app.Money(10000), q.Amount)
		res, err = cl.Release(ctx, app.ReleaseRequest{OrderRef: dep, OutRequestNo: sbNo(t), Amount: 20000})
		must(t, app.OutcomeSuccess, res, err, "release the rest")
		dq, err := cl.Query(ctx, dep)
		must(t, app.OutcomeUnknown, dq, err, "AlipayFreezeOrderState 3 does not say which")
	})
	t.Run("a consumption is refunded like an order", func(t *testing.T) {
		dep := freeze(app.WalletAlipay, sbCode("28", 18, "000"), 8000)
		capture := sbNo(t)
		res, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: dep, OutRequestNo: capture, Total: 8000, Amount: 5000})
		must(t, app.OutcomeSuccess, res, err, "consume")
		rr := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: capture, Wallet: app.WalletAlipay}, OutRefundNo: sbNo(t), Total: 5000, Amount: 1000}
		rf, err := cl.Refund(ctx, rr)
		must(t, app.OutcomeSuccess, rf, err, "refund")
		clock.Advance(time.Second)
		rq, err := cl.RefundQuery(ctx, rr)
		must(t, app.OutcomeSuccess, rq, err, "refund query")
		assert.Equal(t, app.Money(1000), rq.Amount)
	})
}

// The amount fault scenarios (…91–…94) read through the client: a lost or
// unknown answer is unknown, the re-send and the query tell the truth, a
// refusal for good is final and the query then finds nothing, and the
// 1-fen-short operation is reported for what moved.
func TestAgainstSandbox_OperationFaults(t *testing.T) {
	ctx := context.Background()
	cl := sbClient(t, nil)
	pay := app.PayRequest{OutTradeNo: sbNo(t), AuthCode: sbCode("13", 18, "000"), Wallet: app.WalletWeChat, Amount: 20000, Subject: "x"}
	res, err := cl.Pay(ctx, pay)
	must(t, app.OutcomeSuccess, res, err, "pay")
	order := app.OrderRef{OutTradeNo: pay.OutTradeNo, Wallet: app.WalletWeChat}
	// A consume gives back the rest of its deposit (is_confirm_unfreeze), so
	// every operation takes a deposit of its own.
	freeze := func() app.OrderRef {
		r := app.PayRequest{OutTradeNo: sbNo(t), AuthCode: sbCode("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 100000, Subject: "押金", Deposit: true}
		res, err := cl.Pay(ctx, r)
		must(t, app.OutcomeSuccess, res, err, "freeze")
		return app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: app.WalletAlipay, Deposit: true}
	}

	type op struct {
		do    func() (app.ChannelResult, error)
		query func() (app.ChannelResult, error)
	}
	refundOp := func(amount app.Money) op {
		r := app.RefundRequest{OrderRef: order, OutRefundNo: sbNo(t), Total: 20000, Amount: amount}
		return op{func() (app.ChannelResult, error) { return cl.Refund(ctx, r) }, func() (app.ChannelResult, error) { return cl.RefundQuery(ctx, r) }}
	}
	consumeOp := func(amount app.Money) op {
		dep := freeze()
		r := app.ConsumeRequest{OrderRef: dep, OutRequestNo: sbNo(t), Total: 100000, Amount: amount}
		q := app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpConsume, OutRequestNo: r.OutRequestNo, Total: 100000, Amount: amount}
		return op{func() (app.ChannelResult, error) { return cl.Consume(ctx, r) }, func() (app.ChannelResult, error) { return cl.QueryDepositOp(ctx, q) }}
	}
	releaseOp := func(amount app.Money) op {
		dep := freeze()
		r := app.ReleaseRequest{OrderRef: dep, OutRequestNo: sbNo(t), Amount: amount}
		q := app.DepositOpRef{OrderRef: dep, Kind: app.DepositOpRelease, OutRequestNo: r.OutRequestNo, Total: 100000, Amount: amount}
		return op{func() (app.ChannelResult, error) { return cl.Release(ctx, r) }, func() (app.ChannelResult, error) { return cl.QueryDepositOp(ctx, q) }}
	}
	for name, make := range map[string]func(app.Money) op{"refund": refundOp, "consume": consumeOp, "release": releaseOp} {
		t.Run(name, func(t *testing.T) {
			o := make(1291)
			res, err := o.do()
			must(t, app.OutcomeUnknown, res, err, "…91 first call")
			assert.Equal(t, channel.CodeTransport, res.Code)
			res, err = o.do()
			must(t, app.OutcomeSuccess, res, err, "…91 re-send")
			assert.Equal(t, app.Money(1291), res.Amount)
			res, err = o.query()
			must(t, app.OutcomeSuccess, res, err, "…91 query")

			o = make(1292)
			res, err = o.do()
			must(t, app.OutcomeUnknown, res, err, "…92 first call")
			res, err = o.do()
			must(t, app.OutcomeFailed, res, err, "…92 re-send: refused for good")
			assert.Equal(t, "104", res.Code)
			res, err = o.query()
			must(t, app.OutcomeUnknown, res, err, "…92 query")
			assert.True(t, res.NotFound)

			o = make(1293)
			res, err = o.do()
			must(t, app.OutcomeUnknown, res, err, "…93 first call")
			assert.Equal(t, "103", res.Code)
			res, err = o.query()
			must(t, app.OutcomeSuccess, res, err, "…93 query: made")
			assert.Equal(t, app.Money(1293), res.Amount)

			o = make(1294)
			res, err = o.do()
			must(t, app.OutcomeSuccess, res, err, "…94")
			assert.Equal(t, app.Money(1293), res.Amount, "what moved, not what was asked")
			res, err = o.query()
			must(t, app.OutcomeSuccess, res, err, "…94 query")
			assert.Equal(t, app.Money(1293), res.Amount)
		})
	}
}
