package channel_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/alipay"
	"cashier/sync/channel/cloudpay"
	"cashier/sync/channel/internal/chantest"
	"cashier/sync/channel/wechat"
	"cashier/sync/sandbox"
)

// One sandbox gateway (demo merchants, fresh keys) serves every
// TestAgainstSandbox_* test; its clock is manual so USERPAYING windows and
// the 15-second deposit rule are stepped, not waited for.
var sb struct {
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
	if sb.creds != nil && code == 0 {
		// Whatever the clients logged while talking to the sandbox carries
		// none of the demo secrets.
		logs := sb.logs.String()
		for _, s := range []string{sb.creds.WeChat.APIKey, sb.creds.CloudPay.AuthenKey} {
			if strings.Contains(logs, s) {
				fmt.Fprintln(os.Stderr, "FAIL: a sandbox secret reached the client logs")
				code = 1
			}
		}
		for _, pem := range []string{sb.creds.Alipay.AppPrivateKeyPEM, sb.creds.CloudPay.SignPrivateKeyPEM, sb.creds.WeChat.ClientKeyPEM} {
			if channel.Redact(logs, pem) != logs {
				fmt.Fprintln(os.Stderr, "FAIL: a sandbox private key reached the client logs")
				code = 1
			}
		}
	}
	if sb.srv != nil {
		_ = sb.srv.Close()
	}
	if sb.dir != "" {
		_ = os.RemoveAll(sb.dir)
	}
	os.Exit(code)
}

func gateway(t *testing.T) (*sandbox.Server, *sandbox.ClientCredentials, *app.ManualClock) {
	t.Helper()
	sb.once.Do(func() {
		sb.dir, sb.err = os.MkdirTemp("", "channel-sandbox-")
		if sb.err != nil {
			return
		}
		var cfg *sandbox.Config
		cfg, sb.creds, sb.err = sandbox.Demo(sb.dir)
		if sb.err != nil {
			return
		}
		sb.clock = app.NewManualClock(time.Now().Truncate(time.Second))
		cfg.Clock = sb.clock
		sb.srv, sb.err = sandbox.Start(context.Background(), "127.0.0.1:0", cfg)
	})
	require.NoError(t, sb.err)
	return sb.srv, sb.creds, sb.clock
}

// no makes a fresh order number with the given prefix.
func no(prefix string) string {
	return fmt.Sprintf("%sIT%06d%04d", prefix, time.Now().Unix()%1_000_000, sb.seq.Add(1))
}

// code makes a payment code: prefix, random middle, scenario suffix.
func code(prefix string, length int, suffix string) string {
	mid := fmt.Sprintf("%020d", time.Now().UnixNano()+sb.seq.Add(1))
	return prefix + mid[len(mid)-(length-len(prefix)-len(suffix)):] + suffix
}

func httpFor(creds *sandbox.ClientCredentials) channel.HTTPSettings {
	return channel.HTTPSettings{Timeout: 3 * time.Second, RootCAPEM: creds.CAPEM}
}

func wechatClient(t *testing.T) (*wechat.Client, *app.ManualClock) {
	srv, creds, clock := gateway(t)
	p12 := filepath.Join(t.TempDir(), "apiclient_cert.p12")
	require.NoError(t, os.WriteFile(p12, creds.WeChat.PKCS12, 0o600))
	cl, err := wechat.New(wechat.Config{
		BaseURL: srv.BaseURL, AppID: creds.WeChat.AppID, MchID: creds.WeChat.MchID, SubMchID: creds.WeChat.SubMchID,
		APIKey: channel.Secret(creds.WeChat.APIKey), SignType: wechat.SignMD5, P12File: p12,
		DeviceInfo: "POS-01", ClientIP: "127.0.0.1", HTTP: httpFor(creds), Logger: sb.logs.Logger(),
	}, clock)
	require.NoError(t, err)
	return cl, clock
}

func alipayClient(t *testing.T) (*alipay.Client, *app.ManualClock) {
	srv, creds, clock := gateway(t)
	cl, err := alipay.New(alipay.Config{
		GatewayURL: srv.AlipayGateway, AppID: creds.Alipay.AppID, PrivateKey: channel.Secret(creds.Alipay.AppPrivateKeyPEM),
		AlipayPublicKey: creds.Alipay.GatewayPublicKeyPEM, StoreID: "S01", TerminalID: "POS-01", HTTP: httpFor(creds),
		Logger: sb.logs.Logger(),
	}, clock)
	require.NoError(t, err)
	return cl, clock
}

