// Package client is the terminal's side of the back-office sync protocol
// (docs/sync.md): signed requests, enrolment, and the answers read into
// errors a job can act on (retry later, or stop and report).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cashier/sync/backoffice/protocol"
)

// Client talks to one back office as one enrolled terminal.
type Client struct {
	URL      string // base, e.g. https://bo.example:8700
	Terminal string // t-…
	Secret   []byte
	HTTP     *http.Client     // nil: a client with a 30 s timeout
	Now      func() time.Time // nil: time.Now
}

// Error is a request that did not get a 200. Retry says whether sending the
// same request later can succeed: a network failure, a 5xx, 429 or an answer
// that is not the protocol's are retried with backoff; a refusal (4xx) is not,
// as the same bytes would be refused again.
type Error struct {
	Status  int    // 0 when no answer came
	Code    string // the protocol's error code; "network" or "bad_answer" when there is none
	Message string
	Retry   bool
	Fields  []string
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return e.Code + ": " + e.Message
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Retryable says whether err is worth sending again later.
func Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retry
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

// maxAnswer bounds what is read of an answer: a pull page of 1,000 items at
// the payload limit is the most a server sends.
const maxAnswer = protocol.MaxPull*protocol.MaxPayloadBytes + 1<<20

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Push sends one batch; a nil error means every record is durably held.
func (c *Client) Push(ctx context.Context, recs []protocol.Record) (protocol.PushResult, error) {
	body, err := json.Marshal(protocol.Batch{Records: recs})
	if err != nil {
		return protocol.PushResult{}, err
	}
	var res protocol.PushResult
	err = c.do(ctx, http.MethodPost, "/v1/push", body, &res)
	if err == nil && res.Accepted != len(recs) {
		err = &Error{Status: http.StatusOK, Code: "bad_answer", Retry: true,
			Message: fmt.Sprintf("server accepted %d of %d records", res.Accepted, len(recs))}
	}
	return res, err
}

// Pull asks for one page of topic after cursor (limit 0: the server's default).
func (c *Client) Pull(ctx context.Context, topic string, cursor int64, limit int) (protocol.PullPage, error) {
	q := url.Values{"topic": {topic}, "cursor": {strconv.FormatInt(cursor, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var page protocol.PullPage
	if err := c.do(ctx, http.MethodGet, "/v1/pull?"+q.Encode(), nil, &page); err != nil {
		return page, err
	}
	if page.Topic != topic || page.Next < cursor {
		return page, &Error{Status: http.StatusOK, Code: "bad_answer", Retry: true,
			Message: fmt.Sprintf("page of %q up to %d answered a pull of %q after %d", page.Topic, page.Next, topic, cursor)}
	}
	return page, nil
}

func (c *Client) do(ctx context.Context, method, pathQuery string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+pathQuery, bytes.NewReader(body))
	if err != nil {
		return &Error{Code: "bad_url", Message: err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := protocol.Sign(req, body, protocol.Credentials{Terminal: c.Terminal, Secret: c.Secret}, c.now()); err != nil {
		return &Error{Code: "not_enrolled", Message: err.Error()}
	}
	return roundTrip(c.httpClient(), req, out)
}

func roundTrip(hc *http.Client, req *http.Request, out any) error {
	resp, err := hc.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return ctxErr
		}
		return &Error{Code: "network", Message: err.Error(), Retry: true}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return &Error{Status: resp.StatusCode, Code: "network", Message: err.Error(), Retry: true}
	}
	if resp.StatusCode != http.StatusOK {
		return answerError(resp.StatusCode, data)
	}
	// Answers are read leniently: a newer server may add fields.
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Status: resp.StatusCode, Code: "bad_answer", Message: "answer is not JSON: " + snippet(data), Retry: true}
	}
	return nil
}

func answerError(status int, data []byte) error {
	var pe protocol.Error
	retry := status >= 500 || status == http.StatusTooManyRequests
	if err := json.Unmarshal(data, &pe); err != nil || pe.Code == "" {
		// A proxy's HTML page, a half answer: not the back office speaking.
		return &Error{Status: status, Code: "bad_answer", Message: snippet(data), Retry: retry || status < 400 || status >= 500}
	}
	return &Error{Status: status, Code: pe.Code, Message: pe.Message, Fields: pe.Fields, Retry: retry}
}

func snippet(b []byte) string {
	const n = 120
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.TrimSpace(s)
}

// Enrol spends a one-time code at the back office at baseURL and returns the
// terminal's id, store and secret.
func Enrol(ctx context.Context, hc *http.Client, baseURL, code, name string) (protocol.Enrolment, error) {
	if hc == nil {
		hc = defaultHTTP
	}
	body, err := json.Marshal(protocol.EnrolRequest{Code: code, Name: name})
	if err != nil {
		return protocol.Enrolment{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+"/v1/enrol", bytes.NewReader(body))
	if err != nil {
		return protocol.Enrolment{}, &Error{Code: "bad_url", Message: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(protocol.HeaderProtocol, strconv.Itoa(protocol.Version))
	var en protocol.Enrolment
	if err := roundTrip(hc, req, &en); err != nil {
		return en, err
	}
	if en.Terminal == "" || en.Secret == "" {
		return en, &Error{Status: http.StatusOK, Code: "bad_answer", Message: "enrolment answer without terminal or secret"}
	}
	return en, nil
}

// ErrBadEnrolQR: what was scanned or typed is neither an enrolment QR nor a code.
var ErrBadEnrolQR = errors.New("client: not an enrolment QR or code")

// ParseEnrolQR reads what the scanner or the cashier gave: the QR's JSON
// ({"v":1,"url":…,"code":…}) or a bare code (then url is ""). Codes are
// 16 base32 characters, dashes and case ignored.
func ParseEnrolQR(s string) (baseURL, code string, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		var q protocol.EnrolQR
		if err := json.Unmarshal([]byte(s), &q); err != nil || q.V != 1 || q.Code == "" {
			return "", "", ErrBadEnrolQR
		}
		u, err := url.Parse(q.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", "", ErrBadEnrolQR
		}
		c, ok := normaliseCode(q.Code)
		if !ok {
			return "", "", ErrBadEnrolQR
		}
		return q.URL, c, nil
	}
	c, ok := normaliseCode(s)
	if !ok {
		return "", "", ErrBadEnrolQR
	}
	return "", c, nil
}

func normaliseCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
		case (r >= 'A' && r <= 'Z') || (r >= '2' && r <= '7'):
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	c := b.String()
	if len(c) != 16 {
		return "", false
	}
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16], true
}

// Backoff is how long to wait after failures consecutive failed attempts:
// 15 s doubling to at most 15 minutes, with ±20 % jitter so terminals that
// lost the server together do not come back together.
func Backoff(failures int) time.Duration {
	d := backoffBase(failures)
	if d == 0 {
		return 0
	}
	return d + time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
}

func backoffBase(failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := 15 * time.Second
	for i := 1; i < failures && d < 15*time.Minute; i++ {
		d *= 2
	}
	return min(d, 15*time.Minute)
}

// NextTry is when a scheduled attempt may run again after failures in a
// row, the last at last: Backoff's wait, with its jitter fixed by the
// terminal id, so every look at the same state gives the same time and
// terminals that failed together still spread out.
func NextTry(last time.Time, failures int, terminal string) time.Time {
	d := backoffBase(failures)
	if d == 0 {
		return last
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", terminal, failures)
	return last.Add(d + time.Duration(h.Sum64()%uint64(int64(d)/5*2+1)) - d/5)
}
