package setup_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/alipay"
	"cashier/sync/channel/cloudpay"
	"cashier/sync/channel/internal/chantest"
	"cashier/sync/channel/setup"
	"cashier/sync/channel/wechat"
)

func configs(t *testing.T) (*wechat.Config, *alipay.Config, *cloudpay.Config) {
	appKey, aliKey := chantest.RSAKey(t, 2048), chantest.RSAKey(t, 2048)
	return &wechat.Config{AppID: "wx1", MchID: "1900000001", SubMchID: "1900000002", APIKey: "0123456789abcdef0123456789abcdef"},
		&alipay.Config{AppID: "2021000000000001", PrivateKey: channel.Secret(chantest.PKCS8PEM(appKey)), AlipayPublicKey: chantest.PublicPEM(&aliKey.PublicKey)},
		&cloudpay.Config{OutMchID: "m", OutSubMchID: "s", OutShopID: "p", CashierID: "sz01", AuthenKey: "0123456789abcdef", DeviceID: "POS-01"}
}

func name(t *testing.T, r *channel.Channels, w app.Wallet) app.ChannelName {
	ch, err := r.For(w)
	if err != nil {
		assert.True(t, app.IsNotSent(err))
		return ""
	}
	return ch.Name()
}

func TestBuild_DefaultRoutes(t *testing.T) {
	wx, ali, cp := configs(t)
	r, err := setup.Build(setup.Settings{WeChat: wx, Alipay: ali, CloudPay: cp, Sandbox: true}, nil)
	require.NoError(t, err)
	assert.Equal(t, app.ChannelWeChat, name(t, r, app.WalletWeChat))
	assert.Equal(t, app.ChannelAlipay, name(t, r, app.WalletAlipay))
	assert.Equal(t, app.ChannelName(""), name(t, r, app.WalletMember), "member cards have no payment channel")
	assert.Equal(t, app.ChannelName(""), name(t, r, app.WalletUnionPay))
	assert.True(t, r.IsSandbox(app.ChannelAlipay))

	r, err = setup.Build(setup.Settings{CloudPay: cp}, nil)
	require.NoError(t, err)
	for _, w := range []app.Wallet{app.WalletWeChat, app.WalletAlipay} {
		assert.Equal(t, app.ChannelCloudPay, name(t, r, w), w)
	}
	_, err = r.For(app.WalletMember)
	assert.ErrorContains(t, err, "no payment channel is configured for member", "not routed to Cloud Pay")

	r, err = setup.Build(setup.Settings{WeChat: wx}, nil)
	require.NoError(t, err)
	_, err = r.For(app.WalletAlipay)
	assert.ErrorContains(t, err, "no payment channel is configured for alipay")
}

func TestBuild_RoutesAndErrors(t *testing.T) {
	wx, ali, cp := configs(t)
	r, err := setup.Build(setup.Settings{WeChat: wx, CloudPay: cp, Routes: map[app.Wallet]app.ChannelName{app.WalletWeChat: app.ChannelCloudPay}}, nil)
	require.NoError(t, err)
	assert.Equal(t, app.ChannelCloudPay, name(t, r, app.WalletWeChat))

	_, err = setup.Build(setup.Settings{WeChat: wx, Routes: map[app.Wallet]app.ChannelName{app.WalletAlipay: app.ChannelWeChat}}, nil)
	assert.ErrorContains(t, err, "cannot serve")
	_, err = setup.Build(setup.Settings{CloudPay: cp, Routes: map[app.Wallet]app.ChannelName{app.WalletMember: app.ChannelCloudPay}}, nil)
	assert.ErrorContains(t, err, "cannot serve", "Cloud Pay has no member-card platform")
	_, err = setup.Build(setup.Settings{WeChat: wx, Routes: map[app.Wallet]app.ChannelName{app.WalletAlipay: app.ChannelAlipay}}, nil)
	assert.ErrorContains(t, err, "not configured")

	bad := *ali
	bad.PrivateKey = "nope"
	_, err = setup.Build(setup.Settings{Alipay: &bad}, nil)
	var se *setup.SettingError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "alipay", se.Field, "the refusing setting is named")
	badWx := *wx
	badWx.APIKey = "short"
	_, err = setup.Build(setup.Settings{WeChat: &badWx}, nil)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "wechat", se.Field)
}
