package setup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"cashier/app"
	"cashier/sync/channel"
	"cashier/sync/channel/alipay"
	"cashier/sync/channel/cloudpay"
	"cashier/sync/channel/wechat"
)

// FileName is the merchant's channel settings in a data folder. When it
// exists the app talks to exactly the channels it names — the GUI and every
// command alike — and the embedded sandbox never starts.
const FileName = "channels.json"

// File is channels.json. Field names are the channels' own where they have
// one; every field is documented in docs/channels.md. Unknown fields are
// refused (a typo must not silently leave a setting out).
type File struct {
	// Sandbox marks every channel as pointing at a sandbox gateway (the
	// screen shows SANDBOX); `pos sandbox --demo DIR` writes such a file.
	Sandbox bool `json:"sandbox,omitempty"`
	// OrderPrefix is the channel's cashier-id prefix every merchant order
	// and refund number must start with (Cloud Pay's cashier_id).
	OrderPrefix string `json:"order_prefix,omitempty"`
	// Routes sends a wallet to a channel other than its default
	// ("wechat": "cloudpay"); "" takes a wallet off.
	Routes   map[app.Wallet]app.ChannelName `json:"routes,omitempty"`
	WeChat   *WeChatFile                    `json:"wechat,omitempty"`
	Alipay   *AlipayFile                    `json:"alipay,omitempty"`
	CloudPay *CloudPayFile                  `json:"cloudpay,omitempty"`
}

// HTTPFile is a channel's connection settings.
type HTTPFile struct {
	TimeoutSeconds        int    `json:"timeout_seconds,omitempty"`
	ConnectTimeoutSeconds int    `json:"connect_timeout_seconds,omitempty"`
	RootCAPEM             string `json:"root_ca_pem,omitempty"` // only for a sandbox gateway
}

func (h HTTPFile) settings() channel.HTTPSettings {
	return channel.HTTPSettings{Timeout: time.Duration(h.TimeoutSeconds) * time.Second,
		ConnectTimeout: time.Duration(h.ConnectTimeoutSeconds) * time.Second, RootCAPEM: h.RootCAPEM}
}

// WeChatFile is WeChat Pay v2 in service-provider mode.
type WeChatFile struct {
	BaseURL     string `json:"base_url,omitempty"`
	AppID       string `json:"appid"`
	MchID       string `json:"mch_id"`
	SubAppID    string `json:"sub_appid,omitempty"`
	SubMchID    string `json:"sub_mch_id"`
	APIKey      string `json:"api_key"`
	SignType    string `json:"sign_type,omitempty"`
	CertPEM     string `json:"cert_pem,omitempty"`
	KeyPEM      string `json:"key_pem,omitempty"`
	CertFile    string `json:"cert_file,omitempty"`
	KeyFile     string `json:"key_file,omitempty"`
	P12File     string `json:"p12_file,omitempty"`
	P12Password string `json:"p12_password,omitempty"`
	DeviceInfo  string `json:"device_info,omitempty"`
	ClientIP    string `json:"client_ip,omitempty"`
	HTTPFile
}

// AlipayFile is the Alipay open API (public-key mode).
type AlipayFile struct {
	GatewayURL      string `json:"gateway_url,omitempty"`
	AppID           string `json:"app_id"`
	PrivateKey      string `json:"private_key"`
	AlipayPublicKey string `json:"alipay_public_key,omitempty"`
	// Public-key certificate mode instead of alipay_public_key: the three
	// certificates, PEM text or file paths.
	AppCert        string `json:"app_cert,omitempty"`
	AlipayCert     string `json:"alipay_cert,omitempty"`
	AlipayRootCert string `json:"alipay_root_cert,omitempty"`
	AppAuthToken   string `json:"app_auth_token,omitempty"`
	HTTPFile
}

// CloudPayFile is the Tencent Cloud Pay cashier API.
type CloudPayFile struct {
	BaseURL        string `json:"base_url,omitempty"`
	OutMchID       string `json:"out_mch_id"`
	OutSubMchID    string `json:"out_sub_mch_id"`
	OutShopID      string `json:"out_shop_id"`
	CashierID      string `json:"cashier_id"`
	AuthenKey      string `json:"authen_key"`
	SignPrivateKey string `json:"sign_private_key,omitempty"`
	DeviceID       string `json:"device_id,omitempty"`
	StaffID        string `json:"staff_id,omitempty"`
	ClientIP       string `json:"client_ip,omitempty"`
	HTTPFile
}

// ErrFile: channels.json cannot be used. Field names the setting (never
// its value); Reason says what is wrong with it. Nothing was sent.
var ErrFile = app.NewError("channels.invalid")

func fileErr(path, field, reason string) error {
	return ErrFile.With("File", path, "Field", field, "Reason", reason)
}

