package sandbox

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
)

// ClientCredentials is what the app's channel clients need to talk to a
// demo sandbox: merchant numbers, keys and certificates, as plain values.
type ClientCredentials struct {
	// CAPEM is the sandbox's certificate authority: trust it for the HTTPS
	// server certificate.
	CAPEM    string              `json:"-"`
	WeChat   WeChatCredentials   `json:"wechat"`
	Alipay   AlipayCredentials   `json:"alipay"`
	CloudPay CloudPayCredentials `json:"cloudpay"`
}

// WeChatCredentials: a service-provider merchant with one special merchant.
type WeChatCredentials struct {
	AppID    string `json:"appid"`
	MchID    string `json:"mch_id"`
	SubMchID string `json:"sub_mch_id"`
	APIKey   string `json:"api_key"`
	// The API client certificate (mutual TLS for /secapi/* and the deposit
	// reverse/consume/refund calls) as PEM, and as WeChat ships it:
	// apiclient_cert.p12 whose password is the mch_id.
	ClientCertPEM  string `json:"-"`
	ClientKeyPEM   string `json:"-"`
	PKCS12         []byte `json:"-"`
	PKCS12Password string `json:"-"`
}

// AlipayCredentials: an open-platform app signing with RSA2 in public-key
// mode, and one in public-key certificate mode.
type AlipayCredentials struct {
	AppID            string `json:"app_id"`
	AppPrivateKeyPEM string `json:"-"` // PKCS#8 "PRIVATE KEY"
	AppPublicKeyPEM  string `json:"-"`
	// GatewayPublicKeyPEM verifies the gateway's answers ("支付宝公钥").
	GatewayPublicKeyPEM string `json:"-"`

	// Certificate mode (公钥证书模式): another app, its private key, and
	// the three certificates a client is given — the app's certificate
	// (appCertPublicKey), the gateway's ("Alipay public-key certificate")
	// and the root file (alipayRootCert). All issued by the demo's Alipay
	// root. Empty for a demo folder made before certificate mode existed.
	CertAppID            string `json:"cert_app_id,omitempty"`
	CertAppPrivateKeyPEM string `json:"-"`
	AppCertPEM           string `json:"-"`
	AlipayCertPEM        string `json:"-"`
	AlipayRootCertPEM    string `json:"-"`
}

// CloudPayCredentials: a Cloud Pay sub-merchant with one shop and cashier.
type CloudPayCredentials struct {
	OutMchID    string `json:"out_mch_id"`
	OutSubMchID string `json:"out_sub_mch_id"`
	OutShopID   string `json:"out_shop_id"`
	// CashierID is the order number prefix (云支付订单前缀).
	CashierID string `json:"cashier_id"`
	AuthenKey string `json:"authen_key"`
	// SignPrivateKeyPEM signs refund/reverse with RSASSA-PSS (authen_info.s).
	SignPrivateKeyPEM string `json:"-"`
	StaffID           string `json:"staff_id"`
	DeviceID          string `json:"device_id"`
}

// Demo file names inside the demo directory.
const (
	demoConfigFile   = "sandbox.json"
	demoClientFile   = "client.json"
	demoWxCert       = "wechat-apiclient_cert.pem"
	demoWxKey        = "wechat-apiclient_key.pem"
	demoWxP12        = "wechat-apiclient_cert.p12"
	demoAliAppPriv   = "alipay-app-private.pem"
	demoAliAppPub    = "alipay-app-public.pem"
	demoAliGwPriv    = "alipay-gateway-private.pem"
	demoAliGwPub     = "alipay-gateway-public.pem"
	demoAliGwCert    = "alipay-gateway-cert.pem"
	demoAliRootCert  = "alipay-root-cert.pem"
	demoAliRootKey   = "alipay-root-ca.key"
	demoAliCertPriv  = "alipay-certapp-private.pem"
	demoAliCertApp   = "alipay-certapp-cert.pem"
	demoCpSignPriv   = "cloudpay-sign-private.pem"
	demoCpSignPub    = "cloudpay-sign-public.pem"
	demoCACertFile   = "sandbox-ca.pem"
	demoCAKeyFile    = "sandbox-ca.key"
	demoLedgerFile   = "ledger.jsonl"
	demoPayingSecond = 10
)

