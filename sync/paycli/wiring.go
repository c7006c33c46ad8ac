// Package paycli wires the payment state machine to its channels and
// storage, and holds the support-staff commands `pos pay` and `pos refund`,
// which run exactly the state machine the cashier screen runs.
package paycli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"cashier/app"
	"cashier/localdb"
	"cashier/sync/channel"
	"cashier/sync/channel/alipay"
	"cashier/sync/channel/cloudpay"
	"cashier/sync/channel/setup"
	"cashier/sync/channel/wechat"
	"cashier/sync/sandbox"
)

// ChannelConfigs are the client settings of the channels to use; a nil
// entry is a channel that is not configured.
type ChannelConfigs struct {
	WeChat   *wechat.Config
	Alipay   *alipay.Config
	CloudPay *cloudpay.Config
	// Route overrides which channel takes which wallet (see setup.Settings:
	// by default each wallet goes to its own channel, else to Cloud Pay).
	Route map[app.Wallet]app.ChannelName
	// OrderPrefix is the prefix every merchant order / refund number must
	// carry (Cloud Pay's cashier id); "" keeps the terminal's own.
	OrderPrefix string
	// Sandbox marks configs that point at the sandbox gateway.
	Sandbox bool
	// Wrap, when set, wraps each client (tests watch or interrupt calls).
	Wrap func(app.PaymentChannel) app.PaymentChannel `json:"-"`
}

// RouteAllTo sends every wallet the channel takes to that one channel
// (what `pos pay --channel X` does).
func RouteAllTo(ch app.ChannelName) map[app.Wallet]app.ChannelName {
	r := map[app.Wallet]app.ChannelName{}
	for _, w := range WalletsOf(ch) {
		r[w] = ch
	}
	return r
}

// WalletsOf lists the wallets a channel can take.
func WalletsOf(ch app.ChannelName) []app.Wallet {
	switch ch {
	case app.ChannelWeChat:
		return []app.Wallet{app.WalletWeChat}
	case app.ChannelAlipay:
		return []app.Wallet{app.WalletAlipay}
	case app.ChannelCloudPay:
		return []app.Wallet{app.WalletWeChat, app.WalletAlipay, app.WalletMember}
	}
	return nil
}

// BuildChannels makes the clients and the router (sync/channel/setup). A
// malformed key or certificate fails here, with the channel's clear
// message, before any payment is attempted.
func BuildChannels(cfg ChannelConfigs, clock app.Clock) (*channel.Channels, error) {
	r, err := setup.Build(setup.Settings{WeChat: cfg.WeChat, Alipay: cfg.Alipay, CloudPay: cfg.CloudPay,
		Routes: cfg.Route, Sandbox: cfg.Sandbox}, clock)
	if err != nil || cfg.Wrap == nil {
		return r, err
	}
	wrapped := channel.NewChannels()
	byName := map[app.ChannelName]app.PaymentChannel{}
	for _, w := range r.Wallets() {
		ch, err := r.For(w)
		if err != nil {
			return nil, err
		}
		if byName[ch.Name()] == nil {
			byName[ch.Name()] = cfg.Wrap(ch)
		}
		wrapped.Set(byName[ch.Name()], w)
	}
	for _, n := range r.Names() {
		wrapped.MarkSandbox(n, r.IsSandbox(n))
	}
	return wrapped, nil
}

// SandboxDir is where the embedded sandbox keeps its demo merchants, keys
// and certificates inside a data folder.
func SandboxDir(dataDir string) string { return filepath.Join(dataDir, "sandbox") }

// Gateway is a running sandbox's addresses and the credentials to use it.
type Gateway struct {
	BaseURL       string // WeChat
	AlipayGateway string
	CloudPayURL   string
	CAPEM         string
	Creds         *sandbox.ClientCredentials
	Server        *sandbox.Server // nil for an external gateway
}

// StartSandbox loads (or creates) the demo sandbox in dir and serves it on
// a free local port until ctx ends; clock drives its time rules.
func StartSandbox(ctx context.Context, dir string, clock app.Clock) (*Gateway, error) {
	cfg, creds, err := sandbox.Demo(dir)
	if err != nil {
		return nil, err
	}
	cfg.Clock = clock
	srv, err := sandbox.Start(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		return nil, err
	}
	return &Gateway{BaseURL: srv.BaseURL, AlipayGateway: srv.AlipayGateway, CloudPayURL: srv.CloudPayURL,
		CAPEM: string(srv.CAPEM()), Creds: creds, Server: srv}, nil
}

