// Package alipay is a typed client for the Alipay open API (RSA2):
// alipay.trade.pay with a bar code, query, cancel, refund and refund query,
// the fund authorisation (deposit) calls freeze / unfreeze / cancel, the
// capture of a deposit by alipay.trade.pay with auth_no, and the bill
// download. Requests are signed SHA256withRSA with the app's private key;
// every answer is verified with the Alipay public key (or, in public-key
// certificate mode, the key of the Alipay public-key certificate) over the
// raw bytes of its "<method>_response" member before any field is believed.
package alipay

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"cashier/app"
	"cashier/sync/channel"
)

// DefaultGatewayURL is Alipay's production gateway.
const DefaultGatewayURL = "https://openapi.alipay.com/gateway.do"

// Config holds the Alipay settings: public-key mode (AlipayPublicKey) or
// public-key certificate mode (AppCert, AlipayCert, AlipayRootCert).
type Config struct {
	// GatewayURL is DefaultGatewayURL, the Alipay developer sandbox
	// (https://openapi-sandbox.dl.alipaydev.com/gateway.do) or the embedded
	// sandbox gateway's Alipay address.
	GatewayURL string
	// AppID is the application's id from open.alipay.com → 控制台 → 应用.
	AppID string
	// PrivateKey is the application private key (应用私钥) generated with
	// Alipay's key tool: PEM (PKCS#1 or PKCS#8) or the bare base64 text the
	// tool prints. RSA, at least 2048 bits.
	PrivateKey channel.Secret
	// AlipayPublicKey is the Alipay public key (支付宝公钥, not the app's own
	// public key) shown after uploading the app public key: PEM or base64.
	// Public-key mode; leave empty in certificate mode.
	AlipayPublicKey string
	// Public-key certificate mode (公钥证书模式), for an app whose 接口加签方式
	// is 公钥证书: the three files the open platform gives, each as PEM text
	// or the path of the file. AppCert is the app public-key certificate
	// (appCertPublicKey_<AppID>.crt, for this PrivateKey), AlipayCert the
	// Alipay public-key certificate (alipayCertPublicKey_RSA2.crt; answers
	// are verified with its key), AlipayRootCert the Alipay root certificate
	// (alipayRootCert.crt). Every request then carries app_cert_sn and
	// alipay_root_cert_sn.
	AppCert        string
	AlipayCert     string
	AlipayRootCert string
	// AppAuthToken is set when a service provider calls on behalf of a
	// merchant (第三方应用授权); optional.
	AppAuthToken channel.Secret
	// StoreID and TerminalID are sent when a request carries none; optional.
	StoreID    string
	TerminalID string

	HTTP channel.HTTPSettings
	// Logger receives one line per untrusted answer; nil means slog.Default().
	Logger *slog.Logger
}

func (c Config) gateway() string {
	if c.GatewayURL == "" {
		return DefaultGatewayURL
	}
	return c.GatewayURL
}

// Validate checks the settings, including that the keys (and in
// certificate mode the certificates) parse and belong together.
func (c Config) Validate() error {
	_, err := c.keys()
	return err
}

// keySet is what the settings give the client.
type keySet struct {
	priv *rsa.PrivateKey
	pub  *rsa.PublicKey // verifies answers
	// Certificate mode: the SNs sent with every request, and the one the
	// answers' alipay_cert_sn must name. Empty in public-key mode.
	appCertSN, rootCertSN, alipayCertSN string
}

func (c Config) certMode() bool {
	return c.AppCert != "" || c.AlipayCert != "" || c.AlipayRootCert != ""
}

func (c Config) keys() (keySet, error) {
	var ks keySet
	if _, err := channel.CheckBaseURL("支付宝网关 / Alipay GatewayURL", c.gateway()); err != nil {
		return ks, err
	}
	if strings.TrimSpace(c.AppID) == "" || !digitsOnly(c.AppID) {
		return ks, errors.New("支付宝 AppID 必须是数字 / Alipay AppID is required and must be digits")
	}
	priv, err := parsePrivateKey(c.PrivateKey.Reveal())
	if err != nil {
		return ks, fmt.Errorf("应用私钥格式错误 / the Alipay application private key is malformed: %w", err)
	}
	ks.priv = priv
	if c.certMode() {
		if err := c.certKeys(&ks); err != nil {
			return keySet{}, err
		}
	} else {
		pub, err := parsePublicKey(c.AlipayPublicKey)
		if err != nil {
			return ks, fmt.Errorf("支付宝公钥格式错误 / the Alipay public key is malformed: %w", err)
		}
		ks.pub = pub
	}
	if priv.PublicKey.Equal(ks.pub) {
		if c.certMode() {
			return keySet{}, errors.New("填入的是应用公钥证书而不是支付宝公钥证书 / AlipayCert is the app's own certificate; use the Alipay public-key certificate (alipayCertPublicKey_RSA2.crt)")
		}
		return keySet{}, errors.New("填入的是应用公钥而不是支付宝公钥 / AlipayPublicKey is the app's own public key; use the Alipay public key shown after uploading it")
	}
	if err := c.HTTP.Validate(); err != nil {
		return keySet{}, err
	}
	return ks, nil
}

