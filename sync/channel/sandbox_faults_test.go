package channel_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/alipay"
	"cashier/sync/channel/internal/chantest"
)

// The sandbox's refund and deposit-operation faults (the amount's last two
// fen digits, docs/sandbox.md) seen through the channel clients: what each
// call and the query that follows report.

func TestAgainstSandbox_WeChat_RefundFaults(t *testing.T) {
	cl, _ := wechatClient(t)
	ctx := context.Background()
	paid := func() app.OrderRef {
		r := app.PayRequest{OutTradeNo: no("WF"), AuthCode: code("13", 18, "000"), Wallet: app.WalletWeChat, Amount: 10000, Subject: "故障"}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
		return app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletWeChat}
	}
	refund := func(amount app.Money) app.RefundRequest {
		return app.RefundRequest{OrderRef: paid(), OutRefundNo: no("WFR"), Total: 10000, Amount: amount}
	}

	t.Run("ordinary 12.50", func(t *testing.T) {
		rr := refund(1250)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomePending, rf, err, "refund")
		assert.Equal(t, app.Money(1250), rf.Amount)
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rq, err, "query")
		assert.Equal(t, app.Money(1250), rq.Amount)
	})
	t.Run("91: made, answer lost", func(t *testing.T) {
		rr := refund(1291)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, rf, err, "refund")
		assert.Equal(t, channel.CodeTransport, rf.Code)
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rq, err, "the query finds it")
		again, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomePending, again, err, "the re-send is the same refund")
		assert.Equal(t, rq.TransactionID, again.TransactionID)
		assert.Equal(t, app.Money(1291), again.Amount)
	})
	t.Run("92: lost, not made, refused for good", func(t *testing.T) {
		rr := refund(1292)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, rf, err, "refund")
		again, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeFailed, again, err, "re-send")
		assert.Equal(t, "NOTENOUGH", again.Code)
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, rq, err, "query")
		assert.True(t, rq.NotFound, "%+v", rq)
		assert.Equal(t, "REFUNDNOTEXIST", rq.Code)
	})
	t.Run("93: SYSTEMERROR but made", func(t *testing.T) {
		rr := refund(1293)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, rf, err, "refund")
		assert.Equal(t, "SYSTEMERROR", rf.Code)
		assert.False(t, rf.NotFound)
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rq, err, "query")
		assert.Equal(t, app.Money(1293), rq.Amount)
	})
	t.Run("94: 1 fen less", func(t *testing.T) {
		rr := refund(1294)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomePending, rf, err, "refund")
		assert.Equal(t, app.Money(1293), rf.Amount, "the amount WeChat states, not the one asked")
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rq, err, "query")
		assert.Equal(t, app.Money(1293), rq.Amount)
	})
}

