package setup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
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

// HTTPFile is a channel's connection settings. root_ca_pem is refused
// unless the file says "sandbox": true.
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
// (Settings does, refusing malformed keys). Every refusal is an ErrFile
// naming the field by its full path in the file ("wechat.api_key"), never
// its value.
func LoadFile(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	if field, reason := scan(b); reason != "" {
		return File{}, fileErr(path, field, reason)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		// scan has checked every key and type; the decoder's own words
		// name Go types, so they are not shown.
		return File{}, fileErr(path, "", "cannot be read")
	}
	return f, f.check(path)
}

// scan walks the file's JSON tokens against File before it is decoded:
// encoding/json on its own matches keys case-insensitively ("API_KEY"
// would fill api_key), keeps the last of two equal keys, and names Go
// types in its errors. scan refuses an unknown key, a key written in
// another case than the field's, a duplicate key and a value of the wrong
// JSON type, and says which field by its path of JSON names. It never
// quotes a value.
func scan(b []byte) (field, reason string) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := scanValue(dec, reflect.TypeFor[File](), ""); err != nil {
		return err.field, err.reason
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", "there is more after the settings object"
	}
	return "", ""
}

type scanError struct{ field, reason string }

// scanValue reads one value of type t at path.
func scanValue(dec *json.Decoder, t reflect.Type, path string) *scanError {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(path, err)
	}
	if t.Kind() == reflect.Pointer {
		if tok == nil {
			return nil
		}
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if tok != json.Delim('{') {
			return &scanError{path, "must be an object {…}"}
		}
		fields := jsonFields(t)
		return scanObject(dec, path, func(key string) (reflect.Type, *scanError) {
			if ft, ok := fields[key]; ok {
				return ft, nil
			}
			for name := range fields {
				if strings.EqualFold(name, key) {
					return nil, &scanError{join(path, key), fmt.Sprintf("write it %q (names are matched exactly)", name)}
				}
			}
			return nil, &scanError{join(path, key), "unknown field"}
		})
	case reflect.Map:
		if tok == nil {
			return nil
		}
		if tok != json.Delim('{') {
			return &scanError{path, "must be an object {…}"}
		}
		return scanObject(dec, path, func(string) (reflect.Type, *scanError) { return t.Elem(), nil })
	case reflect.String:
		if _, ok := tok.(string); !ok {
			return &scanError{path, "must be a string \"…\""}
		}
	case reflect.Int:
		n, ok := tok.(json.Number)
		if !ok {
			return &scanError{path, "must be a whole number"}
		}
		if _, err := strconv.ParseInt(n.String(), 10, 32); err != nil {
			return &scanError{path, "must be a whole number"}
		}
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			return &scanError{path, "must be true or false"}
		}
	default:
		return &scanError{path, "cannot be read"}
	}
	return nil
}

// scanObject reads the members of an object whose '{' is read; field
// gives the type of a member by its key, or refuses the key.
func scanObject(dec *json.Decoder, path string, field func(key string) (reflect.Type, *scanError)) *scanError {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(path, err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return &scanError{join(path, key), "given twice"}
		}
		seen[key] = true
		t, bad := field(key)
		if bad != nil {
			return bad
		}
		if err := scanValue(dec, t, join(path, key)); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return syntaxError(path, err)
	}
	return nil
}

// syntaxError words a JSON syntax error by its place, not by the decoder's
// words (they quote the offending character, which may be a secret's).
func syntaxError(path string, err error) *scanError {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &scanError{path, fmt.Sprintf("not valid JSON (at byte %d)", se.Offset)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &scanError{path, "the file ends too early"}
	}
	return &scanError{path, "not valid JSON"}
}

