// Package sandbox is an embedded payment gateway that speaks the wire
// protocols of WeChat Pay API v2, the Alipay open API and Tencent Cloud Pay
// at their real paths. It verifies signatures as the real services do,
// keeps its own ledger, serves bills in the real formats and plays scripted
// scenarios chosen by the payment code (see scenario.go and docs/sandbox.md).
//
// It imports nothing from the app's channel clients: it is written from the
// protocol documents so that a client and the sandbox cannot merely agree
// with each other. Third-party clients (the npm packages tenpay and
// alipay-sdk) are driven against it in interop_test.go.
package sandbox

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cashier/app"
)

// Config is the sandbox's configuration: the merchants it knows, its TLS
// authority, scenario timings and wallet balances. It is read from the JSON
// file documented in docs/sandbox.md; Clock and Log are set in code.
type Config struct {
	WeChat    WeChatConfig   `json:"wechat"`
	Alipay    AlipayConfig   `json:"alipay"`
	CloudPay  CloudPayConfig `json:"cloudpay"`
	TLS       TLSConfig      `json:"tls"`
	Scenarios ScenarioConfig `json:"scenarios"`
	Wallets   WalletConfig   `json:"wallets"`
	// LedgerFile keeps the ledger across restarts: every change is written
	// and fsynced there before the answer that reports it, and Start loads
	// it (format: journal.go, docs/sandbox.md). A relative path is relative
	// to the config file (to the current directory for a config built in
	// code). Empty: the ledger lives in memory and a restarted sandbox
	// starts empty. Demo sets it to ledger.jsonl in the demo folder.
	LedgerFile string `json:"ledger_file,omitempty"`

	// Clock drives every time rule (USERPAYING windows, the slow answer,
	// the 15-second and 7-day reverse rules, bill dates). Default: system clock.
	Clock app.Clock `json:"-"`
	// Log receives one line per request (method, path, status, duration;
	// never a body, key or signature). Nil: no request log.
	Log io.Writer `json:"-"`

	prepared bool
}

// WeChatConfig lists the WeChat Pay merchants (service providers) the sandbox accepts.
type WeChatConfig struct {
	Merchants []WeChatMerchant `json:"merchants"`
}

// WeChatMerchant is one WeChat Pay (service-provider) merchant account.
type WeChatMerchant struct {
	AppID  string `json:"appid"`
	MchID  string `json:"mch_id"`
	APIKey string `json:"api_key"` // the API v2 key, 32 characters
	// SubMchIDs are the special merchants served by this provider; a
	// request's sub_mch_id must be one of them. Empty: requests must not
	// carry a sub_mch_id (an ordinary merchant).
	SubMchIDs []string `json:"sub_mch_ids,omitempty"`
	// ClientCert is the merchant's API client certificate (apiclient_cert.pem),
	// inline PEM or a path relative to the config file. /secapi/* and the
	// certificate-only deposit calls require the TLS client to present it.
	ClientCert string `json:"client_cert"`

	clientCertDER []byte
}

// AlipayConfig holds the Alipay apps and the gateway's own signing key.
type AlipayConfig struct {
	// GatewayPrivateKey signs every response ("Alipay public key" on the
	// client side). Inline PEM (PKCS#1 or PKCS#8) or a path.
	GatewayPrivateKey string `json:"gateway_private_key"`
	// GatewayCert is the certificate of the gateway's key: the "Alipay
	// public-key certificate" (alipayCertPublicKey_RSA2.crt) of apps in
	// certificate mode; its SN is every such answer's alipay_cert_sn.
	// RootCert is the Alipay root certificate file (alipayRootCert.crt)
	// those apps trust: its SN is the alipay_root_cert_sn they must send.
	// Both are required when an app has an app_cert. Inline PEM or a path.
	GatewayCert string      `json:"gateway_cert,omitempty"`
	RootCert    string      `json:"root_cert,omitempty"`
	Apps        []AlipayApp `json:"apps"`

	gatewayKey    *rsa.PrivateKey
	gatewayCertSN string
	rootCertSN    string
}

