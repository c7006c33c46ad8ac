package channel

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Default timeouts. A code payment answers within a few seconds
// (USERPAYING comes back at once), so 15 s for the whole call leaves room
// for a slow network without leaving the cashier staring at a spinner.
const (
	DefaultTimeout        = 15 * time.Second
	DefaultConnectTimeout = 5 * time.Second
	// MaxAnswer is the largest API answer read; anything longer is treated
	// as a broken answer (unknown), never parsed.
	MaxAnswer = 1 << 20
	// MaxBill is the largest bill file accepted.
	MaxBill = 64 << 20
)

// HTTPSettings are the transport settings shared by the clients.
type HTTPSettings struct {
	// Timeout bounds one whole call: connect, TLS, send, wait, read.
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// ConnectTimeout bounds the TCP connect and the TLS handshake.
	// 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// RootCAPEM, when set, replaces the system roots with these PEM
	// certificates for verifying the server. Used for the sandbox gateway,
	// which has its own certificate authority; leave empty for the real
	// channels.
	RootCAPEM string
}

// Validate checks the settings without building anything.
func (s HTTPSettings) Validate() error {
	if s.Timeout < 0 || s.ConnectTimeout < 0 {
		return errors.New("超时不能为负 / timeouts must not be negative")
	}
	if s.RootCAPEM != "" {
		if _, err := s.rootPool(); err != nil {
			return err
		}
	}
	return nil
}

func (s HTTPSettings) rootPool() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(s.RootCAPEM)) {
		return nil, errors.New("根证书无法解析 / the root CA setting holds no PEM certificate")
	}
	return pool, nil
}

// NewHTTPClient builds a client with the settings' timeouts. clientCert,
// when not nil, is presented for mutual TLS (WeChat /secapi and deposit
// calls). Redirects are not followed: a payment API never redirects, and a
// redirect would carry a signed request somewhere else.
func NewHTTPClient(s HTTPSettings, clientCert *tls.Certificate) (*http.Client, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	connect := s.ConnectTimeout
	if connect == 0 {
		connect = DefaultConnectTimeout
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.RootCAPEM != "" {
		pool, err := s.rootPool()
		if err != nil {
			return nil, err
		}
		tlsConf.RootCAs = pool
	}
	if clientCert != nil {
		cert := *clientCert
		tlsConf.Certificates = []tls.Certificate{cert}
	}
	dialer := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   connect,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          8,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// CheckBaseURL accepts an absolute http or https URL with a host and no
// user info, query or fragment. Plain http is allowed for a local sandbox.
func CheckBaseURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s 不是有效的网址 / %s must be an http(s) URL like https://host/path", what, what)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s 不能包含用户名、查询参数或片段 / %s must not contain user info, a query or a fragment", what, what)
	}
	return u, nil
}

// CallErrorKind says how a call failed after it was started.
type CallErrorKind string

const (
	CallTimeout   CallErrorKind = "timeout"     // no complete answer in time
	CallTransport CallErrorKind = "transport"   // connect refused, reset, dropped mid-answer, TLS failure
	CallStatus    CallErrorKind = "http-status" // answer with a non-2xx status
	CallTooLarge  CallErrorKind = "too-large"   // answer longer than the limit
)

// CallError is a failure after the request may have reached the channel:
// the money state is unknown.
type CallError struct {
	Kind   CallErrorKind
	Status int // for CallStatus
	Err    error
}

func (e *CallError) Error() string {
	switch e.Kind {
	case CallStatus:
		return fmt.Sprintf("通道返回 HTTP %d / the channel answered HTTP %d", e.Status, e.Status)
	case CallTimeout:
		return "等待通道应答超时 / no answer from the channel in time"
	case CallTooLarge:
		return "通道应答过长 / the channel's answer is too long"
	}
	msg := "网络错误 / network error"
	if e.Err != nil {
		msg += ": " + cleanNetError(e.Err)
	}
	return msg
}

func (e *CallError) Unwrap() error { return e.Err }

// cleanNetError drops the request URL that net/http puts in front of errors
// (it is noise for the cashier) and keeps the cause.
func cleanNetError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// Exchange sends one request and reads the whole answer (at most limit
// bytes). Any error it returns is a *CallError: the request may have been
// received, so the caller must treat the money state as unknown.
func Exchange(ctx context.Context, c *http.Client, req *http.Request, limit int64) ([]byte, error) {
	req = req.WithContext(ctx)
	resp, err := c.Do(req)
	if err != nil {
		return nil, classify(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, classify(ctx, err)
	}
	if int64(len(body)) > limit {
		return nil, &CallError{Kind: CallTooLarge}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &CallError{Kind: CallStatus, Status: resp.StatusCode}
	}
	return body, nil
}

// Post is Exchange for a POST with the given content type.
func Post(ctx context.Context, c *http.Client, target, contentType string, body []byte, limit int64) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, &CallError{Kind: CallTransport, Err: err}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "cashier/1")
	return Exchange(ctx, c, req, limit)
}

func classify(ctx context.Context, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) || ctx.Err() == context.DeadlineExceeded {
		return &CallError{Kind: CallTimeout, Err: err}
	}
	if strings.Contains(err.Error(), "Client.Timeout") {
		return &CallError{Kind: CallTimeout, Err: err}
	}
	return &CallError{Kind: CallTransport, Err: err}
}