// jsonFields maps the JSON names of a struct's fields, embedded structs'
// (HTTPFile) included, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		switch {
		case sf.Anonymous && name == "":
			maps.Copy(out, jsonFields(sf.Type))
		case name == "-" || !sf.IsExported():
		case name == "":
			out[sf.Name] = sf.Type
		default:
			out[name] = sf.Type
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// check checks what the file's fields say, naming the exact field: the
// required ones, the forms of the values the clients would refuse later
// (URLs, the WeChat sign type and certificate pairs, timeouts, a root
// certificate only for the sandbox) and the routes.
func (f File) check(path string) error {
	if f.WeChat == nil && f.Alipay == nil && f.CloudPay == nil {
		return fileErr(path, "wechat|alipay|cloudpay", "no channel configured")
	}
	if len(f.OrderPrefix) > app.MaxOrderPrefixLen {
		return fileErr(path, "order_prefix", fmt.Sprintf("longer than %d characters: order numbers would pass 32", app.MaxOrderPrefixLen))
	}
	need := func(prefix string, fields map[string]string) error {
		for _, name := range slices.Sorted(maps.Keys(fields)) {
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
		if err := checkURL(path, "wechat.base_url", w.BaseURL); err != nil {
			return err
		}
		switch w.SignType {
		case "", wechat.SignMD5, wechat.SignHMACSHA256:
		default:
			return fileErr(path, "wechat.sign_type", "must be MD5 or HMAC-SHA256")
		}
		if err := checkCert(path, w); err != nil {
			return err
		}
		if err := f.checkHTTP(path, "wechat", w.HTTPFile); err != nil {
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
		if err := checkURL(path, "alipay.gateway_url", a.GatewayURL); err != nil {
			return err
		}
		if err := f.checkHTTP(path, "alipay", a.HTTPFile); err != nil {
			return err
		}
	}
	if c := f.CloudPay; c != nil {
		if err := need("cloudpay", map[string]string{"out_mch_id": c.OutMchID, "out_sub_mch_id": c.OutSubMchID,
			"out_shop_id": c.OutShopID, "cashier_id": c.CashierID, "authen_key": c.AuthenKey}); err != nil {
			return err
		}
		if err := checkURL(path, "cloudpay.base_url", c.BaseURL); err != nil {
			return err
		}
		if len(c.CashierID) > app.MaxOrderPrefixLen {
			return fileErr(path, "cloudpay.cashier_id", fmt.Sprintf("longer than %d characters: order numbers would pass 32", app.MaxOrderPrefixLen))
		}
		if err := f.checkHTTP(path, "cloudpay", c.HTTPFile); err != nil {
			return err
		}
	}
	have := map[app.ChannelName]bool{app.ChannelWeChat: f.WeChat != nil, app.ChannelAlipay: f.Alipay != nil, app.ChannelCloudPay: f.CloudPay != nil}
	if field, err := checkRoutes(f.Routes, func(n app.ChannelName) bool { return have[n] }); err != nil {
		return fileErr(path, field, err.Error())
	}
	return nil
}

// checkURL checks an optional base URL the way the clients do.
func checkURL(path, field, v string) error {
	if v == "" {
		return nil
	}
	if _, err := channel.CheckBaseURL(field, v); err != nil {
		return fileErr(path, field, "must be an http(s) URL like https://host/path, without user info, a query or a fragment")
	}
	return nil
}

// checkCert checks that the WeChat client certificate is given one way,
// and whole.
func checkCert(path string, w *WeChatFile) error {
	pair := func(a, b, aName, bName string) error {
		switch {
		case a != "" && b == "":
			return fileErr(path, "wechat."+bName, "missing: "+aName+" needs it")
		case a == "" && b != "":
			return fileErr(path, "wechat."+aName, "missing: "+bName+" needs it")
		}
		return nil
	}
	if err := pair(w.CertPEM, w.KeyPEM, "cert_pem", "key_pem"); err != nil {
		return err
	}
	if err := pair(w.CertFile, w.KeyFile, "cert_file", "key_file"); err != nil {
		return err
	}
	var given []string
	for _, f := range []struct{ name, v string }{{"cert_pem", w.CertPEM}, {"cert_file", w.CertFile}, {"p12_file", w.P12File}} {
		if f.v != "" {
			given = append(given, f.name)
		}
	}
	if len(given) > 1 {
		return fileErr(path, "wechat."+given[1], "give the client certificate one way only: cert_pem+key_pem, cert_file+key_file or p12_file (also "+given[0]+" is set)")
	}
	return nil
}

// checkHTTP checks a channel's connection settings.
func (f File) checkHTTP(path, ch string, h HTTPFile) error {
	if h.TimeoutSeconds < 0 {
		return fileErr(path, ch+".timeout_seconds", "must not be negative")
	}
	if h.ConnectTimeoutSeconds < 0 {
		return fileErr(path, ch+".connect_timeout_seconds", "must not be negative")
	}
	if h.RootCAPEM != "" {
		if !f.Sandbox {
			// It replaces the system roots: a live file with it would
			// trust whoever holds that certificate's key.
			return fileErr(path, ch+".root_ca_pem", `only for a sandbox gateway: set "sandbox": true, or leave it out for the real service`)
		}
		if err := (channel.HTTPSettings{RootCAPEM: h.RootCAPEM}).Validate(); err != nil {
			return fileErr(path, ch+".root_ca_pem", "holds no PEM certificate")
		}
	}
	return nil
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