// AlipayApp is one Alipay open-platform application, in public-key mode
// (AppPublicKey) or in public-key certificate mode (AppCert).
type AlipayApp struct {
	AppID string `json:"app_id"`
	// AppPublicKey verifies the RSA2 request signatures. Inline PEM
	// ("PUBLIC KEY" or "RSA PUBLIC KEY"), a bare base64 key as the Alipay
	// console shows it, or a path.
	AppPublicKey string `json:"app_public_key,omitempty"`
	// AppCert, instead, puts the app in certificate mode: its key verifies
	// the signatures and every request must carry its SN as app_cert_sn
	// (and the root's as alipay_root_cert_sn). Inline PEM or a path.
	AppCert  string `json:"app_cert,omitempty"`
	SellerID string `json:"seller_id,omitempty"`

	publicKey *rsa.PublicKey
	certSN    string // certificate mode: the expected app_cert_sn
}

// CloudPayConfig lists the Cloud Pay sub-merchants.
type CloudPayConfig struct {
	SubMerchants []CloudPaySubMerchant `json:"sub_merchants"`
}

// CloudPaySubMerchant is one Cloud Pay sub-merchant with its shops.
type CloudPaySubMerchant struct {
	OutMchID    string `json:"out_mch_id"`
	OutSubMchID string `json:"out_sub_mch_id"`
	// AuthenKey is the HMAC-SHA256 authentication key.
	AuthenKey string `json:"authen_key"`
	// SignPublicKey verifies RSASSA-PSS signatures (authen_info.s) on
	// refund and reverse. Inline PEM or a path. Optional.
	SignPublicKey string `json:"sign_public_key,omitempty"`
	// CashierID is the "云支付订单前缀": every out_trade_no / out_refund_no
	// must start with it.
	CashierID string         `json:"cashier_id"`
	Shops     []CloudPayShop `json:"shops"`

	signKey *rsa.PublicKey
}

// CloudPayShop is a store of a Cloud Pay sub-merchant.
type CloudPayShop struct {
	OutShopID string          `json:"out_shop_id"`
	ShopName  string          `json:"shop_name"`
	Staff     []CloudPayStaff `json:"staff,omitempty"`
	Devices   []string        `json:"devices,omitempty"`
}

// CloudPayStaff is a cashier of a shop.
type CloudPayStaff struct {
	StaffID     string `json:"staff_id"`
	StaffName   string `json:"staff_name"`
	ShopManager bool   `json:"shop_manager,omitempty"`
}

// TLSConfig names the certificate authority the sandbox issues its server
// certificate from. When both are empty, Load uses sandbox-ca.pem and
// sandbox-ca.key beside the config file, generating them on first use.
type TLSConfig struct {
	CACert string   `json:"ca_cert,omitempty"` // inline PEM or path
	CAKey  string   `json:"ca_key,omitempty"`  // inline PEM or path
	Hosts  []string `json:"hosts,omitempty"`   // extra server names (127.0.0.1, ::1 and localhost are always included)

	ca *authority
}

// ScenarioConfig holds the scenario timings.
type ScenarioConfig struct {
	// UserPayingSeconds: how long codes ending 101/102 stay USERPAYING. Default 10.
	UserPayingSeconds int `json:"user_paying_seconds,omitempty"`
	// SlowAnswerSeconds: how long codes ending 401 hold the answer. Default 40.
	SlowAnswerSeconds int `json:"slow_answer_seconds,omitempty"`
	// RefundSeconds: how long a refund stays PROCESSING. Default 0 (immediate).
	RefundSeconds int `json:"refund_seconds,omitempty"`
	// BillFault serves every bill wrong in one way (billfault.go); "" as
	// they are. Server.SetBillFault changes it while running.
	BillFault BillFault `json:"bill_fault,omitempty"`
}

// WalletConfig sets how much money each payment code can spend.
type WalletConfig struct {
	// DefaultBalance in yuan, e.g. "50000.00" (the default).
	DefaultBalance string `json:"default_balance,omitempty"`
	// Codes overrides the balance of individual payment codes (yuan).
	Codes map[string]string `json:"codes,omitempty"`

	defaultBalance app.Money
	codes          map[string]app.Money
}

// Defaults for scenario timings and wallets.
const (
	DefaultUserPaying    = 10 * time.Second
	DefaultSlowAnswer    = 40 * time.Second
	DefaultWalletBalance = app.Money(5_000_000) // 50,000.00 yuan
	depositReverseMinAge = 15 * time.Second
	reverseMaxAge        = 7 * 24 * time.Hour
	maxRequestBody       = 256 << 10
	cloudPayMaxPageSize  = 100
)

