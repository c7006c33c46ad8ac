// Package cloudpay is a typed client for the Tencent Cloud Pay (腾讯云支付)
// cashier API: micro_pay, query_order, reverse, refund, query_refund_order,
// the deposit calls micro_freeze / deposit_consume / unfreeze and their
// queries query_freeze_order / query_unfreeze_order, the paged order list
// client_order_detail (for bills) and query_sub_mch_shop_info. Cloud Pay
// serves WeChat Pay and Alipay codes (pay_platform 1 and 2); it has no
// member-card platform.
//
// Every request is a JSON envelope whose request_content is a JSON string
// authenticated with HMAC-SHA256 (authen_info.a) under the sub-merchant's
// authentication key; refund and reverse may instead be signed with
// RSASSA-PSS-2048-SHA256 (authen_info.s) when a signing key is configured.
// Answers are authenticated over the response_content string exactly as
// received, before any field is believed.
package cloudpay

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"

	"cashier/app"
	"cashier/sync/channel"
)

// DefaultBaseURL is Cloud Pay's API base; the API name is appended.
const DefaultBaseURL = "https://pay.qcloud.com/cpay"

// Terminal types of order_client.terminal_type.
const (
	TerminalWindows = 1
	TerminalAndroid = 2
	TerminalLinux   = 4
)

// Config holds the Cloud Pay settings of one sub-merchant shop and cashier.
// The ids and keys are shown in the Cloud Pay service-provider console
// (云支付服务商后台) on the sub-merchant's page.
type Config struct {
	// BaseURL is DefaultBaseURL or the sandbox gateway's /cpay address.
	BaseURL string
	// OutMchID is the service provider's Cloud Pay account (服务商 out_mch_id).
	OutMchID string
	// OutSubMchID is the sub-merchant's Cloud Pay account (子商户 out_sub_mch_id).
	OutSubMchID string
	// OutShopID is the shop's Cloud Pay account (门店 out_shop_id).
	OutShopID string
	// CashierID is the sub-merchant's order number prefix (云支付订单前缀,
	// cloud_cashier_id): every out_trade_no and out_refund_no must start
	// with it, so the terminal's order prefix must begin with it too.
	CashierID string
	// AuthenKey is the authentication key (认证密钥) generated on the
	// sub-merchant page; it authenticates every request and answer.
	AuthenKey channel.Secret
	// SignPrivateKey, when set, is the RSA-2048 private key (签名私钥, PEM)
	// whose public key was uploaded to Cloud Pay; refund and reverse are
	// then signed with RSASSA-PSS instead of the authentication code.
	SignPrivateKey channel.Secret
	// DeviceID is this terminal's device id as registered for the shop
	// (order_client.device_id); reverse must come from the paying device.
	DeviceID string
	// StaffID is the default cashier id when a request has none.
	StaffID string
	// MachineNo is the terminal's unique machine code (machine_no, needed
	// for code payments); defaults to DeviceID.
	MachineNo string
	// TerminalType: TerminalWindows, TerminalAndroid or TerminalLinux;
	// 0 picks the running system's.
	TerminalType int
	// SDKVersion is reported in order_client.sdk_version; default "1.0".
	SDKVersion string
	// ClientIP is spbill_create_ip when a request has none.
	ClientIP string

	HTTP channel.HTTPSettings
	// Logger receives one line per untrusted answer; nil means slog.Default().
	Logger *slog.Logger
}

func (c Config) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c Config) terminalType() int {
	if c.TerminalType != 0 {
		return c.TerminalType
	}
	switch runtime.GOOS {
	case "windows":
		return TerminalWindows
	case "android":
		return TerminalAndroid
	}
	return TerminalLinux
}

// Validate checks the settings and the signing key.
func (c Config) Validate() error {
	_, err := c.signKey()
	return err
}

func (c Config) signKey() (*rsa.PrivateKey, error) {
	if _, err := channel.CheckBaseURL("云支付网址 / Cloud Pay BaseURL", c.baseURL()); err != nil {
		return nil, err
	}
	for name, v := range map[string]string{"OutMchID": c.OutMchID, "OutSubMchID": c.OutSubMchID, "OutShopID": c.OutShopID,
		"CashierID": c.CashierID, "DeviceID": c.DeviceID} {
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("缺少云支付设置 %s / Cloud Pay %s is required", name, name)
		}
	}
	if len(c.CashierID) > 24 {
		return nil, errors.New("云支付订单前缀过长 / Cloud Pay CashierID is too long")
	}
	if len(c.AuthenKey.Reveal()) < 16 {
		return nil, errors.New("云支付认证密钥缺失或过短 / the Cloud Pay authentication key is missing or shorter than 16 characters")
	}
	switch c.TerminalType {
	case 0, TerminalWindows, TerminalAndroid, 3, TerminalLinux, 100:
	default:
		return nil, fmt.Errorf("终端类型无效 / Cloud Pay TerminalType %d is not 1, 2, 3, 4 or 100", c.TerminalType)
	}
	if c.ClientIP != "" && net.ParseIP(c.ClientIP) == nil {
		return nil, errors.New("云支付终端IP无效 / Cloud Pay ClientIP is not an IP address")
	}
	if err := c.HTTP.Validate(); err != nil {
		return nil, err
	}
	if !c.SignPrivateKey.IsSet() {
		return nil, nil
	}
	key, err := parseKey(c.SignPrivateKey.Reveal())
	if err != nil {
		return nil, fmt.Errorf("云支付签名私钥格式错误 / the Cloud Pay signing key is malformed: %w", err)
	}
	return key, nil
}

func parseKey(text string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	if b == nil {
		return nil, errors.New("not PEM")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		key = k
	} else if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("not an RSA key")
		}
		key = rk
	} else {
		return nil, errors.New("not a PKCS#1 or PKCS#8 RSA private key")
	}
	if key.N.BitLen() != 2048 {
		return nil, fmt.Errorf("RSASSA-PSS-2048 needs a 2048-bit key, this one has %d bits", key.N.BitLen())
	}
	return key, nil
}

// Client talks to Cloud Pay. It is safe for concurrent use.
type Client struct {
	cfg     Config
	sign    *rsa.PrivateKey
	clock   app.Clock
	log     *slog.Logger
	hc      *http.Client
	secrets []string
	foreign foreignSet
}

var _ app.PaymentChannel = (*Client)(nil)

// New checks the settings and keys and returns a client.
func New(cfg Config, clock app.Clock) (*Client, error) {
	key, err := cfg.signKey()
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
	c := &Client{cfg: cfg, sign: key, clock: clock, log: cfg.Logger, hc: hc,
		secrets: []string{cfg.AuthenKey.Reveal(), cfg.SignPrivateKey.Reveal()}}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// Name implements app.PaymentChannel.
func (c *Client) Name() app.ChannelName { return app.ChannelCloudPay }