// ExternalSandbox points at a sandbox already running at baseURL (`pos
// sandbox --demo DIR`), with the demo credentials of dir.
func ExternalSandbox(baseURL, dir string) (*Gateway, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	if _, err := channel.CheckBaseURL("--gateway", baseURL); err != nil {
		return nil, err
	}
	_, creds, err := sandbox.Demo(dir)
	if err != nil {
		return nil, err
	}
	return &Gateway{BaseURL: baseURL, AlipayGateway: baseURL + "/gateway.do", CloudPayURL: baseURL + "/cpay",
		CAPEM: creds.CAPEM, Creds: creds}, nil
}

// Configs are the client settings for talking to this gateway with its
// demo merchants; http sets timeouts (its RootCAPEM is filled in).
func (g *Gateway) Configs(http channel.HTTPSettings, logger *slog.Logger) ChannelConfigs {
	http.RootCAPEM = g.CAPEM
	c := g.Creds
	return ChannelConfigs{
		WeChat: &wechat.Config{
			BaseURL: g.BaseURL, AppID: c.WeChat.AppID, MchID: c.WeChat.MchID, SubMchID: c.WeChat.SubMchID,
			APIKey: channel.Secret(c.WeChat.APIKey), CertPEM: c.WeChat.ClientCertPEM,
			KeyPEM: channel.Secret(c.WeChat.ClientKeyPEM), DeviceInfo: c.CloudPay.DeviceID, ClientIP: "127.0.0.1",
			HTTP: http, Logger: logger,
		},
		Alipay: &alipay.Config{
			GatewayURL: g.AlipayGateway, AppID: c.Alipay.AppID, PrivateKey: channel.Secret(c.Alipay.AppPrivateKeyPEM),
			AlipayPublicKey: c.Alipay.GatewayPublicKeyPEM, HTTP: http, Logger: logger,
		},
		CloudPay: &cloudpay.Config{
			BaseURL: g.CloudPayURL, OutMchID: c.CloudPay.OutMchID, OutSubMchID: c.CloudPay.OutSubMchID,
			OutShopID: c.CloudPay.OutShopID, CashierID: c.CloudPay.CashierID, AuthenKey: channel.Secret(c.CloudPay.AuthenKey),
			SignPrivateKey: channel.Secret(c.CloudPay.SignPrivateKeyPEM), DeviceID: c.CloudPay.DeviceID,
			StaffID: c.CloudPay.StaffID, ClientIP: "127.0.0.1", HTTP: http, Logger: logger,
		},
		OrderPrefix: c.CloudPay.CashierID,
		Sandbox:     true,
	}
}

// NewPayments builds the payment service for this terminal on db: the
// SQLite store, the router, the terminal's identity (store and terminal
// codes, order prefix) and the shop's refund rule.
func NewPayments(ctx context.Context, db *localdb.DB, router app.ChannelRouter, orderPrefix string, clock app.Clock, policy app.PaymentPolicy) (*app.Payments, error) {
	store, err := db.CurrentStore(ctx)
	if err != nil {
		return nil, fmt.Errorf("没有门店设置 / no store configured: %w", err)
	}
	term, err := db.CurrentTerminal(ctx)
	if err != nil {
		return nil, fmt.Errorf("没有终端设置 / no terminal configured: %w", err)
	}
	if orderPrefix == "" {
		orderPrefix = term.OrderPrefix
	}
	if router == nil {
		return nil, errors.New("payments: no channel router")
	}
	return app.NewPayments(app.PaymentsConfig{
		Store:  localdb.NewPaymentStore(db),
		Router: router,
		Clock:  clock,
		Policy: policy,
		Terminal: app.PaymentTerminal{
			StoreID: store.ID, TerminalID: term.ID, StoreCode: store.Code, TerminalCode: term.Code,
			OrderPrefix: orderPrefix, ClientIP: "127.0.0.1", Subject: store.Name,
		},
		Refunds: app.RefundRule{ClockedOn: db.ClockedOn},
	})
}