func cloudpayClient(t *testing.T, signed bool) (*cloudpay.Client, *app.ManualClock) {
	srv, creds, clock := gateway(t)
	cfg := cloudpay.Config{
		BaseURL: srv.CloudPayURL, OutMchID: creds.CloudPay.OutMchID, OutSubMchID: creds.CloudPay.OutSubMchID,
		OutShopID: creds.CloudPay.OutShopID, CashierID: creds.CloudPay.CashierID, AuthenKey: channel.Secret(creds.CloudPay.AuthenKey),
		DeviceID: creds.CloudPay.DeviceID, StaffID: creds.CloudPay.StaffID, ClientIP: "127.0.0.1", HTTP: httpFor(creds),
		Logger: sb.logs.Logger(),
	}
	if signed {
		cfg.SignPrivateKey = channel.Secret(creds.CloudPay.SignPrivateKeyPEM)
	}
	cl, err := cloudpay.New(cfg, clock)
	require.NoError(t, err)
	return cl, clock
}

func requireOutcome(t *testing.T, want app.Outcome, res app.ChannelResult, err error, what string) {
	t.Helper()
	require.NoError(t, err, what)
	require.Equal(t, want, res.Outcome, "%s: %+v", what, res)
}

// ---------------------------------------------------------------- WeChat

func TestAgainstSandbox_WeChat_PayQueryRefund(t *testing.T) {
	cl, _ := wechatClient(t)
	ctx := context.Background()
	r := app.PayRequest{OutTradeNo: no("W"), AuthCode: code("13", 18, "000"), Wallet: app.WalletWeChat, Amount: 1250, Subject: "沙箱-饮料"}
	res, err := cl.Pay(ctx, r)
	requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
	assert.Equal(t, app.Money(1250), res.Amount)
	require.NotEmpty(t, res.TransactionID)

	ref := app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletWeChat}
	q, err := cl.Query(ctx, ref)
	requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	assert.Equal(t, res.TransactionID, q.TransactionID)

	again, err := cl.Pay(ctx, r)
	requireOutcome(t, app.OutcomeSuccess, again, err, "the same pay again (ORDERPAID or the same answer)")

	rr := app.RefundRequest{OrderRef: ref, OutRefundNo: no("WR"), Total: 1250, Amount: 250, Reason: "少找零"}
	rf, err := cl.Refund(ctx, rr)
	requireOutcome(t, app.OutcomePending, rf, err, "refund accepted")
	rq, err := cl.RefundQuery(ctx, rr)
	requireOutcome(t, app.OutcomeSuccess, rq, err, "refund query")
	assert.Equal(t, app.Money(250), rq.Amount)
}