// certKeys reads the three certificates of certificate mode.
func (c Config) certKeys(ks *keySet) error {
	if c.AlipayPublicKey != "" {
		return errors.New("支付宝公钥与公钥证书只能选一种 / give either the Alipay public key or the three certificates, not both")
	}
	if c.AppCert == "" || c.AlipayCert == "" || c.AlipayRootCert == "" {
		return errors.New("公钥证书模式需要应用公钥证书、支付宝公钥证书和支付宝根证书 / certificate mode needs the app certificate, the Alipay public-key certificate and the Alipay root certificate")
	}
	appPEM, err := pemOrFile(c.AppCert)
	if err != nil {
		return fmt.Errorf("应用公钥证书 / Alipay AppCert: %w", err)
	}
	appKey, err := certKey(appPEM)
	if err != nil {
		return fmt.Errorf("应用公钥证书格式错误 / the Alipay app certificate is malformed: %w", err)
	}
	if !ks.priv.PublicKey.Equal(appKey) {
		return errors.New("应用公钥证书与应用私钥不匹配 / the app certificate is not for this application private key")
	}
	if ks.appCertSN, err = leafCertSN(appPEM); err != nil {
		return fmt.Errorf("应用公钥证书格式错误 / the Alipay app certificate is malformed: %w", err)
	}
	aliPEM, err := pemOrFile(c.AlipayCert)
	if err != nil {
		return fmt.Errorf("支付宝公钥证书 / AlipayCert: %w", err)
	}
	if ks.pub, err = certKey(aliPEM); err != nil {
		return fmt.Errorf("支付宝公钥证书格式错误 / the Alipay public-key certificate is malformed: %w", err)
	}
	if ks.alipayCertSN, err = leafCertSN(aliPEM); err != nil {
		return fmt.Errorf("支付宝公钥证书格式错误 / the Alipay public-key certificate is malformed: %w", err)
	}
	rootPEM, err := pemOrFile(c.AlipayRootCert)
	if err != nil {
		return fmt.Errorf("支付宝根证书 / AlipayRootCert: %w", err)
	}
	if ks.rootCertSN, err = rootCertSN(rootPEM); err != nil {
		return fmt.Errorf("支付宝根证书格式错误 / the Alipay root certificate is malformed: %w", err)
	}
	return nil
}

// pemOrFile returns v when it is PEM text, else the contents of the file
// it names.
func pemOrFile(v string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("读不到证书文件 / cannot read the certificate file %s: %w", v, err)
	}
	return b, nil
}

// certKey is the RSA public key of the first certificate in a PEM file.
func certKey(text []byte) (*rsa.PublicKey, error) {
	ders, err := pemCerts(text)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(ders[0])
	if err != nil {
		return nil, errors.New("not an X.509 certificate")
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("the certificate's key is not RSA (RSA2 needs RSA)")
	}
	if key.N.BitLen() < 2048 {
		return nil, fmt.Errorf("RSA2 needs at least 2048 bits, this key has %d", key.N.BitLen())
	}
	return key, nil
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// keyDER returns the DER bytes of a PEM block or of bare base64 text.
func keyDER(text string) ([]byte, string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, "", errors.New("empty")
	}
	if strings.HasPrefix(text, "-----BEGIN") {
		b, _ := pem.Decode([]byte(text))
		if b == nil {
			return nil, "", errors.New("not valid PEM")
		}
		return b.Bytes, b.Type, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
	if err != nil {
		return nil, "", errors.New("neither PEM nor base64")
	}
	return der, "", nil
}

func parsePrivateKey(text string) (*rsa.PrivateKey, error) {
	der, _, err := keyDER(text)
	if err != nil {
		return nil, err
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("not an RSA key")
		}
		key = rk
	} else if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		key = k
	} else {
		return nil, errors.New("not a PKCS#1 or PKCS#8 RSA private key")
	}
	if key.N.BitLen() < 2048 {
		return nil, fmt.Errorf("RSA2 needs at least 2048 bits, this key has %d", key.N.BitLen())
	}
	return key, nil
}

func parsePublicKey(text string) (*rsa.PublicKey, error) {
	der, _, err := keyDER(text)
	if err != nil {
		return nil, err
	}
	var key *rsa.PublicKey
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("not an RSA key")
		}
		key = rk
	} else if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		key = k
	} else {
		return nil, errors.New("not an RSA public key")
	}
	if key.N.BitLen() < 2048 {
		return nil, fmt.Errorf("RSA2 needs at least 2048 bits, this key has %d", key.N.BitLen())
	}
	return key, nil
}

// Client talks to Alipay. It is safe for concurrent use.
type Client struct {
	cfg     Config
	priv    *rsa.PrivateKey
	pub     *rsa.PublicKey
	keys    keySet
	clock   app.Clock
	log     *slog.Logger
	hc      *http.Client
	secrets []string
}

var _ app.PaymentChannel = (*Client)(nil)

// New checks the settings and keys and returns a client.
func New(cfg Config, clock app.Clock) (*Client, error) {
	ks, err := cfg.keys()
	if err != nil {
		return nil, err
	}
	priv, pub := ks.priv, ks.pub
	hc, err := channel.NewHTTPClient(cfg.HTTP, nil)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = app.SystemClock{}
	}
	c := &Client{cfg: cfg, priv: priv, pub: pub, keys: ks, clock: clock, log: cfg.Logger, hc: hc,
		secrets: []string{cfg.PrivateKey.Reveal(), cfg.AppAuthToken.Reveal()}}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// Name implements app.PaymentChannel.
func (c *Client) Name() app.ChannelName { return app.ChannelAlipay }
