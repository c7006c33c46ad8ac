// Package wechat is a typed client for WeChat Pay API v2 in service-provider
// mode: code payment (/pay/micropay), query, reverse, refund, refund query,
// bill download, and the hotel deposit calls (/deposit/*).
//
// Requests are XML signed with the API v2 key (MD5 or HMAC-SHA256; deposit
// calls always HMAC-SHA256). Reverse, refund and the deposit reverse,
// consume and refund calls need the merchant's client certificate (mutual
// TLS). Every answer's signature is checked before any field is believed.
package wechat

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"cashier/app"
	"cashier/sync/channel"
)

// DefaultBaseURL is WeChat Pay's API host.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// Sign types.
const (
	SignMD5        = "MD5"
	SignHMACSHA256 = "HMAC-SHA256"
)

// Config holds the WeChat Pay settings. The service provider (服务商) signs
// every call; the sub-merchant (特约商户) is the shop that gets the money.
type Config struct {
	// BaseURL is the API host, DefaultBaseURL for the real channel or the
	// sandbox gateway's WeChat address.
	BaseURL string
	// AppID is the service provider's appid (公众账号ID), from the WeChat Pay
	// merchant platform → 产品中心 → 开发配置 / AppID账号管理.
	AppID string
	// MchID is the service provider's merchant number (商户号).
	MchID string
	// SubAppID is the sub-merchant's appid; optional.
	SubAppID string
	// SubMchID is the sub-merchant's merchant number (特约商户号); required.
	SubMchID string
	// APIKey is the service provider's API v2 key (API密钥, 32 characters),
	// set in the merchant platform → 账户中心 → API安全.
	APIKey channel.Secret
	// SignType is SignHMACSHA256 (default) or SignMD5. Deposit calls always
	// use HMAC-SHA256, whatever this says.
	SignType string

	// The API client certificate (API证书) for mutual TLS, needed by reverse,
	// refund and the deposit reverse/consume/refund calls. Give either the
	// PEM pair (apiclient_cert.pem + apiclient_key.pem, as text or as file
	// paths) or the PKCS#12 file (apiclient_cert.p12, password = MchID by
	// default). Without a certificate those calls are refused (nothing sent).
	CertPEM     string
	KeyPEM      channel.Secret
	CertFile    string
	KeyFile     string
	P12File     string
	P12Password channel.Secret

	// DeviceInfo is the default device_info (terminal number) when a
	// request has no TerminalID.
	DeviceInfo string
	// ClientIP is the default spbill_create_ip when a request has none.
	ClientIP string
	// NotifyURL is the notify_url a QR order (/pay/unifiedorder) must
	// carry. The app never waits for the notification (it queries), so
	// by default it names a host that cannot exist (the reserved .invalid
	// domain): a notification carrying the customer's payment then goes
	// nowhere rather than to someone else's server. A service provider
	// with its own notification endpoint sets it here.
	NotifyURL string

	HTTP channel.HTTPSettings
	// Logger receives one line per untrusted answer (never a secret or a
	// payment code). Nil means slog.Default().
	Logger *slog.Logger
}

// Validate checks the settings and gives a clear message for the first
// problem found. It does not read certificate files.
func (c Config) Validate() error {
	if _, err := channel.CheckBaseURL("微信支付网址 / WeChat BaseURL", c.baseURL()); err != nil {
		return err
	}
	if strings.TrimSpace(c.AppID) == "" {
		return errors.New("缺少服务商 AppID / WeChat AppID is required")
	}
	if !digits(c.MchID) {
		return errors.New("服务商商户号必须是数字 / WeChat MchID must be digits")
	}
	if !digits(c.SubMchID) {
		return errors.New("特约商户号必须是数字 / WeChat SubMchID must be digits")
	}
	if len(c.APIKey.Reveal()) != 32 {
		return errors.New("API密钥必须是32个字符 / the WeChat API v2 key must be exactly 32 characters")
	}
	for _, r := range c.APIKey.Reveal() {
		if r <= ' ' || r > '~' {
			return errors.New("API密钥含有非法字符 / the WeChat API v2 key must be printable ASCII without spaces")
		}
	}
	if c.NotifyURL != "" {
		u, err := url.Parse(c.NotifyURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || len(c.NotifyURL) > 256 {
			return errors.New("通知地址须为不带参数的 http(s) 网址 / the WeChat NotifyURL must be an http(s) URL without a query, at most 256 characters")
		}
	}
	switch c.signType() {
	case SignMD5, SignHMACSHA256:
	default:
		return fmt.Errorf("签名类型必须是 MD5 或 HMAC-SHA256 / WeChat SignType must be MD5 or HMAC-SHA256, not %q", c.SignType)
	}
	pem := c.CertPEM != "" || c.KeyPEM.IsSet()
	files := c.CertFile != "" || c.KeyFile != ""
	p12 := c.P12File != ""
	n := 0
	for _, b := range []bool{pem, files, p12} {
		if b {
			n++
		}
	}
	if n > 1 {
		return errors.New("API证书只能用一种方式提供 / give the WeChat client certificate one way only: PEM text, PEM files or a .p12 file")
	}
	if pem && (c.CertPEM == "" || !c.KeyPEM.IsSet()) {
		return errors.New("API证书需要证书和私钥两部分 / the WeChat client certificate needs both CertPEM and KeyPEM")
	}
	if files && (c.CertFile == "" || c.KeyFile == "") {
		return errors.New("API证书需要证书文件和私钥文件 / the WeChat client certificate needs both CertFile and KeyFile")
	}
	return c.HTTP.Validate()
}

func (c Config) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return c.BaseURL
}

