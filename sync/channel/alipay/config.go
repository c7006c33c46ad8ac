// Package alipay is a typed client for the Alipay open API (RSA2):
// alipay.trade.pay with a bar code, query, cancel, refund and refund query,
// the fund authorisation (deposit) calls freeze / unfreeze / cancel, the
// capture of a deposit by alipay.trade.pay with auth_no, and the bill
// download. Requests are signed SHA256withRSA with the app's private key;
// every answer is verified with the Alipay public key over the raw bytes of
// its "<method>_response" member before any field is believed.
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
	"strings"

	"cashier/app"
	"cashier/sync/channel"
)

// DefaultGatewayURL is Alipay's production gateway.
const DefaultGatewayURL = "https://openapi.alipay.com/gateway.do"

// Config holds the Alipay settings (public-key mode).
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
	AlipayPublicKey string
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

// Validate checks the settings, including that both keys parse.
func (c Config) Validate() error {
	_, _, err := c.keys()
	return err
}

func (c Config) keys() (*rsa.PrivateKey, *rsa.PublicKey, error) {
	if _, err := channel.CheckBaseURL("支付宝网关 / Alipay GatewayURL", c.gateway()); err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(c.AppID) == "" || !digitsOnly(c.AppID) {
		return nil, nil, errors.New("支付宝 AppID 必须是数字 / Alipay AppID is required and must be digits")
	}
	priv, err := parsePrivateKey(c.PrivateKey.Reveal())
	if err != nil {
		return nil, nil, fmt.Errorf("应用私钥格式错误 / the Alipay application private key is malformed: %w", err)
	}
	pub, err := parsePublicKey(c.AlipayPublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("支付宝公钥格式错误 / the Alipay public key is malformed: %w", err)
	}
	if priv.PublicKey.Equal(pub) {
		return nil, nil, errors.New("填入的是应用公钥而不是支付宝公钥 / AlipayPublicKey is the app's own public key; use the Alipay public key shown after uploading it")
	}
	if err := c.HTTP.Validate(); err != nil {
		return nil, nil, err
	}
	return priv, pub, nil
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
	clock   app.Clock
	log     *slog.Logger
	hc      *http.Client
	secrets []string
}

var _ app.PaymentChannel = (*Client)(nil)

// New checks the settings and keys and returns a client.
func New(cfg Config, clock app.Clock) (*Client, error) {
	priv, pub, err := cfg.keys()
	if err != nil {
		return nil, err
	}
	hc, err := channel.NewHTTPClient(cfg.HTTP, nil)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = app.SystemClock{}
	}
	c := &Client{cfg: cfg, priv: priv, pub: pub, clock: clock, log: cfg.Logger, hc: hc,
		secrets: []string{cfg.PrivateKey.Reveal(), cfg.AppAuthToken.Reveal()}}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// Name implements app.PaymentChannel.
func (c *Client) Name() app.ChannelName { return app.ChannelAlipay }