func TestAgainstSandbox_WeChat_Scenarios(t *testing.T) {
	cl, clock := wechatClient(t)
	ctx := context.Background()
	pay := func(suffix string) (app.PayRequest, app.ChannelResult, error) {
		r := app.PayRequest{OutTradeNo: no("W"), AuthCode: code("13", 18, suffix), Wallet: app.WalletWeChat, Amount: 880, Subject: "沙箱"}
		res, err := cl.Pay(ctx, r)
		return r, res, err
	}
	t.Run("USERPAYING then paid", func(t *testing.T) {
		r, res, err := pay("101")
		requireOutcome(t, app.OutcomePending, res, err, "pay")
		clock.Advance(11 * time.Second)
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	})
	t.Run("USERPAYING then the customer cancels", func(t *testing.T) {
		r, res, err := pay("102")
		requireOutcome(t, app.OutcomePending, res, err, "pay")
		clock.Advance(11 * time.Second)
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		require.NoError(t, err)
		assert.NotEqual(t, app.OutcomeSuccess, q.Outcome, "%+v", q)
	})
	t.Run("not enough money", func(t *testing.T) {
		_, res, err := pay("201")
		requireOutcome(t, app.OutcomeFailed, res, err, "pay")
		assert.Equal(t, "NOTENOUGH", res.Code)
	})
	t.Run("SYSTEMERROR but charged", func(t *testing.T) {
		r, res, err := pay("301")
		requireOutcome(t, app.OutcomeUnknown, res, err, "pay")
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		requireOutcome(t, app.OutcomeSuccess, q, err, "query finds the money")
	})
	t.Run("dropped answer but charged", func(t *testing.T) {
		r, res, err := pay("402")
		requireOutcome(t, app.OutcomeUnknown, res, err, "pay")
		assert.Equal(t, channel.CodeTransport, res.Code)
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	})
	t.Run("HTTP 503", func(t *testing.T) {
		_, res, err := pay("501")
		requireOutcome(t, app.OutcomeUnknown, res, err, "pay")
	})
	t.Run("reverse a paid order", func(t *testing.T) {
		r, res, err := pay("000")
		requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
		rv, err := cl.Reverse(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		requireOutcome(t, app.OutcomeSuccess, rv, err, "reverse")
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		requireOutcome(t, app.OutcomeFailed, q, err, "query after reverse")
		assert.Equal(t, "REVOKED", q.TradeState)
	})
}

func TestAgainstSandbox_WeChat_Deposit(t *testing.T) {
	cl, clock := wechatClient(t)
	ctx := context.Background()
	freeze := func() app.OrderRef {
		r := app.PayRequest{OutTradeNo: no("WD"), AuthCode: code("13", 18, "000"), Wallet: app.WalletWeChat, Amount: 50000, Subject: "押金", Deposit: true}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeSuccess, res, err, "deposit")
		return app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: app.WalletWeChat, Deposit: true}
	}
	ref := freeze()
	q, err := cl.Query(ctx, ref)
	requireOutcome(t, app.OutcomeSuccess, q, err, "deposit query")
	cons, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: no("WC"), Total: 50000, Amount: 32000})
	requireOutcome(t, app.OutcomeSuccess, cons, err, "consume")
	assert.Equal(t, app.Money(32000), cons.Amount)
	rr := app.RefundRequest{OrderRef: ref, OutRefundNo: no("WDR"), Total: 50000, Amount: 1000}
	rf, err := cl.Refund(ctx, rr)
	requireOutcome(t, app.OutcomePending, rf, err, "refund after consume")
	rq, err := cl.RefundQuery(ctx, rr)
	requireOutcome(t, app.OutcomeSuccess, rq, err, "deposit refund query")

	other := freeze()
	rel, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: other, OutRequestNo: no("WU"), Amount: 50000})
	require.NoError(t, err)
	assert.True(t, rel.Retry, "within 15 s of payment the sandbox asks to reverse again: %+v", rel)
	assert.NotEqual(t, app.OutcomeSuccess, rel.Outcome)
	clock.Advance(16 * time.Second)
	rel, err = cl.Release(ctx, app.ReleaseRequest{OrderRef: other, OutRequestNo: no("WU"), Amount: 50000})
	requireOutcome(t, app.OutcomeSuccess, rel, err, "release after 15 s")
}

func TestAgainstSandbox_WeChat_Bill(t *testing.T) {
	cl, clock := wechatClient(t)
	ctx := context.Background()
	r := app.PayRequest{OutTradeNo: no("WB"), AuthCode: code("13", 18, "000"), Wallet: app.WalletWeChat, Amount: 4321, Subject: "账单"}
	res, err := cl.Pay(ctx, r)
	requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
	b, err := cl.DownloadBill(ctx, clock.Now())
	require.NoError(t, err)
	assert.Equal(t, b.Count, len(b.Lines))
	found := false
	for _, l := range b.Lines {
		if l.OutTradeNo == r.OutTradeNo {
			found = true
			assert.Equal(t, app.Money(4321), l.Amount)
			assert.Equal(t, "SUCCESS", l.Status)
			assert.Equal(t, res.TransactionID, l.TransactionID)
		}
	}
	assert.True(t, found, "the payment is in the bill")
	_, err = cl.DownloadBill(ctx, clock.Now().AddDate(0, 0, -30))
	assert.ErrorIs(t, err, channel.ErrNoBill)
}

// ---------------------------------------------------------------- Alipay