func (s ScenarioConfig) userPaying() time.Duration {
	if s.UserPayingSeconds > 0 {
		return time.Duration(s.UserPayingSeconds) * time.Second
	}
	return DefaultUserPaying
}

func (s ScenarioConfig) slowAnswer() time.Duration {
	if s.SlowAnswerSeconds > 0 {
		return time.Duration(s.SlowAnswerSeconds) * time.Second
	}
	return DefaultSlowAnswer
}

func (s ScenarioConfig) refundDelay() time.Duration {
	if s.RefundSeconds > 0 {
		return time.Duration(s.RefundSeconds) * time.Second
	}
	return 0
}

// balance is the configured wallet balance of a payment code.
func (w *WalletConfig) balance(code string) app.Money {
	if m, ok := w.codes[code]; ok {
		return m
	}
	return w.defaultBalance
}

// ConfigError is a configuration that cannot be used. Its message never
// contains a key or secret, only the field that is wrong.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("sandbox config: %s: %s", e.Field, e.Reason)
}

func cfgErr(field, format string, a ...any) error {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// LoadConfig reads and validates a config file. Relative key and
// certificate paths are resolved against the file's directory; a missing
// certificate authority is generated beside the file.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sandbox config: %w", err)
	}
	var cfg Config
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("sandbox config %s: not valid JSON for the documented format: %w", path, err)
	}
	if err := cfg.prepare(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// prepare resolves files, parses keys and checks the configuration. dir is
// where relative paths point; "" (a config built in code) means the
// current directory, and an in-memory authority when none is given.
func (c *Config) prepare(dir string) error {
	if c.Clock == nil {
		c.Clock = app.SystemClock{}
	}
	if c.prepared {
		return nil
	}
	if c.LedgerFile != "" && dir != "" && !filepath.IsAbs(c.LedgerFile) {
		c.LedgerFile = filepath.Join(dir, c.LedgerFile)
	}
	if c.Scenarios.UserPayingSeconds < 0 || c.Scenarios.SlowAnswerSeconds < 0 || c.Scenarios.RefundSeconds < 0 {
		return cfgErr("scenarios", "timings must not be negative")
	}
	if !validBillFault(c.Scenarios.BillFault) {
		return cfgErr("scenarios.bill_fault", "unknown fault %q (known: %v)", c.Scenarios.BillFault, BillFaults)
	}
	if err := c.Wallets.prepare(); err != nil {
		return err
	}
	if len(c.WeChat.Merchants)+len(c.Alipay.Apps)+len(c.CloudPay.SubMerchants) == 0 {
		return cfgErr("merchants", "no merchant configured for any channel")
	}
	seen := map[string]bool{}
	for i := range c.WeChat.Merchants {
		m := &c.WeChat.Merchants[i]
		f := fmt.Sprintf("wechat.merchants[%d]", i)
		if m.MchID == "" || m.AppID == "" {
			return cfgErr(f, "appid and mch_id are required")
		}
		if seen["wx"+m.MchID] {
			return cfgErr(f, "mch_id %s listed twice", m.MchID)
		}
		seen["wx"+m.MchID] = true
		if len(m.APIKey) != 32 {
			return cfgErr(f+".api_key", "must be 32 characters (got %d)", len(m.APIKey))
		}
		if m.ClientCert != "" {
			b, err := readPEMValue(dir, m.ClientCert)
			if err != nil {
				return cfgErr(f+".client_cert", "%v", err)
			}
			blk, _ := pem.Decode(b)
			if blk == nil || blk.Type != "CERTIFICATE" {
				return cfgErr(f+".client_cert", "no PEM CERTIFICATE found")
			}
			if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
				return cfgErr(f+".client_cert", "bad certificate: %v", err)
			}
			m.clientCertDER = blk.Bytes
		}
	}
	if len(c.Alipay.Apps) > 0 {
		if c.Alipay.GatewayPrivateKey == "" {
			return cfgErr("alipay.gateway_private_key", "required when Alipay apps are configured")
		}
		b, err := readPEMValue(dir, c.Alipay.GatewayPrivateKey)
		if err != nil {
			return cfgErr("alipay.gateway_private_key", "%v", err)
		}
		k, err := parseRSAPrivateKey(b)
		if err != nil {
			return cfgErr("alipay.gateway_private_key", "%v", err)
		}
		c.Alipay.gatewayKey = k
	}
	certApps := false
	for i := range c.Alipay.Apps {
		a := &c.Alipay.Apps[i]
		f := fmt.Sprintf("alipay.apps[%d]", i)
		if a.AppID == "" {
			return cfgErr(f, "app_id is required")
		}
		if seen["ali"+a.AppID] {
			return cfgErr(f, "app_id %s listed twice", a.AppID)
		}
		seen["ali"+a.AppID] = true
		if (a.AppPublicKey == "") == (a.AppCert == "") {
			return cfgErr(f, "give app_public_key (public-key mode) or app_cert (certificate mode), one of them")
		}
		if a.AppCert != "" {
			certApps = true
			b, err := readPEMValue(dir, a.AppCert)
			if err != nil {
				return cfgErr(f+".app_cert", "%v", err)
			}
			cert, err := firstCert(b)
			if err != nil {
				return cfgErr(f+".app_cert", "%v", err)
			}
			k, ok := cert.PublicKey.(*rsa.PublicKey)
			if !ok {
				return cfgErr(f+".app_cert", "the certificate's key is not RSA")
			}
			if a.certSN, err = alipayCertSN(cert); err != nil {
				return cfgErr(f+".app_cert", "%v", err)
			}
			a.publicKey = k
			continue
		}
		b, err := readPEMValue(dir, a.AppPublicKey)
		if err != nil {
			return cfgErr(f+".app_public_key", "%v", err)
		}
		k, err := parseRSAPublicKey(b)
		if err != nil {
			return cfgErr(f+".app_public_key", "%v", err)
		}
		a.publicKey = k
	}
	if certApps || c.Alipay.GatewayCert != "" || c.Alipay.RootCert != "" {
		if c.Alipay.GatewayCert == "" || c.Alipay.RootCert == "" {
			return cfgErr("alipay", "gateway_cert and root_cert are both required for apps in certificate mode")
		}
		b, err := readPEMValue(dir, c.Alipay.GatewayCert)
		if err != nil {
			return cfgErr("alipay.gateway_cert", "%v", err)
		}
		cert, err := firstCert(b)
		if err != nil {
			return cfgErr("alipay.gateway_cert", "%v", err)
		}
		if k, ok := cert.PublicKey.(*rsa.PublicKey); !ok || c.Alipay.gatewayKey == nil || !k.Equal(&c.Alipay.gatewayKey.PublicKey) {
			return cfgErr("alipay.gateway_cert", "not a certificate of gateway_private_key")
		}
		if c.Alipay.gatewayCertSN, err = alipayCertSN(cert); err != nil {
			return cfgErr("alipay.gateway_cert", "%v", err)
		}
		b, err = readPEMValue(dir, c.Alipay.RootCert)
		if err != nil {
			return cfgErr("alipay.root_cert", "%v", err)
		}
		if c.Alipay.rootCertSN, err = alipayRootCertSN(b); err != nil {
			return cfgErr("alipay.root_cert", "%v", err)
		}
	}
	for i := range c.CloudPay.SubMerchants {
		s := &c.CloudPay.SubMerchants[i]
		f := fmt.Sprintf("cloudpay.sub_merchants[%d]", i)
		if s.OutMchID == "" || s.OutSubMchID == "" {
			return cfgErr(f, "out_mch_id and out_sub_mch_id are required")
		}
		if seen["cp"+s.OutSubMchID] {
			return cfgErr(f, "out_sub_mch_id %s listed twice", s.OutSubMchID)
		}
		seen["cp"+s.OutSubMchID] = true
		if len(s.AuthenKey) < 16 {
			return cfgErr(f+".authen_key", "must be at least 16 characters")
		}
		if s.CashierID == "" {
			return cfgErr(f+".cashier_id", "required (the order number prefix)")
		}
		if len(s.Shops) == 0 {
			return cfgErr(f+".shops", "at least one shop (out_shop_id) is required")
		}
		for j, sh := range s.Shops {
			if sh.OutShopID == "" {
				return cfgErr(fmt.Sprintf("%s.shops[%d]", f, j), "out_shop_id is required")
			}
		}
		if s.SignPublicKey != "" {
			b, err := readPEMValue(dir, s.SignPublicKey)
			if err != nil {
				return cfgErr(f+".sign_public_key", "%v", err)
			}
			k, err := parseRSAPublicKey(b)
			if err != nil {
				return cfgErr(f+".sign_public_key", "%v", err)
			}
			s.signKey = k
		}
	}
	if err := c.TLS.prepare(dir); err != nil {
		return err
	}
	c.prepared = true
	return nil
}

