package protocol

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scheme names the canonical form; a change to it is a new protocol version.
const scheme = "POS-HMAC-SHA256"

// Credentials are a terminal's id and the secret issued at enrolment.
type Credentials struct {
	Terminal string
	Secret   []byte
}

// Canonical is the exact string that is signed. The query is part of the path so a
// pull's topic and cursor cannot be changed in flight; the terminal id is signed so a
// secret cannot vouch for another terminal's header.
func Canonical(method, pathAndQuery, terminal, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{
		scheme,
		strconv.Itoa(Version),
		strings.ToUpper(method),
		pathAndQuery,
		terminal,
		timestamp,
		nonce,
		hex.EncodeToString(sum[:]),
	}, "\n")
}

func mac(secret []byte, canonical string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(canonical))
	return m.Sum(nil)
}

func pathAndQuery(r *http.Request) string {
	p := r.URL.EscapedPath()
	if p == "" {
		p = "/"
	}
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	return p
}

// NewNonce returns 16 random bytes in base64url without padding (22 characters).
func NewNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Sign sets the protocol, terminal, timestamp, nonce and signature headers of req
// for body (the exact bytes that will be sent), at now.
func Sign(req *http.Request, body []byte, c Credentials, now time.Time) error {
	if c.Terminal == "" || len(c.Secret) == 0 {
		return errors.New("protocol: credentials without terminal or secret")
	}
	nonce, err := NewNonce()
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := mac(c.Secret, Canonical(req.Method, pathAndQuery(req), c.Terminal, ts, nonce, body))
	req.Header.Set(HeaderProtocol, strconv.Itoa(Version))
	req.Header.Set(HeaderTerminal, c.Terminal)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// ErrUnknownTerminal is what a SecretLookup returns for a terminal it does not know
// (or one that was revoked).
var ErrUnknownTerminal = errors.New("protocol: unknown terminal")

// SecretLookup finds a terminal's secret.
type SecretLookup func(ctx context.Context, terminal string) ([]byte, error)

// Nonces remembers nonces until they expire. Remember must be atomic across every
// process sharing the store: it returns false when the nonce was already held.
type Nonces interface {
	Remember(ctx context.Context, terminal, nonce string, expires time.Time) (fresh bool, err error)
}

// Verify checks a signed request: the protocol version, the headers' form, the
// timestamp within Window of now, the signature (constant-time), and only then the
// nonce — so a request that is not signed by the terminal cannot fill the nonce store.
// It returns the authenticated terminal id. Refusals are *Error with status 400, 401
// or 426; a failing lookup or nonce store returns its own error (a 5xx for the caller).
func Verify(ctx context.Context, req *http.Request, body []byte, lookup SecretLookup, now time.Time, nonces Nonces) (string, error) {
	if e := CheckProtocol(req.Header); e != nil {
		return "", e
	}
	terminal := req.Header.Get(HeaderTerminal)
	ts := req.Header.Get(HeaderTimestamp)
	nonce := req.Header.Get(HeaderNonce)
	sigText := req.Header.Get(HeaderSignature)
	var missing []string
	for _, h := range [][2]string{{HeaderTerminal, terminal}, {HeaderTimestamp, ts}, {HeaderNonce, nonce}, {HeaderSignature, sigText}} {
		if h[1] == "" {
			missing = append(missing, h[0])
		}
	}
	if len(missing) > 0 {
		e := errorf(http.StatusUnauthorized, "auth_missing", "missing headers %s", strings.Join(missing, ", "))
		e.Fields = missing
		return "", e
	}
	if !validID(terminal) {
		return "", errorf(http.StatusUnauthorized, "auth_terminal", "terminal id is not valid")
	}
	if !validNonce(nonce) {
		return "", errorf(http.StatusUnauthorized, "auth_nonce", "nonce must be 16-64 characters of A-Z a-z 0-9 - _")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", errorf(http.StatusUnauthorized, "auth_timestamp", "timestamp is not unix seconds")
	}
	at := time.Unix(secs, 0)
	if skew := now.Sub(at); skew > Window || skew < -Window {
		return "", errorf(http.StatusUnauthorized, "auth_clock", "timestamp is %s from the server's clock (window %s)", skew.Round(time.Second), Window)
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil || len(sig) != sha256.Size {
		return "", errorf(http.StatusUnauthorized, "auth_signature", "signature is not valid")
	}
	secret, err := lookup(ctx, terminal)
	if errors.Is(err, ErrUnknownTerminal) {
		// Same answer as a wrong signature: do not tell which terminal ids exist.
		return "", errorf(http.StatusUnauthorized, "auth_signature", "signature is not valid")
	}
	if err != nil {
		return "", err
	}
	want := mac(secret, Canonical(req.Method, pathAndQuery(req), terminal, ts, nonce, body))
	if !hmac.Equal(sig, want) {
		return "", errorf(http.StatusUnauthorized, "auth_signature", "signature is not valid")
	}
	// A nonce must outlive every timestamp that would still pass the window check.
	fresh, err := nonces.Remember(ctx, terminal, nonce, at.Add(Window+time.Minute))
	if err != nil {
		return "", err
	}
	if !fresh {
		return "", errorf(http.StatusUnauthorized, "auth_replay", "nonce already used")
	}
	return terminal, nil
}

func validNonce(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validID: ids, topics and terminal ids are 1..MaxIDLen printable ASCII without spaces,
// so they are safe in headers, logs and URLs alike.
func validID(s string) bool {
	if s == "" || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