func TestAgainstSandbox_Alipay_PayQueryCancelRefund(t *testing.T) {
	cl, clock := alipayClient(t)
	ctx := context.Background()
	r := app.PayRequest{OutTradeNo: no("A"), AuthCode: code("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 1250, Subject: "沙箱-饮料"}
	res, err := cl.Pay(ctx, r)
	requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
	ref := app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletAlipay}
	q, err := cl.Query(ctx, ref)
	requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	again, err := cl.Pay(ctx, r)
	requireOutcome(t, app.OutcomeSuccess, again, err, "pay again: TRADE_HAS_SUCCESS, confirmed by query")

	rr := app.RefundRequest{OrderRef: ref, OutRefundNo: no("AR"), Total: 1250, Amount: 250}
	rf, err := cl.Refund(ctx, rr)
	requireOutcome(t, app.OutcomeSuccess, rf, err, "refund")
	rf2, err := cl.Refund(ctx, rr)
	requireOutcome(t, app.OutcomeUnknown, rf2, err, "the same refund again: fund_change=N")
	rq, err := cl.RefundQuery(ctx, rr)
	requireOutcome(t, app.OutcomeSuccess, rq, err, "refund query")
	assert.Equal(t, app.Money(250), rq.Amount)

	t.Run("10003 then paid", func(t *testing.T) {
		r := app.PayRequest{OutTradeNo: no("A"), AuthCode: code("28", 18, "101"), Wallet: app.WalletAlipay, Amount: 100, Subject: "x"}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomePending, res, err, "pay")
		clock.Advance(11 * time.Second)
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	})
	t.Run("20000 but charged", func(t *testing.T) {
		r := app.PayRequest{OutTradeNo: no("A"), AuthCode: code("28", 18, "301"), Wallet: app.WalletAlipay, Amount: 100, Subject: "x"}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeUnknown, res, err, "pay")
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	})
	t.Run("balance not enough", func(t *testing.T) {
		r := app.PayRequest{OutTradeNo: no("A"), AuthCode: code("28", 18, "201"), Wallet: app.WalletAlipay, Amount: 100, Subject: "x"}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeFailed, res, err, "pay")
	})
	t.Run("cancel a paid order", func(t *testing.T) {
		r := app.PayRequest{OutTradeNo: no("A"), AuthCode: code("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 100, Subject: "x"}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
		rv, err := cl.Reverse(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		requireOutcome(t, app.OutcomeSuccess, rv, err, "cancel")
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo})
		requireOutcome(t, app.OutcomeFailed, q, err, "query after cancel")
	})
}

func TestAgainstSandbox_Alipay_Deposit(t *testing.T) {
	cl, _ := alipayClient(t)
	ctx := context.Background()
	freeze := func() app.OrderRef {
		r := app.PayRequest{OutTradeNo: no("AD"), AuthCode: code("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 50000, Subject: "押金", Deposit: true}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeSuccess, res, err, "freeze")
		require.NotEmpty(t, res.TransactionID, "auth_no")
		return app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: app.WalletAlipay, Deposit: true}
	}
	ref := freeze()
	q, err := cl.Query(ctx, ref)
	requireOutcome(t, app.OutcomeSuccess, q, err, "freeze detail query")
	capture := no("AC")
	cons, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: capture, Total: 50000, Amount: 32000})
	requireOutcome(t, app.OutcomeSuccess, cons, err, "consume")
	cons2, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: capture, Total: 50000, Amount: 32000})
	requireOutcome(t, app.OutcomeSuccess, cons2, err, "the same consume re-sent")

	rr := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: capture, TransactionID: cons.TransactionID, Wallet: app.WalletAlipay},
		OutRefundNo: no("ADR"), Total: 32000, Amount: 1000}
	rf, err := cl.Refund(ctx, rr)
	requireOutcome(t, app.OutcomeSuccess, rf, err, "refund the capture")
	rq, err := cl.RefundQuery(ctx, rr)
	requireOutcome(t, app.OutcomeSuccess, rq, err, "refund query")

	other := freeze()
	rel, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: other, OutRequestNo: no("AU"), Amount: 20000})
	requireOutcome(t, app.OutcomeSuccess, rel, err, "partial release")
	rv, err := cl.Reverse(ctx, freeze())
	requireOutcome(t, app.OutcomeSuccess, rv, err, "cancel a freeze")
}