// Demo creates (first run) or loads a demo sandbox set-up in dir: a config
// file (sandbox.json, the documented format) with freshly generated keys
// and certificates beside it, and the matching client credentials.
// The files persist, so the app keeps talking to the same merchants, and
// so does the ledger: Config.LedgerFile is ledger.jsonl in dir (unless
// sandbox.json names another ledger_file), so a sandbox restarted on dir
// answers for the orders it took before.
func Demo(dir string) (*Config, *ClientCredentials, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("sandbox demo: %w", err)
	}
	cfgPath := filepath.Join(dir, demoConfigFile)
	if _, err := os.Stat(cfgPath); errors.Is(err, os.ErrNotExist) {
		if err := createDemo(dir); err != nil {
			return nil, nil, fmt.Errorf("sandbox demo: %w", err)
		}
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	if cfg.LedgerFile == "" {
		cfg.LedgerFile = filepath.Join(dir, demoLedgerFile)
	}
	creds, err := loadDemoCredentials(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox demo %s: %w (delete the folder to start over)", dir, err)
	}
	creds.CAPEM = string(cfg.TLS.ca.certPEM)
	return cfg, creds, nil
}

func loadDemoCredentials(dir string) (*ClientCredentials, error) {
	raw, err := os.ReadFile(filepath.Join(dir, demoClientFile))
	if err != nil {
		return nil, err
	}
	var c ClientCredentials
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", demoClientFile, err)
	}
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return string(b), err
	}
	var p12 string
	for _, f := range []struct {
		dst  *string
		name string
	}{
		{&c.WeChat.ClientCertPEM, demoWxCert}, {&c.WeChat.ClientKeyPEM, demoWxKey}, {&p12, demoWxP12},
		{&c.Alipay.AppPrivateKeyPEM, demoAliAppPriv}, {&c.Alipay.AppPublicKeyPEM, demoAliAppPub},
		{&c.Alipay.GatewayPublicKeyPEM, demoAliGwPub}, {&c.CloudPay.SignPrivateKeyPEM, demoCpSignPriv},
	} {
		if *f.dst, err = read(f.name); err != nil {
			return nil, err
		}
	}
	c.WeChat.PKCS12 = []byte(p12)
	c.WeChat.PKCS12Password = c.WeChat.MchID
	if c.Alipay.CertAppID != "" {
		for _, f := range []struct {
			dst  *string
			name string
		}{
			{&c.Alipay.CertAppPrivateKeyPEM, demoAliCertPriv}, {&c.Alipay.AppCertPEM, demoAliCertApp},
			{&c.Alipay.AlipayCertPEM, demoAliGwCert}, {&c.Alipay.AlipayRootCertPEM, demoAliRootCert},
		} {
			if *f.dst, err = read(f.name); err != nil {
				return nil, err
			}
		}
	}
	return &c, nil
}

func randDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}

func randLower(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		b[i] = chars[d.Int64()]
	}
	return string(b)
}