func TestAgainstSandbox_WeChat_DepositOpFaults(t *testing.T) {
	cl, clock := wechatClient(t)
	ctx := context.Background()
	freeze := func(amount app.Money) app.OrderRef {
		r := app.PayRequest{OutTradeNo: no("WFD"), AuthCode: code("13", 18, "000"), Wallet: app.WalletWeChat, Amount: amount, Subject: "押金", Deposit: true}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeSuccess, res, err, "deposit")
		return app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: app.WalletWeChat, Deposit: true}
	}
	consume := func(ref app.OrderRef, amount app.Money) (app.ConsumeRequest, app.DepositOpRef) {
		return app.ConsumeRequest{OrderRef: ref, OutRequestNo: no("WFC"), Total: 50000, Amount: amount},
			app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpConsume, Total: 50000, Amount: amount}
	}

	t.Run("consume 91", func(t *testing.T) {
		cr, op := consume(freeze(50000), 30091)
		op.OutRequestNo = cr.OutRequestNo
		res, err := cl.Consume(ctx, cr)
		requireOutcome(t, app.OutcomeUnknown, res, err, "consume")
		q, err := cl.QueryDepositOp(ctx, op)
		requireOutcome(t, app.OutcomeSuccess, q, err, "query")
		assert.Equal(t, app.Money(30091), q.Amount)
		assert.Equal(t, cr.TransactionID, q.TransactionID)
		again, err := cl.Consume(ctx, cr)
		requireOutcome(t, app.OutcomeSuccess, again, err, "re-send")
	})
	t.Run("consume 92", func(t *testing.T) {
		cr, op := consume(freeze(50000), 30092)
		res, err := cl.Consume(ctx, cr)
		requireOutcome(t, app.OutcomeUnknown, res, err, "consume")
		again, err := cl.Consume(ctx, cr)
		requireOutcome(t, app.OutcomeFailed, again, err, "re-send")
		q, err := cl.QueryDepositOp(ctx, op)
		requireOutcome(t, app.OutcomeUnknown, q, err, "query")
		assert.True(t, q.NotFound, "%+v", q)
	})
	t.Run("consume 93", func(t *testing.T) {
		cr, op := consume(freeze(50000), 30093)
		res, err := cl.Consume(ctx, cr)
		requireOutcome(t, app.OutcomeUnknown, res, err, "consume")
		assert.Equal(t, "SYSTEMERROR", res.Code)
		q, err := cl.QueryDepositOp(ctx, op)
		requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	})
	t.Run("consume 94", func(t *testing.T) {
		cr, op := consume(freeze(50000), 30094)
		res, err := cl.Consume(ctx, cr)
		requireOutcome(t, app.OutcomeSuccess, res, err, "consume")
		assert.Equal(t, app.Money(30093), res.Amount)
		q, err := cl.QueryDepositOp(ctx, op)
		requireOutcome(t, app.OutcomeSuccess, q, err, "query")
		assert.Equal(t, app.Money(30093), q.Amount)
	})
	t.Run("release by the deposit's amount", func(t *testing.T) {
		ordinary, d91, d92, d93 := freeze(50000), freeze(50091), freeze(50092), freeze(50093)
		clock.Advance(16 * time.Second)
		release := func(ref app.OrderRef) (app.ReleaseRequest, app.DepositOpRef) {
			return app.ReleaseRequest{OrderRef: ref, OutRequestNo: no("WFU"), Amount: 1},
				app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpRelease}
		}
		rr, op := release(ordinary)
		q, err := cl.QueryDepositOp(ctx, op)
		requireOutcome(t, app.OutcomeUnknown, q, err, "before the release")
		assert.True(t, q.NotFound)
		res, err := cl.Release(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, res, err, "release")
		q, err = cl.QueryDepositOp(ctx, op)
		requireOutcome(t, app.OutcomeSuccess, q, err, "after")
		assert.Equal(t, app.Money(50000), q.Amount)

		rr, op = release(d91)
		res, err = cl.Release(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, res, err, "91")
		q, err = cl.QueryDepositOp(ctx, op)
		requireOutcome(t, app.OutcomeSuccess, q, err, "91 query")
		assert.Equal(t, app.Money(50091), q.Amount)

		rr, op = release(d92)
		res, err = cl.Release(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, res, err, "92")
		res, err = cl.Release(ctx, rr)
		requireOutcome(t, app.OutcomeFailed, res, err, "92 re-send")
		q, err = cl.QueryDepositOp(ctx, op)
		requireOutcome(t, app.OutcomeUnknown, q, err, "92 query")
		assert.True(t, q.NotFound)

		rr, op = release(d93)
		res, err = cl.Release(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, res, err, "93")
		assert.True(t, res.Retry, "SYSTEMERROR with recall=Y")
		q, err = cl.QueryDepositOp(ctx, op)
		requireOutcome(t, app.OutcomeSuccess, q, err, "93 query")
	})
}

func TestAgainstSandbox_Alipay_RefundFaults(t *testing.T) {
	cl, _ := alipayClient(t)
	ctx := context.Background()
	refund := func(amount app.Money) app.RefundRequest {
		r := app.PayRequest{OutTradeNo: no("AF"), AuthCode: code("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 10000, Subject: "故障"}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeSuccess, res, err, "pay")
		return app.RefundRequest{OrderRef: app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletAlipay}, OutRefundNo: no("AFR"), Total: 10000, Amount: amount}
	}
	t.Run("ordinary 12.50", func(t *testing.T) {
		rr := refund(1250)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rf, err, "refund")
		assert.Equal(t, app.Money(1250), rf.Amount, "send_back_fee")
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rq, err, "query")
		assert.Equal(t, app.Money(1250), rq.Amount)
	})
	t.Run("91: made, answer lost; the repeat says fund_change=N", func(t *testing.T) {
		rr := refund(1291)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, rf, err, "refund")
		again, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, again, err, "re-send")
		assert.Equal(t, "10000", again.Code, "fund_change=N is no error")
		assert.False(t, again.NotFound)
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rq, err, "the query settles it")
		assert.Equal(t, app.Money(1291), rq.Amount)
	})
	t.Run("92", func(t *testing.T) {
		rr := refund(1292)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, rf, err, "refund")
		again, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeFailed, again, err, "re-send")
		assert.Equal(t, "ACQ.SELLER_BALANCE_NOT_ENOUGH", again.Code)
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, rq, err, "query")
		assert.True(t, rq.NotFound, "%+v", rq)
	})
	t.Run("93", func(t *testing.T) {
		rr := refund(1293)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeUnknown, rf, err, "refund")
		assert.Equal(t, "ACQ.SYSTEM_ERROR", rf.Code)
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rq, err, "query")
	})
	t.Run("94", func(t *testing.T) {
		rr := refund(1294)
		rf, err := cl.Refund(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rf, err, "refund")
		assert.Equal(t, app.Money(1293), rf.Amount, "send_back_fee as stated")
		rq, err := cl.RefundQuery(ctx, rr)
		requireOutcome(t, app.OutcomeSuccess, rq, err, "query")
		assert.Equal(t, app.Money(1293), rq.Amount)
	})
}