func TestAgainstSandbox_Alipay_Bill(t *testing.T) {
	cl, clock := alipayClient(t)
	ctx := context.Background()
	r := app.PayRequest{OutTradeNo: no("AB"), AuthCode: code("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 4321, Subject: "账单"}
	res, err := cl.Pay(ctx, r)
	requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
	rr := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: r.OutTradeNo}, OutRefundNo: no("ABR"), Total: 4321, Amount: 321}
	rf, err := cl.Refund(ctx, rr)
	requireOutcome(t, app.OutcomeSuccess, rf, err, "refund")
	b, err := cl.DownloadBill(ctx, clock.Now())
	require.NoError(t, err)
	assert.Equal(t, b.Count, len(b.Lines))
	var trade, refund bool
	for _, l := range b.Lines {
		if l.OutTradeNo == r.OutTradeNo && l.Status == "SUCCESS" {
			trade = true
			assert.Equal(t, app.Money(4321), l.Amount)
		}
		if l.OutTradeNo == r.OutTradeNo && l.Status == "REFUND" {
			refund = true
			assert.Equal(t, app.Money(321), l.RefundAmount)
		}
	}
	assert.True(t, trade, "the payment is in the bill")
	assert.True(t, refund, "the refund is in the bill")
	_, err = cl.DownloadBill(ctx, clock.Now().AddDate(0, 0, -30))
	assert.ErrorIs(t, err, channel.ErrNoBill)
}

// ---------------------------------------------------------------- Cloud Pay

func TestAgainstSandbox_CloudPay_PayQueryReverseRefund(t *testing.T) {
	for _, signed := range []bool{false, true} {
		t.Run(fmt.Sprint("PSS signing ", signed), func(t *testing.T) {
			cl, _ := cloudpayClient(t, signed)
			_, creds, _ := gateway(t)
			prefix := creds.CloudPay.CashierID
			ctx := context.Background()
			for _, w := range []struct {
				wallet app.Wallet
				code   string
			}{{app.WalletWeChat, code("13", 18, "000")}, {app.WalletAlipay, code("28", 18, "000")}} {
				r := app.PayRequest{OutTradeNo: no(prefix), AuthCode: w.code, Wallet: w.wallet, Amount: 1250, Subject: "沙箱-饮料"}
				res, err := cl.Pay(ctx, r)
				requireOutcome(t, app.OutcomeSuccess, res, err, string(w.wallet)+" pay")
				ref := app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: w.wallet}
				q, err := cl.Query(ctx, ref)
				requireOutcome(t, app.OutcomeSuccess, q, err, string(w.wallet)+" query")
				rr := app.RefundRequest{OrderRef: ref, OutRefundNo: no(prefix), Total: 1250, Amount: 250}
				rf, err := cl.Refund(ctx, rr)
				require.NoError(t, err)
				assert.Contains(t, []app.Outcome{app.OutcomeSuccess, app.OutcomePending}, rf.Outcome, "%+v", rf)
				rq, err := cl.RefundQuery(ctx, rr)
				requireOutcome(t, app.OutcomeSuccess, rq, err, string(w.wallet)+" refund query")
			}
			r := app.PayRequest{OutTradeNo: no(prefix), AuthCode: code("13", 18, "000"), Wallet: app.WalletWeChat, Amount: 300, Subject: "x"}
			res, err := cl.Pay(ctx, r)
			requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
			rv, err := cl.Reverse(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletWeChat})
			requireOutcome(t, app.OutcomeSuccess, rv, err, "reverse")
		})
	}
}

func TestAgainstSandbox_CloudPay_Scenarios(t *testing.T) {
	cl, clock := cloudpayClient(t, false)
	_, creds, _ := gateway(t)
	prefix := creds.CloudPay.CashierID
	ctx := context.Background()
	t.Run("paying then paid", func(t *testing.T) {
		r := app.PayRequest{OutTradeNo: no(prefix), AuthCode: code("13", 18, "101"), Wallet: app.WalletWeChat, Amount: 100, Subject: "x"}
		res, err := cl.Pay(ctx, r)
		require.NoError(t, err)
		assert.Contains(t, []app.Outcome{app.OutcomePending, app.OutcomeUnknown}, res.Outcome, "%+v", res)
		clock.Advance(11 * time.Second)
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletWeChat})
		requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	})
	t.Run("103 but charged", func(t *testing.T) {
		r := app.PayRequest{OutTradeNo: no(prefix), AuthCode: code("28", 18, "301"), Wallet: app.WalletAlipay, Amount: 100, Subject: "x"}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeUnknown, res, err, "pay")
		assert.Equal(t, "103", res.Code)
		q, err := cl.Query(ctx, app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletAlipay})
		requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	})
	t.Run("not enough", func(t *testing.T) {
		r := app.PayRequest{OutTradeNo: no(prefix), AuthCode: code("13", 18, "201"), Wallet: app.WalletWeChat, Amount: 100, Subject: "x"}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeFailed, res, err, "pay")
		assert.Equal(t, "104", res.Code)
	})
	t.Run("same number, other amount: 102 and never reverse", func(t *testing.T) {
		r := app.PayRequest{OutTradeNo: no(prefix), AuthCode: code("13", 18, "000"), Wallet: app.WalletWeChat, Amount: 100, Subject: "x"}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
		r.Amount = 200
		res, err = cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeFailed, res, err, "pay again")
		assert.True(t, res.NewOrderNo)
		assert.True(t, res.NoReverse)
	})
}

