package protocol

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type memNonces struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memNonces) Remember(_ context.Context, terminal, nonce string, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	k := terminal + "\x00" + nonce
	if m.seen[k] {
		return false, nil
	}
	m.seen[k] = true
	return true, nil
}

var (
	now   = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	creds = Credentials{Terminal: "T1", Secret: []byte("0123456789abcdef0123456789abcdef")}
)

func lookup(_ context.Context, terminal string) ([]byte, error) {
	if terminal == creds.Terminal {
		return creds.Secret, nil
	}
	return nil, ErrUnknownTerminal
}

func signed(t *testing.T, method, target string, body []byte, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(string(body)))
	if err := Sign(r, body, creds, at); err != nil {
		t.Fatal(err)
	}
	return r
}

func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error %d %s, got %v", status, code, err)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("want %d %s, got %d %s (%s)", status, code, e.Status, e.Code, e.Message)
	}
}

func TestVerify_Good(t *testing.T) {
	body := []byte(`{"records":[]}`)
	r := signed(t, "POST", "/v1/push", body, now)
	term, err := Verify(context.Background(), r, body, lookup, now.Add(4*time.Minute), &memNonces{})
	if err != nil || term != "T1" {
		t.Fatalf("got %q %v", term, err)
	}
}

func TestVerify_Tampered(t *testing.T) {
	body := []byte(`{"records":[]}`)
	cases := map[string]func(r *http.Request) []byte{
		"body": func(r *http.Request) []byte { return []byte(`{"records":[ ]}`) },
		"path": func(r *http.Request) []byte { r.URL.Path = "/v1/pull"; return body },
		"query": func(r *http.Request) []byte {
			r.URL.RawQuery = "topic=products&cursor=0"
			return body
		},
		"method": func(r *http.Request) []byte { r.Method = "PUT"; return body },
		"timestamp": func(r *http.Request) []byte {
			r.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10))
			return body
		},
		"nonce":    func(r *http.Request) []byte { r.Header.Set(HeaderNonce, "AAAAAAAAAAAAAAAAAAAAAA"); return body },
		"terminal": func(r *http.Request) []byte { r.Header.Set(HeaderTerminal, "T2"); return body },
		"secret": func(r *http.Request) []byte {
			other := Credentials{Terminal: "T1", Secret: []byte("another secret entirely, 32 byte")}
			_ = Sign(r, body, other, now)
			return body
		},
		"garbage signature": func(r *http.Request) []byte { r.Header.Set(HeaderSignature, "%%%"); return body },
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			r := signed(t, "POST", "/v1/push", body, now)
			b := tamper(r)
			_, err := Verify(context.Background(), r, b, lookup, now, &memNonces{})
			wantCode(t, err, 401, "auth_signature")
		})
	}
}

func TestVerify_Replay(t *testing.T) {
	body := []byte(`{}`)
	n := &memNonces{}
	r := signed(t, "GET", "/v1/pull?topic=products&cursor=0", body, now)
	if _, err := Verify(context.Background(), r, body, lookup, now, n); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(context.Background(), r, body, lookup, now, n)
	wantCode(t, err, 401, "auth_replay")
}

func TestVerify_ClockSkew(t *testing.T) {
	body := []byte(`{}`)
	for _, skew := range []time.Duration{Window + time.Second, -Window - time.Second, 24 * time.Hour} {
		r := signed(t, "POST", "/v1/push", body, now.Add(-skew))
		_, err := Verify(context.Background(), r, body, lookup, now, &memNonces{})
		wantCode(t, err, 401, "auth_clock")
	}
}

func TestVerify_BadHeaders(t *testing.T) {
	body := []byte(`{}`)
	r := signed(t, "POST", "/v1/push", body, now)
	r.Header.Del(HeaderNonce)
	_, err := Verify(context.Background(), r, body, lookup, now, &memNonces{})
	wantCode(t, err, 401, "auth_missing")

	r = signed(t, "POST", "/v1/push", body, now)
	r.Header.Set(HeaderNonce, "short")
	_, err = Verify(context.Background(), r, body, lookup, now, &memNonces{})
	wantCode(t, err, 401, "auth_nonce")

	r = signed(t, "POST", "/v1/push", body, now)
	r.Header.Set(HeaderTerminal, "nobody")
	_, err = Verify(context.Background(), r, body, lookup, now, &memNonces{})
	wantCode(t, err, 401, "auth_signature")
}

