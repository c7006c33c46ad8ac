package channel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel"
)

func TestSecret_NeverPrints(t *testing.T) {
	type cfg struct {
		Key  channel.Secret
		Name string
	}
	c := cfg{Key: "s3cr3t-value-123", Name: "n"}
	for _, s := range []string{
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c.Key, c.Key, c.Key), fmt.Sprintf("%10s", c.Key),
	} {
		assert.NotContains(t, s, "s3cr3t")
	}
	js, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"Key":"***","Name":"n"}`, string(js))
	assert.Equal(t, "s3cr3t-value-123", c.Key.Reveal())
	var back cfg
	require.NoError(t, json.Unmarshal([]byte(`{"Key":"abc"}`), &back))
	assert.Equal(t, "abc", back.Key.Reveal(), "settings can still be loaded from JSON")
	assert.Equal(t, "", channel.Secret("").String())
}

func TestRedact(t *testing.T) {
	pem := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n"
	got := channel.Redact("key=abcd1234 line MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC and ab", "abcd1234", pem, "ab")
	assert.Equal(t, "key=*** line *** and ab", got)
}

func TestRedactResult(t *testing.T) {
	code := "281234567890123456"
	r := channel.RedactResult(app.ChannelResult{Outcome: app.OutcomeFailed, Code: "isv.invalid-signature", TransactionID: "2026",
		Message: `验签字符串为：biz_content={"auth_code":"` + code + `"}`}, code)
	assert.Equal(t, `验签字符串为：biz_content={"auth_code":"***"}`, r.Message)
	assert.Equal(t, "isv.invalid-signature", r.Code)
	assert.Equal(t, app.OutcomeFailed, r.Outcome)
	assert.Equal(t, "2026", r.TransactionID)
}

func TestParseYuan(t *testing.T) {
	for in, want := range map[string]app.Money{"12.50": 1250, "0.01": 1, "100": 10000, "12.5": 1250, "1000000.00": 100000000} {
		got, err := channel.ParseYuan(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-1.00", "+1", "1,000.00", "1.001", "1.", ".5", "¥1", " 1", "1e3", "1000000.01", "0x10", "１２"} {
		_, err := channel.ParseYuan(in)
		assert.Error(t, err, in)
	}
	m, err := channel.ParseSignedYuan("-2.50")
	require.NoError(t, err)
	assert.Equal(t, app.Money(-250), m)
	for in, want := range map[string]app.Money{"0.00500": 1, "0.00499": 0, "0.07500": 8, "-0.01500": -2, "1.2": 120} {
		got, err := channel.ParseFeeYuan(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for in, want := range map[string]app.Money{"1": 1, "1250": 1250, "100000000": 100000000} {
		got, err := channel.ParseFen(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"", "01", "-1", "1.0", "100000001", " 1"} {
		_, err := channel.ParseFen(in)
		assert.Error(t, err, in)
	}
}

func TestCheckAmountAndCodes(t *testing.T) {
	assert.NoError(t, channel.CheckAmount("x", 1))
	assert.NoError(t, channel.CheckAmount("x", app.DefaultCeiling))
	for _, m := range []app.Money{0, -1, app.DefaultCeiling + 1} {
		err := channel.CheckAmount("支付金额 / payment amount", m)
		assert.True(t, app.IsNotSent(err), m)
	}
	ok := map[app.Wallet][]string{
		app.WalletWeChat:   {"101234567890123456", "154567890123456789"},
		app.WalletAlipay:   {"2512345678901234", "301234567890123456789012"},
		app.WalletMember:   {"9912345678"},
		app.WalletUnionPay: {"6212345678901234567"},
	}
	for w, codes := range ok {
		for _, c := range codes {
			assert.NoError(t, channel.CheckAuthCode(w, c), "%s %s", w, c)
		}
	}
	bad := map[app.Wallet][]string{
		app.WalletWeChat: {"161234567890123456", "10123456789012345", "28123456789012345", "13456789012345678a", ""},
		app.WalletAlipay: {"241234567890123456", "251234567890123", "134567890123456789"},
		app.WalletMember: {"98123456789"},
		"bitcoin":        {"134567890123456789"},
	}
	for w, codes := range bad {
		for _, c := range codes {
			assert.True(t, app.IsNotSent(channel.CheckAuthCode(w, c)), "%s %s", w, c)
		}
	}
}

type fakeChannel struct{ name app.ChannelName }

func (f fakeChannel) Name() app.ChannelName { return f.name }
func (fakeChannel) Pay(context.Context, app.PayRequest) (app.ChannelResult, error) {
	return app.ChannelResult{}, nil
}
func (fakeChannel) Query(context.Context, app.OrderRef) (app.ChannelResult, error) {
	return app.ChannelResult{}, nil
}
func (fakeChannel) Reverse(context.Context, app.OrderRef) (app.ChannelResult, error) {
	return app.ChannelResult{}, nil
}
func (fakeChannel) Refund(context.Context, app.RefundRequest) (app.ChannelResult, error) {
	return app.ChannelResult{}, nil
}
func (fakeChannel) RefundQuery(context.Context, app.RefundRequest) (app.ChannelResult, error) {
	return app.ChannelResult{}, nil
}
func (fakeChannel) Consume(context.Context, app.ConsumeRequest) (app.ChannelResult, error) {
	return app.ChannelResult{}, nil
}
func (fakeChannel) Release(context.Context, app.ReleaseRequest) (app.ChannelResult, error) {
	return app.ChannelResult{}, nil
}
func (fakeChannel) QueryDepositOp(context.Context, app.DepositOpRef) (app.ChannelResult, error) {
	return app.ChannelResult{}, nil
}
func (fakeChannel) DownloadBill(context.Context, time.Time) (app.Bill, error) { return app.Bill{}, nil }

func TestChannels_Router(t *testing.T) {
	r := channel.NewChannels()
	_, err := r.For(app.WalletWeChat)
	require.Error(t, err)
	assert.True(t, app.IsNotSent(err))
	assert.Contains(t, err.Error(), "no payment channel is configured for wechat")
	assert.Contains(t, err.Error(), "微信支付")

	cp := fakeChannel{app.ChannelCloudPay}
	r.Set(fakeChannel{app.ChannelWeChat}, app.WalletWeChat)
	r.Set(cp, app.WalletAlipay, app.WalletMember)
	ch, err := r.For(app.WalletAlipay)
	require.NoError(t, err)
	assert.Equal(t, app.ChannelCloudPay, ch.Name())
	_, err = r.For(app.WalletUnionPay)
	assert.True(t, app.IsNotSent(err))
	assert.Equal(t, []app.ChannelName{app.ChannelCloudPay, app.ChannelWeChat}, r.Names())
	assert.Equal(t, []app.Wallet{app.WalletAlipay, app.WalletMember, app.WalletWeChat}, r.Wallets())
	named, err := r.Named(app.ChannelCloudPay)
	require.NoError(t, err)
	assert.Equal(t, app.ChannelCloudPay, named.Name())
	_, err = r.Named(app.ChannelAlipay)
	assert.True(t, app.IsNotSent(err))

	r.Remove(app.WalletAlipay)
	_, err = r.For(app.WalletAlipay)
	assert.True(t, app.IsNotSent(err))
	r.MarkSandbox(app.ChannelWeChat, true)
	assert.True(t, r.IsSandbox(app.ChannelWeChat))
	assert.False(t, r.IsSandbox(app.ChannelCloudPay))
}

func TestCheckBaseURL(t *testing.T) {
	for _, ok := range []string{"https://api.mch.weixin.qq.com", "http://127.0.0.1:8443/cpay"} {
		_, err := channel.CheckBaseURL("u", ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"", "api.mch.weixin.qq.com", "ftp://x", "https://user:pw@x", "https://x/?a=1", "https://"} {
		_, err := channel.CheckBaseURL("u", bad)
		assert.Error(t, err, bad)
	}
}

// A bill's summary total is signed and may pass one payment's ceiling.
func TestParseTotalYuan(t *testing.T) {
	for in, want := range map[string]app.Money{"1250000.00": 125_000_000, "-3.5": -350, "0": 0} {
		got, err := channel.ParseTotalYuan(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "-", "1.", "1.234", "1e5", "１２", "--1"} {
		_, err := channel.ParseTotalYuan(bad)
		assert.ErrorIs(t, err, channel.ErrYuan, bad)
	}
}