func (w *WalletConfig) prepare() error {
	w.defaultBalance = DefaultWalletBalance
	if w.DefaultBalance != "" {
		m, err := parseYuan(w.DefaultBalance)
		if err != nil {
			return cfgErr("wallets.default_balance", "%v", err)
		}
		w.defaultBalance = m
	}
	w.codes = map[string]app.Money{}
	for code, v := range w.Codes {
		m, err := parseYuanAllowZero(v)
		if err != nil {
			return cfgErr("wallets.codes["+code+"]", "%v", err)
		}
		w.codes[code] = m
	}
	return nil
}

func (t *TLSConfig) prepare(dir string) error {
	if t.ca != nil {
		return nil
	}
	if (t.CACert == "") != (t.CAKey == "") {
		return cfgErr("tls", "ca_cert and ca_key go together")
	}
	if t.CACert == "" && dir == "" {
		// A config built in code: an authority for this process only.
		ca, _, err := newAuthority()
		if err != nil {
			return cfgErr("tls", "%v", err)
		}
		t.ca = ca
		return nil
	}
	if t.CACert == "" {
		ca, err := loadOrCreateAuthority(filepath.Join(dir, "sandbox-ca.pem"), filepath.Join(dir, "sandbox-ca.key"))
		if err != nil {
			return cfgErr("tls", "%v", err)
		}
		t.ca = ca
		return nil
	}
	certPEM, err := readPEMValue(dir, t.CACert)
	if err != nil {
		return cfgErr("tls.ca_cert", "%v", err)
	}
	keyPEM, err := readPEMValue(dir, t.CAKey)
	if err != nil {
		return cfgErr("tls.ca_key", "%v", err)
	}
	ca, err := parseAuthority(certPEM, keyPEM)
	if err != nil {
		return cfgErr("tls", "%v", err)
	}
	t.ca = ca
	return nil
}