func TestCheckProtocol(t *testing.T) {
	for v, want := range map[string]int{"1": 0, "1.3": 0, "2": 426, "0": 426, "": 400, "one": 400} {
		h := http.Header{}
		if v != "" {
			h.Set(HeaderProtocol, v)
		}
		e := CheckProtocol(h)
		switch {
		case want == 0 && e != nil:
			t.Errorf("%q: %v", v, e)
		case want != 0 && (e == nil || e.Status != want || len(e.Supported) != 1 || e.Supported[0] != 1):
			t.Errorf("%q: want %d with supported [1], got %+v", v, want, e)
		}
	}
}

func TestDecodeBatch(t *testing.T) {
	good := `{"records":[{"terminal":"T1","topic":"orders","id":"o-1","version":2,"payload":{"total":100}}]}`
	b, err := DecodeBatch([]byte(good))
	if err != nil || len(b.Records) != 1 || b.Records[0].Version != 2 {
		t.Fatalf("%+v %v", b, err)
	}
	cases := []struct{ body, code, field string }{
		{`{"records":[`, "bad_json", ""},
		{`garbage`, "bad_json", ""},
		{`{"records":[]} {}`, "bad_json", ""},
		{`{}`, "missing_field", "records"},
		{`{"records":[],"extra":1}`, "unknown_field", "extra"},
		{`{"records":[{"terminal":"T1","topic":"orders","id":"o","version":1,"payload":{},"colour":"red"}]}`, "unknown_field", "colour"},
		{`{"records":[{"terminal":"T1","topic":"widgets","id":"o","version":1,"payload":{}}]}`, "unknown_topic", "topic"},
		{`{"records":[{"terminal":"T1","topic":"orders","id":"o","version":0,"payload":{}}]}`, "bad_record", "version"},
		{`{"records":[{"terminal":"T1","topic":"orders","id":"o","version":"2","payload":{}}]}`, "bad_json", "records.version"},
		{`{"records":[{"terminal":"T1","topic":"orders","id":"","version":1,"payload":{}}]}`, "bad_record", "id"},
		{`{"records":[{"terminal":"T1","topic":"orders","id":"a b","version":1,"payload":{}}]}`, "bad_record", "id"},
		{`{"records":[{"terminal":"T1","topic":"orders","id":"o","version":1,"payload":[1]}]}`, "bad_record", "payload"},
		{`{"records":[{"terminal":"T1","topic":"orders","id":"o","version":1}]}`, "bad_record", "payload"},
	}
	for _, c := range cases {
		_, err := DecodeBatch([]byte(c.body))
		var e *Error
		if !errors.As(err, &e) || e.Code != c.code || e.Status != 400 {
			t.Errorf("%s: want 400 %s, got %v", c.body, c.code, err)
			continue
		}
		if c.field != "" && (len(e.Fields) != 1 || e.Fields[0] != c.field) {
			t.Errorf("%s: want field %q, got %v", c.body, c.field, e.Fields)
		}
	}
}

func TestDecodeBatch_Limits(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"records":[`)
	for i := 0; i <= MaxRecords; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"terminal":"T1","topic":"orders","id":"o","version":1,"payload":{}}`)
	}
	sb.WriteString(`]}`)
	_, err := DecodeBatch([]byte(sb.String()))
	wantCode(t, err, 413, "too_many_records")

	_, err = DecodeBatch(make([]byte, MaxBodyBytes+1))
	wantCode(t, err, 413, "too_large")

	big := `{"records":[{"terminal":"T1","topic":"orders","id":"o","version":1,"payload":{"x":"` + strings.Repeat("a", MaxPayloadBytes) + `"}}]}`
	_, err = DecodeBatch([]byte(big))
	wantCode(t, err, 413, "payload_too_large")
}
