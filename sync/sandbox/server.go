package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running sandbox gateway.
type Server struct {
	// BaseURL is the WeChat Pay API base (instead of https://api.mch.weixin.qq.com).
	BaseURL string
	// AlipayGateway replaces https://openapi.alipay.com/gateway.do.
	AlipayGateway string
	// CloudPayURL replaces https://pay.qcloud.com/cpay (append /<api>).
	CloudPayURL string

	cfg        *Config
	ledger     *Ledger
	srv        *http.Server
	ln         net.Listener
	done       chan struct{}
	closeOnce  sync.Once
	serveErr   chan error
	billSecret []byte
	billFault  atomic.Value // BillFault
}

// Start prepares cfg (when it was built in code rather than loaded) and
// serves HTTPS on addr ("127.0.0.1:0" picks a free port) until ctx is done
// or Close is called. Every path is served on one port; /secapi/* and the
// certificate-only deposit calls ask for the merchant's client certificate.
// With cfg.LedgerFile set, the ledger is loaded from that file (a file that
// cannot be used is a *LedgerFileError, the file untouched) and every
// change is written to it before it is answered.
func Start(ctx context.Context, addr string, cfg *Config) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("sandbox: nil config")
	}
	if err := cfg.prepare(""); err != nil {
		return nil, err
	}
	cert, err := cfg.TLS.ca.serverCertificate(cfg.TLS.Hosts)
	if err != nil {
		return nil, fmt.Errorf("sandbox: server certificate: %w", err)
	}
	ledger, err := openLedger(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = ledger.closeFile()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Server{
		cfg:        cfg,
		ledger:     ledger,
		ln:         ln,
		done:       make(chan struct{}),
		serveErr:   make(chan error, 1),
		billSecret: make([]byte, 32),
	}
	_, _ = rand.Read(s.billSecret)
	s.billFault.Store(cfg.Scenarios.BillFault)
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.BaseURL = "https://" + net.JoinHostPort(host, port)
	s.AlipayGateway = s.BaseURL + "/gateway.do"
	s.CloudPayURL = s.BaseURL + "/cpay"

	tlsCfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		// The certificate is checked per path against the merchant's
		// configured certificate (pinning), so any client certificate is
		// requested and none is required at the handshake.
		ClientAuth: tls.RequestClientCert,
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
	}
	errLog := io.Discard
	if cfg.Log != nil {
		errLog = cfg.Log
	}
	s.srv = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(errLog, "sandbox: ", 0),
	}
	go func() { s.serveErr <- s.srv.Serve(tls.NewListener(ln, tlsCfg)) }()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// Ledger is the sandbox's book, for tests and inspection.
func (s *Server) Ledger() *Ledger { return s.ledger }

// CAPEM is the certificate of the authority that issued the server
// certificate; clients add it to their trusted roots.
func (s *Server) CAPEM() []byte { return bytes.Clone(s.cfg.TLS.ca.certPEM) }

// Done is closed when the server stops.
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops the server; answers held by the slow scenario are abandoned.
// It writes nothing: a ledger file already holds every change (a crash
// loses nothing Close would have saved). The ledger stays readable.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err = s.srv.Shutdown(ctx)
		if err != nil {
			err = s.srv.Close()
		}
		if e := s.ledger.closeFile(); err == nil {
			err = e
		}
	})
	return err
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	s.wechatRoutes(mux)
	mux.HandleFunc("/gateway.do", s.alipayGateway)
	mux.HandleFunc("/downloadBillFile.resource", s.alipayBillFile)
	mux.HandleFunc("/cpay/", s.cloudPay)
	mux.HandleFunc("/sandbox/ledger", s.ledgerJSON)
	mux.HandleFunc("/sandbox/qr", s.qrAdmin)
	mux.HandleFunc("/sandbox/qr/", s.qrAdmin)
	mux.HandleFunc("/sandbox/ca.pem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.CAPEM())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found (poscashier SANDBOX gateway)", http.StatusNotFound)
	})
	if s.cfg.Log == nil {
		return s.guarded(mux)
	}
	return s.logged(s.guarded(mux))
}

// guarded answers HTTP 500 when the ledger cannot make a change durable
// (ledgerFailure): the request's outcome is unknown to the client, as a
// real channel's 5xx is, and nothing is answered that a restart could undo.
func (s *Server) guarded(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			f, ok := v.(ledgerFailure)
			if !ok {
				panic(v)
			}
			http.Error(w, "500 sandbox ledger failure: "+f.err.Error(), http.StatusInternalServerError)
		}()
		h.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// logged writes one line per request: never a body, key or signature.
func (s *Server) logged(h http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		status := func() string {
			if rec.status == 0 {
				return "dropped"
			}
			return strconv.Itoa(rec.status)
		}
		defer func() {
			mu.Lock()
			fmt.Fprintf(s.cfg.Log, "%s %s %s %s %s\n", time.Now().Format("15:04:05.000"), r.Method, r.URL.Path, status(), time.Since(start).Round(time.Millisecond))
			mu.Unlock()
		}()
		h.ServeHTTP(rec, r)
	})
}

// deliver writes an answer, applying the transport scenario of a newly
// created order: HTTP 503 without an answer body of the protocol, an
// answer held past the client's timeout, or a dropped connection.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, scen Scenario, write func()) {
	switch scen {
	case ScenarioUnavailable:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n")
		return
	case ScenarioSlowCharged:
		select {
		case <-s.cfg.Clock.After(s.cfg.Scenarios.slowAnswer()):
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	case ScenarioDroppedCharged:
		// The money is taken; the connection closes without an answer.
		panic(http.ErrAbortHandler)
	}
	write()
}

// peerIs tells whether the TLS client presented exactly the certificate
// configured for the merchant (the handshake proved it holds the key).
func (s *Server) peerIs(r *http.Request, der []byte) bool {
	if len(der) == 0 || r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return false
	}
	return bytes.Equal(r.TLS.PeerCertificates[0].Raw, der)
}

const nonceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func nonce(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = nonceChars[int(b[i])%len(nonceChars)]
	}
	return string(b)
}

// LedgerView is the JSON document served at GET /sandbox/ledger.
type LedgerView struct {
	Summary LedgerSummary `json:"summary"`
	Orders  []Order       `json:"orders"`
	Refunds []Refund      `json:"refunds"`
	Charges []Charge      `json:"charges"`
}

// View snapshots the ledger.
func (l *Ledger) View() LedgerView {
	v := LedgerView{Summary: l.Summary(), Orders: l.Orders(), Refunds: l.Refunds(), Charges: l.Charges()}
	if v.Orders == nil {
		v.Orders = []Order{}
	}
	if v.Refunds == nil {
		v.Refunds = []Refund{}
	}
	if v.Charges == nil {
		v.Charges = []Charge{}
	}
	return v
}

func (s *Server) ledgerJSON(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s.ledger.View())
}
