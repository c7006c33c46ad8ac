// Package setup builds the channel router from the settings: one client per
// configured channel, each wallet routed to the channel that serves it.
// It lives apart from package channel because it imports the three client
// packages, which import channel.
package setup

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/alipay"
	"cashier/sync/channel/cloudpay"
	"cashier/sync/channel/wechat"
)

// Settings holds every channel's settings; a nil channel is not configured.
type Settings struct {
	WeChat   *wechat.Config
	Alipay   *alipay.Config
	CloudPay *cloudpay.Config
	// Routes overrides which channel serves a wallet. Without an entry:
	// WeChat codes go to WeChat Pay if configured, else Cloud Pay; Alipay
	// codes to Alipay if configured, else Cloud Pay. Member cards and
	// UnionPay have no payment channel: Cloud Pay has no member-card
	// platform (PayPlatform 1 WeChat Pay, 2 Alipay, 4 bookkeeping), and
	// member cards will be the app's own ledger.
	Routes map[app.Wallet]app.ChannelName
	// Sandbox marks every configured channel as pointing at the sandbox
	// gateway (the UI shows SANDBOX).
	Sandbox bool
}

// SettingError names the setting (the channels.json field) a client or a
// route refused; Err is the client's reason, which never quotes a key.
type SettingError struct {
	Field string
	Err   error
}

func (e *SettingError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *SettingError) Unwrap() error { return e.Err }

// Build makes the clients and the router. A malformed setting or key is an
// error naming the channel; nothing is sent.
func Build(s Settings, clock app.Clock) (*channel.Channels, error) {
	byName := map[app.ChannelName]app.PaymentChannel{}
	if s.WeChat != nil {
		c, err := wechat.New(*s.WeChat, clock)
		if err != nil {
			return nil, &SettingError{Field: "wechat", Err: err}
		}
		byName[app.ChannelWeChat] = c
	}
	if s.Alipay != nil {
		c, err := alipay.New(*s.Alipay, clock)
		if err != nil {
			return nil, &SettingError{Field: "alipay", Err: err}
		}
		byName[app.ChannelAlipay] = c
	}
	if s.CloudPay != nil {
		c, err := cloudpay.New(*s.CloudPay, clock)
		if err != nil {
			return nil, &SettingError{Field: "cloudpay", Err: err}
		}
		byName[app.ChannelCloudPay] = c
	}
	routes := map[app.Wallet]app.ChannelName{}
	pick := func(w app.Wallet, first, second app.ChannelName) {
		if _, ok := byName[first]; ok {
			routes[w] = first
		} else if _, ok := byName[second]; ok {
			routes[w] = second
		}
	}
	pick(app.WalletWeChat, app.ChannelWeChat, app.ChannelCloudPay)
	pick(app.WalletAlipay, app.ChannelAlipay, app.ChannelCloudPay)
	if field, err := checkRoutes(s.Routes, func(n app.ChannelName) bool { return byName[n] != nil }); err != nil {
		return nil, &SettingError{Field: field, Err: err}
	}
	for w, n := range s.Routes {
		if n == "" {
			delete(routes, w)
		} else {
			routes[w] = n
		}
	}
	r := channel.NewChannels()
	for w, n := range routes {
		r.Set(byName[n], w)
	}
	for n := range byName {
		r.MarkSandbox(n, s.Sandbox)
	}
	return r, nil
}

// checkRoutes checks routes, in wallet order, against the configured
// channels: a known wallet, routed to "" (taken off) or to a configured
// channel that can serve it. It returns the field ("routes.<wallet>") and
// the reason of the first problem. channels.json (File.check) and Build
// both use it.
func checkRoutes(routes map[app.Wallet]app.ChannelName, configured func(app.ChannelName) bool) (string, error) {
	for _, w := range slices.Sorted(maps.Keys(routes)) {
		n, field := routes[w], "routes."+string(w)
		switch w {
		case app.WalletWeChat, app.WalletAlipay, app.WalletUnionPay, app.WalletMember:
		default:
			return field, errors.New("unknown wallet")
		}
		switch {
		case n == "":
		case !configured(n):
			return field, fmt.Errorf("routed to %q, which is not configured", n)
		case !serves(n, w):
			return field, fmt.Errorf("channel %q cannot serve the %s wallet", n, w)
		}
	}
	return "", nil
}

func serves(n app.ChannelName, w app.Wallet) bool {
	switch n {
	case app.ChannelWeChat:
		return w == app.WalletWeChat
	case app.ChannelAlipay:
		return w == app.WalletAlipay
	case app.ChannelCloudPay:
		return w == app.WalletWeChat || w == app.WalletAlipay
	}
	return false
}