// LoadFile reads and checks channels.json. It does not build clients
// (Settings does, refusing malformed keys).
func LoadFile(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		field := ""
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			field = te.Field
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return File{}, fileErr(path, field, "unknown field")
		}
		// The decoder's own words never quote a value, only positions and
		// field names.
		return File{}, fileErr(path, field, err.Error())
	}
	if dec.More() {
		return File{}, fileErr(path, "", "more than one JSON value")
	}
	return f, f.check(path)
}

func (f File) check(path string) error {
	if f.WeChat == nil && f.Alipay == nil && f.CloudPay == nil {
		return fileErr(path, "wechat|alipay|cloudpay", "no channel configured")
	}
	need := func(prefix string, fields map[string]string) error {
		for _, name := range sortedKeys(fields) {
			if strings.TrimSpace(fields[name]) == "" {
				return fileErr(path, prefix+"."+name, "missing")
			}
		}
		return nil
	}
	if w := f.WeChat; w != nil {
		if err := need("wechat", map[string]string{"appid": w.AppID, "mch_id": w.MchID, "sub_mch_id": w.SubMchID, "api_key": w.APIKey}); err != nil {
			return err
		}
	}
	if a := f.Alipay; a != nil {
		fields := map[string]string{"app_id": a.AppID, "private_key": a.PrivateKey}
		if a.AppCert == "" && a.AlipayCert == "" && a.AlipayRootCert == "" {
			fields["alipay_public_key"] = a.AlipayPublicKey
		} else {
			fields["app_cert"], fields["alipay_cert"], fields["alipay_root_cert"] = a.AppCert, a.AlipayCert, a.AlipayRootCert
		}
		if err := need("alipay", fields); err != nil {
			return err
		}
	}
	if c := f.CloudPay; c != nil {
		if err := need("cloudpay", map[string]string{"out_mch_id": c.OutMchID, "out_sub_mch_id": c.OutSubMchID,
			"out_shop_id": c.OutShopID, "cashier_id": c.CashierID, "authen_key": c.AuthenKey}); err != nil {
			return err
		}
	}
	have := map[app.ChannelName]bool{app.ChannelWeChat: f.WeChat != nil, app.ChannelAlipay: f.Alipay != nil, app.ChannelCloudPay: f.CloudPay != nil}
	for w, n := range f.Routes {
		switch w {
		case app.WalletWeChat, app.WalletAlipay, app.WalletUnionPay, app.WalletMember:
		default:
			return fileErr(path, "routes."+string(w), "unknown wallet")
		}
		if n != "" && !have[n] {
			return fileErr(path, "routes."+string(w), fmt.Sprintf("routed to %q, which is not configured", n))
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Settings turns the file into client settings.
func (f File) Settings() Settings {
	s := Settings{Routes: f.Routes, Sandbox: f.Sandbox}
	if w := f.WeChat; w != nil {
		s.WeChat = &wechat.Config{BaseURL: w.BaseURL, AppID: w.AppID, MchID: w.MchID, SubAppID: w.SubAppID, SubMchID: w.SubMchID,
			APIKey: channel.Secret(w.APIKey), SignType: w.SignType, CertPEM: w.CertPEM, KeyPEM: channel.Secret(w.KeyPEM),
			CertFile: w.CertFile, KeyFile: w.KeyFile, P12File: w.P12File, P12Password: channel.Secret(w.P12Password),
			DeviceInfo: w.DeviceInfo, ClientIP: w.ClientIP, HTTP: w.settings()}
	}
	if a := f.Alipay; a != nil {
		s.Alipay = &alipay.Config{GatewayURL: a.GatewayURL, AppID: a.AppID, PrivateKey: channel.Secret(a.PrivateKey),
			AlipayPublicKey: a.AlipayPublicKey, AppCert: a.AppCert, AlipayCert: a.AlipayCert, AlipayRootCert: a.AlipayRootCert,
			AppAuthToken: channel.Secret(a.AppAuthToken), HTTP: a.settings()}
	}
	if c := f.CloudPay; c != nil {
		s.CloudPay = &cloudpay.Config{BaseURL: c.BaseURL, OutMchID: c.OutMchID, OutSubMchID: c.OutSubMchID, OutShopID: c.OutShopID,
			CashierID: c.CashierID, AuthenKey: channel.Secret(c.AuthenKey), SignPrivateKey: channel.Secret(c.SignPrivateKey),
			DeviceID: c.DeviceID, StaffID: c.StaffID, ClientIP: c.ClientIP, HTTP: c.settings()}
	}
	return s
}

// Prefix is the order number prefix the channels require: the file's
// order_prefix, else Cloud Pay's cashier id.
func (f File) Prefix() string {
	if f.OrderPrefix != "" {
		return f.OrderPrefix
	}
	if f.CloudPay != nil {
		return f.CloudPay.CashierID
	}
	return ""
}

// Write saves f as path (0600: it holds keys), replacing it atomically.
func (f File) Write(path string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