func TestAgainstSandbox_CloudPay_Deposit(t *testing.T) {
	cl, _ := cloudpayClient(t, true)
	_, creds, _ := gateway(t)
	prefix := creds.CloudPay.CashierID
	ctx := context.Background()
	freeze := func(w app.Wallet, c string) app.OrderRef {
		r := app.PayRequest{OutTradeNo: no(prefix), AuthCode: c, Wallet: w, Amount: 50000, Subject: "押金", Deposit: true}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeSuccess, res, err, "micro_freeze")
		return app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: w, Deposit: true}
	}
	ref := freeze(app.WalletAlipay, code("28", 18, "000"))
	q, err := cl.Query(ctx, ref)
	requireOutcome(t, app.OutcomeSuccess, q, err, "deposit query")
	capture := no(prefix)
	cons, err := cl.Consume(ctx, app.ConsumeRequest{OrderRef: ref, OutRequestNo: capture, Total: 50000, Amount: 32000})
	requireOutcome(t, app.OutcomeSuccess, cons, err, "deposit_consume")
	rr := app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: capture, Wallet: app.WalletAlipay}, OutRefundNo: no(prefix), Total: 32000, Amount: 1000}
	rf, err := cl.Refund(ctx, rr)
	require.NoError(t, err)
	assert.Contains(t, []app.Outcome{app.OutcomeSuccess, app.OutcomePending}, rf.Outcome, "%+v", rf)

	other := freeze(app.WalletAlipay, code("28", 18, "000"))
	rel, err := cl.Release(ctx, app.ReleaseRequest{OrderRef: other, OutRequestNo: no(prefix), Amount: 20000})
	requireOutcome(t, app.OutcomeSuccess, rel, err, "unfreeze")
}

func TestAgainstSandbox_CloudPay_BillAndShops(t *testing.T) {
	cl, clock := cloudpayClient(t, false)
	_, creds, _ := gateway(t)
	prefix := creds.CloudPay.CashierID
	ctx := context.Background()
	r := app.PayRequest{OutTradeNo: no(prefix), AuthCode: code("13", 18, "000"), Wallet: app.WalletWeChat, Amount: 4321, Subject: "账单"}
	res, err := cl.Pay(ctx, r)
	requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
	b, err := cl.DownloadBill(ctx, clock.Now())
	require.NoError(t, err)
	assert.Equal(t, b.Count, len(b.Lines))
	found := false
	for _, l := range b.Lines {
		if l.OutTradeNo == r.OutTradeNo {
			found = true
			assert.Equal(t, app.Money(4321), l.Amount)
		}
	}
	assert.True(t, found)

	page, err := cl.QuerySubMchShopInfo(ctx, 1, 20)
	require.NoError(t, err)
	require.NotEmpty(t, page.ShopInfos)
	assert.Equal(t, creds.CloudPay.OutShopID, page.ShopInfos[0].OutShopID)
}

// ---------------------------------------------------------------- router

func TestAgainstSandbox_RouterServesConfiguredWallets(t *testing.T) {
	wx, _ := wechatClient(t)
	cp, _ := cloudpayClient(t, false)
	r := channel.NewChannels()
	r.Set(wx, app.WalletWeChat)
	r.Set(cp, app.WalletAlipay)
	r.MarkSandbox(app.ChannelWeChat, true)
	ch, err := r.For(app.WalletAlipay)
	require.NoError(t, err)
	_, creds, _ := gateway(t)
	res, err := ch.Pay(context.Background(), app.PayRequest{OutTradeNo: no(creds.CloudPay.CashierID), AuthCode: code("28", 18, "000"),
		Wallet: app.WalletAlipay, Amount: 100, Subject: "支付宝"})
	requireOutcome(t, app.OutcomeSuccess, res, err, "Alipay via Cloud Pay through the router")
	_, err = r.For(app.WalletMember)
	assert.True(t, app.IsNotSent(err))
}