// readPEMValue returns v itself when it is inline PEM (or a bare base64
// key), otherwise the contents of the file it names.
func readPEMValue(dir, v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, errors.New("empty")
	}
	if strings.HasPrefix(v, "-----BEGIN") {
		return []byte(v), nil
	}
	if looksLikeBareBase64(v) {
		return []byte(v), nil
	}
	p := v
	if !filepath.IsAbs(p) && dir != "" {
		p = filepath.Join(dir, p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", filepath.Base(p), errors.Unwrap(err))
	}
	return b, nil
}

func looksLikeBareBase64(v string) bool {
	if len(v) < 200 {
		return false
	}
	for _, c := range v {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=', c == '\n', c == '\r':
		default:
			return false
		}
	}
	return true
}

func parseRSAPrivateKey(b []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM private key found")
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, errors.New("not an RSA private key (PKCS#1 or PKCS#8)")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA private key")
	}
	return rk, nil
}

// parseRSAPublicKey accepts PEM "PUBLIC KEY" (PKIX), "RSA PUBLIC KEY"
// (PKCS#1), a certificate, or the bare base64 PKIX key the Alipay console shows.
func parseRSAPublicKey(b []byte) (*rsa.PublicKey, error) {
	der := []byte(nil)
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, err
			}
			k, ok := c.PublicKey.(*rsa.PublicKey)
			if !ok {
				return nil, errors.New("certificate key is not RSA")
			}
			return k, nil
		}
		der = blk.Bytes
	} else {
		d, err := decodeBase64Loose(string(b))
		if err != nil {
			return nil, errors.New("neither PEM nor base64")
		}
		der = d
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("not an RSA public key")
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return rk, nil
}