func createDemo(dir string) error {
	ca, err := loadOrCreateAuthority(filepath.Join(dir, demoCACertFile), filepath.Join(dir, demoCAKeyFile))
	if err != nil {
		return err
	}
	creds := ClientCredentials{
		WeChat: WeChatCredentials{
			AppID: "wx" + randLower(16), MchID: "19" + randDigits(8), SubMchID: "16" + randDigits(8), APIKey: nonce(32),
		},
		Alipay: AlipayCredentials{AppID: "2021" + randDigits(12), CertAppID: "2021" + randDigits(12)},
		CloudPay: CloudPayCredentials{
			OutMchID: "sz01" + nonce(16), OutSubMchID: "sz01" + nonce(16), OutShopID: "sz01" + nonce(16),
			CashierID: "sz01" + randLower(6), AuthenKey: nonce(32), StaffID: "1001", DeviceID: "POS-01",
		},
	}
	write := func(name string, data []byte, secret bool) error {
		perm := os.FileMode(0o644)
		if secret {
			perm = 0o600
		}
		return writeFileAtomic(filepath.Join(dir, name), data, perm)
	}
	certPEM, keyPEM, cert, key, err := ca.clientCertificate(creds.WeChat.MchID)
	if err != nil {
		return err
	}
	p12, err := encodePKCS12(key, cert, creds.WeChat.MchID)
	if err != nil {
		return err
	}
	aliAppPriv, aliAppPub, _, err := newRSAKeyPEM()
	if err != nil {
		return err
	}
	aliGwPriv, aliGwPub, aliGwKey, err := newRSAKeyPEM()
	if err != nil {
		return err
	}
	// Certificate mode: the demo's Alipay root (RSA, so it counts in
	// alipay_root_cert_sn) issues the gateway's and the cert app's
	// certificates. The root file also holds the sandbox's ECDSA TLS
	// authority, which a client must skip as it skips the real file's
	// non-RSA roots.
	aliRoot, aliRootKey, err := newAlipayRoot()
	if err != nil {
		return err
	}
	aliGwCert, err := aliRoot.alipayCert("poscashier SANDBOX Alipay gateway", "Alipay", &aliGwKey.PublicKey)
	if err != nil {
		return err
	}
	certAppPriv, _, certAppKey, err := newRSAKeyPEM()
	if err != nil {
		return err
	}
	certAppCert, err := aliRoot.alipayCert(creds.Alipay.CertAppID, "Alipay app", &certAppKey.PublicKey)
	if err != nil {
		return err
	}
	aliRootFile := append(append([]byte{}, aliRoot.certPEM...), ca.certPEM...)
	cpPriv, cpPub, _, err := newRSAKeyPEM()
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name   string
		data   []byte
		secret bool
	}{
		{demoWxCert, certPEM, false}, {demoWxKey, keyPEM, true}, {demoWxP12, p12, true},
		{demoAliAppPriv, aliAppPriv, true}, {demoAliAppPub, aliAppPub, false},
		{demoAliGwPriv, aliGwPriv, true}, {demoAliGwPub, aliGwPub, false},
		{demoAliGwCert, aliGwCert, false}, {demoAliRootCert, aliRootFile, false}, {demoAliRootKey, aliRootKey, true},
		{demoAliCertPriv, certAppPriv, true}, {demoAliCertApp, certAppCert, false},
		{demoCpSignPriv, cpPriv, true}, {demoCpSignPub, cpPub, false},
	} {
		if err := write(f.name, f.data, f.secret); err != nil {
			return err
		}
	}
	clientJSON, _ := json.MarshalIndent(creds, "", "  ")
	if err := write(demoClientFile, clientJSON, true); err != nil {
		return err
	}
	cfg := Config{
		WeChat: WeChatConfig{Merchants: []WeChatMerchant{{
			AppID: creds.WeChat.AppID, MchID: creds.WeChat.MchID, APIKey: creds.WeChat.APIKey,
			SubMchIDs: []string{creds.WeChat.SubMchID}, ClientCert: demoWxCert,
		}}},
		Alipay: AlipayConfig{GatewayPrivateKey: demoAliGwPriv, GatewayCert: demoAliGwCert, RootCert: demoAliRootCert,
			Apps: []AlipayApp{{AppID: creds.Alipay.AppID, AppPublicKey: demoAliAppPub}, {AppID: creds.Alipay.CertAppID, AppCert: demoAliCertApp}}},
		CloudPay: CloudPayConfig{SubMerchants: []CloudPaySubMerchant{{
			OutMchID: creds.CloudPay.OutMchID, OutSubMchID: creds.CloudPay.OutSubMchID, AuthenKey: creds.CloudPay.AuthenKey,
			SignPublicKey: demoCpSignPub, CashierID: creds.CloudPay.CashierID,
			Shops: []CloudPayShop{{
				OutShopID: creds.CloudPay.OutShopID, ShopName: "演示门店 Demo Store",
				Staff:   []CloudPayStaff{{StaffID: creds.CloudPay.StaffID, StaffName: "收银员 Cashier", ShopManager: true}},
				Devices: []string{creds.CloudPay.DeviceID},
			}},
		}}},
		TLS:       TLSConfig{CACert: demoCACertFile, CAKey: demoCAKeyFile},
		Scenarios: ScenarioConfig{UserPayingSeconds: demoPayingSecond, SlowAnswerSeconds: 40},
		Wallets:   WalletConfig{DefaultBalance: "50000.00"},
	}
	cfgJSON, _ := json.MarshalIndent(cfg, "", "  ")
	// The config file goes last: its presence means the folder is complete.
	return write(demoConfigFile, append(cfgJSON, '\n'), true)
}
