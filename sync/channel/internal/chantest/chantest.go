// Package chantest holds helpers for the channel clients' tests: throw-away
// keys and certificates, a capturing logger, and fake-server behaviours
// (slow, dropped connection). It is imported by tests only.
package chantest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// RSAKey makes a fresh RSA key.
func RSAKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// PKCS1PEM encodes a private key as "RSA PRIVATE KEY".
func PKCS1PEM(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// PKCS8PEM encodes a private key as "PRIVATE KEY".
func PKCS8PEM(k *rsa.PrivateKey) string {
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// PublicPEM encodes a public key as "PUBLIC KEY" (PKIX).
func PublicPEM(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// ClientCert makes a self-signed certificate and its key, both PEM.
func ClientCert(t testing.TB) (certPEM, keyPEM string) {
	t.Helper()
	k := RSAKey(t, 2048)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "1900000109"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), PKCS1PEM(k)
}

// ServerCAPEM is the PEM of a TLS test server's certificate, to trust it.
func ServerCAPEM(s *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
}

// LogBuffer is a slog.Logger writing text into a buffer, safe for
// concurrent use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Logger returns a debug-level logger into the buffer.
func (l *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Drop closes the connection without answering: the request was received
// but the answer is lost.
func Drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("chantest: cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// Truncate announces a longer body than it sends, then closes: the answer
// is cut off mid-way.
func Truncate(w http.ResponseWriter, body []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("chantest: cannot hijack")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	half := body[:len(body)/2]
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ")
	buf.WriteString(itoa(len(body)))
	buf.WriteString("\r\n\r\n")
	buf.Write(half)
	buf.Flush()
	conn.Close()
}

func itoa(n int) string {
	return big.NewInt(int64(n)).String()
}