func TestAgainstSandbox_Alipay_DepositOpFaults(t *testing.T) {
	cl, _ := alipayClient(t)
	ctx := context.Background()
	// A capture completes the deposit (the rest is unfrozen), so every
	// operation gets a deposit of its own.
	freeze := func() app.OrderRef {
		r := app.PayRequest{OutTradeNo: no("AFD"), AuthCode: code("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 100000, Subject: "押金", Deposit: true}
		res, err := cl.Pay(ctx, r)
		requireOutcome(t, app.OutcomeSuccess, res, err, "freeze")
		return app.OrderRef{OutTradeNo: r.OutTradeNo, TransactionID: res.TransactionID, Wallet: app.WalletAlipay, Deposit: true}
	}

	for _, c := range []struct {
		amount   app.Money
		first    app.Outcome
		resend   app.Outcome
		query    app.Outcome
		notFound bool
		made     app.Money
	}{
		{10000, app.OutcomeSuccess, app.OutcomeSuccess, app.OutcomeSuccess, false, 10000},
		{10091, app.OutcomeUnknown, app.OutcomeSuccess, app.OutcomeSuccess, false, 10091},
		{10092, app.OutcomeUnknown, app.OutcomeFailed, app.OutcomeUnknown, true, 0},
		{10093, app.OutcomeUnknown, app.OutcomeSuccess, app.OutcomeSuccess, false, 10093},
		{10094, app.OutcomeSuccess, app.OutcomeSuccess, app.OutcomeSuccess, false, 10093},
	} {
		t.Run("consume "+c.amount.String(), func(t *testing.T) {
			ref := freeze()
			cr := app.ConsumeRequest{OrderRef: ref, OutRequestNo: no("AFC"), Total: 100000, Amount: c.amount}
			op := app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpConsume, OutRequestNo: cr.OutRequestNo, Total: 100000, Amount: c.amount}
			res, err := cl.Consume(ctx, cr)
			requireOutcome(t, c.first, res, err, "consume")
			q, err := cl.QueryDepositOp(ctx, op)
			requireOutcome(t, c.query, q, err, "query")
			assert.Equal(t, c.notFound, q.NotFound)
			assert.Equal(t, c.made, q.Amount)
			again, err := cl.Consume(ctx, cr)
			requireOutcome(t, c.resend, again, err, "re-send")
			if c.resend == app.OutcomeSuccess {
				assert.Equal(t, q.TransactionID, again.TransactionID, "the same capture trade")
				assert.Equal(t, c.made, again.Amount)
			}
		})
		t.Run("release "+c.amount.String(), func(t *testing.T) {
			ref := freeze()
			rr := app.ReleaseRequest{OrderRef: ref, OutRequestNo: no("AFU"), Amount: c.amount - 5000}
			op := app.DepositOpRef{OrderRef: ref, Kind: app.DepositOpRelease, OutRequestNo: rr.OutRequestNo, Total: 100000, Amount: rr.Amount}
			res, err := cl.Release(ctx, rr)
			requireOutcome(t, c.first, res, err, "release")
			q, err := cl.QueryDepositOp(ctx, op)
			requireOutcome(t, c.query, q, err, "query")
			assert.Equal(t, c.notFound, q.NotFound)
			if c.made != 0 {
				assert.Equal(t, c.made-5000, q.Amount)
			}
			again, err := cl.Release(ctx, rr)
			requireOutcome(t, c.resend, again, err, "re-send")
		})
	}
}

func TestAgainstSandbox_Alipay_CertificateMode(t *testing.T) {
	srv, creds, clock := gateway(t)
	ctx := context.Background()
	cfg := alipay.Config{
		GatewayURL: srv.AlipayGateway, AppID: creds.Alipay.CertAppID, PrivateKey: channel.Secret(creds.Alipay.CertAppPrivateKeyPEM),
		AppCert: creds.Alipay.AppCertPEM, AlipayCert: creds.Alipay.AlipayCertPEM, AlipayRootCert: creds.Alipay.AlipayRootCertPEM,
		HTTP: httpFor(creds), Logger: sb.logs.Logger(),
	}
	cl, err := alipay.New(cfg, clock)
	require.NoError(t, err)
	r := app.PayRequest{OutTradeNo: no("ACM"), AuthCode: code("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 1250, Subject: "证书模式"}
	res, err := cl.Pay(ctx, r)
	requireOutcome(t, app.OutcomeSuccess, res, err, "pay in certificate mode")
	ref := app.OrderRef{OutTradeNo: r.OutTradeNo, Wallet: app.WalletAlipay}
	q, err := cl.Query(ctx, ref)
	requireOutcome(t, app.OutcomeSuccess, q, err, "query")
	rr := app.RefundRequest{OrderRef: ref, OutRefundNo: no("ACMR"), Total: 1250, Amount: 250}
	rf, err := cl.Refund(ctx, rr)
	requireOutcome(t, app.OutcomeSuccess, rf, err, "refund")
	rq, err := cl.RefundQuery(ctx, rr)
	requireOutcome(t, app.OutcomeSuccess, rq, err, "refund query")

	t.Run("a root file the gateway does not use is a settings refusal", func(t *testing.T) {
		key := chantest.RSAKey(t, 2048)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Some Other Root"}, IsCA: true, BasicConstraintsValid: true,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		require.NoError(t, err)
		c := cfg
		c.AlipayRootCert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		other, err := alipay.New(c, clock)
		require.NoError(t, err)
		res, err := other.Pay(ctx, app.PayRequest{OutTradeNo: no("ACM"), AuthCode: code("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 100, Subject: "x"})
		requireOutcome(t, app.OutcomeFailed, res, err, "pay")
		assert.True(t, res.ConfigError)
		assert.Equal(t, "isv.invalid-alipay-root-cert-sn", res.Code)
	})
	t.Run("an app key the gateway does not know is a settings refusal", func(t *testing.T) {
		c := alipay.Config{GatewayURL: srv.AlipayGateway, AppID: creds.Alipay.AppID, PrivateKey: channel.Secret(chantest.PKCS8PEM(mustKey(t))),
			AlipayPublicKey: creds.Alipay.GatewayPublicKeyPEM, HTTP: httpFor(creds), Logger: sb.logs.Logger()}
		wrong, err := alipay.New(c, clock)
		require.NoError(t, err)
		authCode := code("28", 18, "000")
		res, err := wrong.Pay(ctx, app.PayRequest{OutTradeNo: no("AWK"), AuthCode: authCode, Wallet: app.WalletAlipay, Amount: 100, Subject: "x"})
		requireOutcome(t, app.OutcomeFailed, res, err, "pay")
		assert.True(t, res.ConfigError)
		assert.Equal(t, "isv.invalid-signature", res.Code)
		// The gateway's sub_msg echoes the string it verified, biz_content
		// and the customer's payment code with it.
		assert.Contains(t, res.Message, "biz_content", "the gateway's words are kept")
		assert.NotContains(t, res.Message, authCode, "the payment code never reaches a result")
		assert.NotContains(t, sb.logs.String(), authCode, "nor a log line")
		q, err := wrong.Query(ctx, app.OrderRef{OutTradeNo: "AWK1"})
		requireOutcome(t, app.OutcomeUnknown, q, err, "a refused query")
		assert.True(t, q.ConfigError)
	})
	t.Run("an app id the gateway does not know: unsigned error_response", func(t *testing.T) {
		c := alipay.Config{GatewayURL: srv.AlipayGateway, AppID: "2021000000000999", PrivateKey: channel.Secret(creds.Alipay.AppPrivateKeyPEM),
			AlipayPublicKey: creds.Alipay.GatewayPublicKeyPEM, HTTP: httpFor(creds), Logger: sb.logs.Logger()}
		wrong, err := alipay.New(c, clock)
		require.NoError(t, err)
		res, err := wrong.Pay(ctx, app.PayRequest{OutTradeNo: no("AWA"), AuthCode: code("28", 18, "000"), Wallet: app.WalletAlipay, Amount: 100, Subject: "x"})
		requireOutcome(t, app.OutcomeFailed, res, err, "pay")
		assert.True(t, res.ConfigError)
		assert.Equal(t, "isv.invalid-app-id", res.Code)
	})
}

func mustKey(t *testing.T) *rsa.PrivateKey { return chantest.RSAKey(t, 2048) }
