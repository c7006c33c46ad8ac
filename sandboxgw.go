package main

import (
	"context"
	"path/filepath"
	"strings"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/setup"
	"cashier/sync/sandbox"
)

// SandboxDir is where the embedded sandbox keeps its demo merchants, keys,
// certificates and ledger inside a data folder.
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
	return gatewayOf(srv, creds), nil
}

// gatewayOf is the Gateway of a sandbox served by this process.
func gatewayOf(srv *sandbox.Server, creds *sandbox.ClientCredentials) *Gateway {
	return &Gateway{BaseURL: srv.BaseURL, AlipayGateway: srv.AlipayGateway, CloudPayURL: srv.CloudPayURL,
		CAPEM: string(srv.CAPEM()), Creds: creds, Server: srv}
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

// File is the channels.json that points a data folder at this gateway with
// its demo merchants (what `pos sandbox --demo DIR` writes to
// DIR/channels.json).
func (g *Gateway) File() setup.File {
	c := g.Creds
	http := setup.HTTPFile{RootCAPEM: g.CAPEM}
	return setup.File{
		Sandbox:     true,
		OrderPrefix: c.CloudPay.CashierID,
		WeChat: &setup.WeChatFile{BaseURL: g.BaseURL, AppID: c.WeChat.AppID, MchID: c.WeChat.MchID, SubMchID: c.WeChat.SubMchID,
			APIKey: c.WeChat.APIKey, CertPEM: c.WeChat.ClientCertPEM, KeyPEM: c.WeChat.ClientKeyPEM,
			DeviceInfo: c.CloudPay.DeviceID, ClientIP: "127.0.0.1", HTTPFile: http},
		Alipay: &setup.AlipayFile{GatewayURL: g.AlipayGateway, AppID: c.Alipay.AppID, PrivateKey: c.Alipay.AppPrivateKeyPEM,
			AlipayPublicKey: c.Alipay.GatewayPublicKeyPEM, HTTPFile: http},
		CloudPay: &setup.CloudPayFile{BaseURL: g.CloudPayURL, OutMchID: c.CloudPay.OutMchID, OutSubMchID: c.CloudPay.OutSubMchID,
			OutShopID: c.CloudPay.OutShopID, CashierID: c.CloudPay.CashierID, AuthenKey: c.CloudPay.AuthenKey,
			SignPrivateKey: c.CloudPay.SignPrivateKeyPEM, DeviceID: c.CloudPay.DeviceID, StaffID: c.CloudPay.StaffID,
			ClientIP: "127.0.0.1", HTTPFile: http},
	}
}