func (c Config) signType() string {
	if c.SignType == "" {
		return SignHMACSHA256
	}
	return c.SignType
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Client talks to WeChat Pay. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	clock   app.Clock
	log     *slog.Logger
	plain   *http.Client
	tls     *http.Client // nil when no client certificate is configured
	secrets []string
}

var _ app.PaymentChannel = (*Client)(nil)

// New checks the settings, loads the client certificate if one is given and
// returns a client. A malformed key or certificate is an error here, before
// anything can be sent.
func New(cfg Config, clock app.Clock) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = app.SystemClock{}
	}
	base, _ := channel.CheckBaseURL("BaseURL", cfg.baseURL())
	cert, err := cfg.loadCert()
	if err != nil {
		return nil, err
	}
	plain, err := channel.NewHTTPClient(cfg.HTTP, nil)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, base: base, clock: clock, log: cfg.Logger, plain: plain}
	if c.log == nil {
		c.log = slog.Default()
	}
	if cert != nil {
		if c.tls, err = channel.NewHTTPClient(cfg.HTTP, cert); err != nil {
			return nil, err
		}
	}
	c.secrets = []string{cfg.APIKey.Reveal(), cfg.KeyPEM.Reveal(), cfg.P12Password.Reveal()}
	return c, nil
}

// HasClientCert tells whether reverse/refund/deposit calls can be made.
func (c *Client) HasClientCert() bool { return c.tls != nil }

func (cfg Config) loadCert() (*tls.Certificate, error) {
	switch {
	case cfg.CertPEM != "":
		return pemPair([]byte(cfg.CertPEM), []byte(cfg.KeyPEM.Reveal()))
	case cfg.CertFile != "":
		certPEM, err := os.ReadFile(cfg.CertFile)
		if err != nil {
			return nil, fmt.Errorf("读不到API证书文件 / cannot read the WeChat certificate file %s: %w", cfg.CertFile, pathErr(err))
		}
		keyPEM, err := os.ReadFile(cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("读不到API证书私钥文件 / cannot read the WeChat key file %s: %w", cfg.KeyFile, pathErr(err))
		}
		return pemPair(certPEM, keyPEM)
	case cfg.P12File != "":
		data, err := os.ReadFile(cfg.P12File)
		if err != nil {
			return nil, fmt.Errorf("读不到 .p12 证书文件 / cannot read the WeChat .p12 file %s: %w", cfg.P12File, pathErr(err))
		}
		pw := cfg.P12Password.Reveal()
		if pw == "" {
			pw = cfg.MchID // WeChat's default .p12 password is the merchant number
		}
		key, cert, chain, err := pkcs12.DecodeChain(data, pw)
		if err != nil {
			return nil, errors.New("无法打开 .p12 证书（文件损坏或密码错误）/ cannot open the WeChat .p12 certificate: damaged file or wrong password")
		}
		tc := &tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
		for _, c := range chain {
			tc.Certificate = append(tc.Certificate, c.Raw)
		}
		return tc, nil
	}
	return nil, nil
}

func pemPair(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// tls errors name the problem without echoing key material.
		return nil, fmt.Errorf("API证书或私钥格式错误 / the WeChat client certificate or key is malformed: %v", err)
	}
	return &cert, nil
}

// pathErr keeps the reason of a file error (not found, permission) without
// repeating the path.
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Name implements app.PaymentChannel.
func (c *Client) Name() app.ChannelName { return app.ChannelWeChat }
