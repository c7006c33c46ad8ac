package channel_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/sandbox"
)

// The dynamic QR through the app's own clients against the sandbox: the
// code comes back, the customer pays (or not) through the sandbox, and
// the query, the close and the expiry say what the channels say.

type qrClient interface {
	app.PaymentChannel
	app.QRChannel
}

func qrClients(t *testing.T) map[app.Wallet]qrClient {
	wx, _ := wechatClient(t)
	ali, _ := alipayClient(t)
	return map[app.Wallet]qrClient{app.WalletWeChat: wx, app.WalletAlipay: ali}
}

func precreate(t *testing.T, c qrClient, w app.Wallet, no string, amount app.Money, clock *app.ManualClock) app.QRResult {
	t.Helper()
	res, err := c.Precreate(context.Background(), app.PrecreateRequest{OutTradeNo: no, Wallet: w, Amount: amount,
		Subject: "沙箱扫码", TerminalID: "POS-01", StaffID: "1001", ExpiresAt: clock.Now().Add(5 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, app.OutcomeSuccess, res.Outcome, "%+v", res)
	require.NotEmpty(t, res.CodeURL)
	return res
}

func query(t *testing.T, c qrClient, w app.Wallet, no string) app.ChannelResult {
	t.Helper()
	q, err := c.Query(context.Background(), app.OrderRef{OutTradeNo: no, Wallet: w})
	require.NoError(t, err)
	return q
}

// waiting reads "not paid yet": WeChat NOTPAY, Alipay's no trade before
// the scan or WAIT_BUYER_PAY after it.
func waiting(q app.ChannelResult) bool {
	return q.Outcome == app.OutcomePending || (q.Outcome == app.OutcomeUnknown && q.NotFound)
}

func TestAgainstSandbox_QRPaid(t *testing.T) {
	srv, _, clock := gateway(t)
	for w, c := range qrClients(t) {
		t.Run(string(w), func(t *testing.T) {
			n := no("QP")
			res := precreate(t, c, w, n, 1250, clock)
			assert.True(t, waiting(query(t, c, w, n)))
			// A repeat (the answer was lost) is the same order and code.
			again := precreate(t, c, w, n, 1250, clock)
			assert.Equal(t, res.CodeURL, again.CodeURL)

			require.NoError(t, srv.PayQR(res.CodeURL))
			q := query(t, c, w, n)
			assert.Equal(t, app.OutcomeSuccess, q.Outcome, "%+v", q)
			assert.Equal(t, "PAID", q.TradeState)
			assert.Equal(t, app.Money(1250), q.Amount)
			assert.NotEmpty(t, q.TransactionID)
		})
	}
}

func TestAgainstSandbox_QRNotPaidExpiresClosed(t *testing.T) {
	srv, _, clock := gateway(t)
	for w, c := range qrClients(t) {
		t.Run(string(w), func(t *testing.T) {
			n := no("QE")
			res := precreate(t, c, w, n, 300, clock)
			assert.True(t, waiting(query(t, c, w, n)))
			clock.Advance(5 * time.Minute)
			assert.ErrorIs(t, srv.PayQR(res.CodeURL), sandbox.ErrQRExpired, "the customer is too late")
			assert.True(t, waiting(query(t, c, w, n)) || query(t, c, w, n).TradeState == "CLOSED")
			cl, err := c.CloseQR(context.Background(), app.OrderRef{OutTradeNo: n, Wallet: w})
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeSuccess, cl.Outcome, "%+v", cl)
			assert.Equal(t, "CLOSED", cl.TradeState)
			q := query(t, c, w, n)
			assert.Equal(t, app.OutcomeFailed, q.Outcome, "%+v", q)
			assert.Equal(t, "CLOSED", q.TradeState)
		})
	}
}

func TestAgainstSandbox_QRCancelBeforeScan(t *testing.T) {
	srv, _, clock := gateway(t)
	for w, c := range qrClients(t) {
		t.Run(string(w), func(t *testing.T) {
			n := no("QC")
			res := precreate(t, c, w, n, 400, clock)
			cl, err := c.CloseQR(context.Background(), app.OrderRef{OutTradeNo: n, Wallet: w})
			require.NoError(t, err)
			assert.Equal(t, app.OutcomeSuccess, cl.Outcome, "%+v", cl)
			assert.Equal(t, "CLOSED", cl.TradeState)
			assert.ErrorIs(t, srv.PayQR(res.CodeURL), sandbox.ErrQRClosed, "a closed code takes no money")
			assert.Equal(t, "CLOSED", query(t, c, w, n).TradeState)
		})
	}
}

// After the customer paid, each channel does what it documents: WeChat's
// closeorder refuses (ORDERPAID) and the money stays with the merchant —
// the query says paid; Alipay's cancel gives the money back.
func TestAgainstSandbox_QRCancelAfterPayment(t *testing.T) {
	srv, _, clock := gateway(t)
	for w, c := range qrClients(t) {
		t.Run(string(w), func(t *testing.T) {
			n := no("QA")
			res := precreate(t, c, w, n, 500, clock)
			require.NoError(t, srv.PayQR(res.CodeURL))
			cl, err := c.CloseQR(context.Background(), app.OrderRef{OutTradeNo: n, Wallet: w})
			require.NoError(t, err)
			o, ok := srv.Ledger().Order(app.ChannelName(w), n)
			require.True(t, ok)
			switch w {
			case app.WalletWeChat:
				assert.Equal(t, app.OutcomeFailed, cl.Outcome)
				assert.Equal(t, "ORDERPAID", cl.Code)
				q := query(t, c, w, n)
				assert.Equal(t, "PAID", q.TradeState)
				assert.Equal(t, app.Money(500), q.Amount)
				assert.Equal(t, sandbox.StatePaid, o.State)
			case app.WalletAlipay:
				assert.Equal(t, app.OutcomeSuccess, cl.Outcome)
				assert.Equal(t, "REVOKED", cl.TradeState, "action=refund: the payment went back")
				assert.Equal(t, sandbox.StateReversed, o.State)
				assert.Equal(t, app.Money(500), o.Reversed)
			}
		})
	}
}

// Alipay: a scanned code not paid yet is a trade waiting for the buyer;
// cancelling it closes it.
func TestAgainstSandbox_AlipayQRScannedThenCancelled(t *testing.T) {
	srv, _, clock := gateway(t)
	c, _ := alipayClient(t)
	n := no("QS")
	res := precreate(t, c, app.WalletAlipay, n, 600, clock)
	q := query(t, c, app.WalletAlipay, n)
	assert.True(t, q.NotFound, "no trade before the scan: %+v", q)
	require.NoError(t, srv.ScanQR(res.CodeURL))
	q = query(t, c, app.WalletAlipay, n)
	assert.Equal(t, app.OutcomePending, q.Outcome)
	assert.False(t, q.NotFound)
	cl, err := c.CloseQR(context.Background(), app.OrderRef{OutTradeNo: n, Wallet: app.WalletAlipay})
	require.NoError(t, err)
	assert.Equal(t, "CLOSED", cl.TradeState)
	assert.ErrorIs(t, srv.PayQR(res.CodeURL), sandbox.ErrQRClosed)
}

// Cloud Pay gets no QR capability: the state machine tells the cashier.
func TestCloudPayHasNoQR(t *testing.T) {
	c, _ := cloudpayClient(t, false)
	_, ok := any(c).(app.QRChannel)
	assert.False(t, ok)
}
