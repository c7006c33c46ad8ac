package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cashier/sync/backoffice/protocol"
)

var sealKey = bytes.Repeat([]byte{7}, 32)

// opener opens another Store on the same database, as a second server process would.
type opener func(t *testing.T) Store

// engines runs fn on SQLite and on PostgreSQL, each on a fresh database.
func engines(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "backoffice.db")
		fn(t, func(t *testing.T) Store {
			st, err := OpenSQLite(context.Background(), path, sealKey)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := pgDatabase(t)
		fn(t, func(t *testing.T) Store {
			st, err := OpenPostgres(context.Background(), dsn, sealKey)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
}

type env struct {
	st     Store
	url    string
	t1, t2 protocol.Credentials
}

func newEnv(t *testing.T, open opener) *env {
	t.Helper()
	st := open(t)
	srv := httptest.NewServer(New(st, Options{}))
	t.Cleanup(srv.Close)
	e := &env{st: st, url: srv.URL}
	e.t1 = e.enrol(t, "S1")
	e.t2 = e.enrol(t, "S1")
	return e
}

// enrol issues a code and spends it over HTTP, as a terminal does.
func (e *env) enrol(t *testing.T, store string) protocol.Credentials {
	t.Helper()
	now := time.Now()
	code, err := e.st.NewEnrolCode(context.Background(), store, now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	status, body := e.raw(t, "POST", "/v1/enrol", map[string]string{protocol.HeaderProtocol: "1"}, []byte(`{"code":"`+strings.ToLower(code)+`","name":"till"}`))
	if status != 200 {
		t.Fatalf("enrol: %d %s", status, body)
	}
	var en protocol.Enrolment
	if err := json.Unmarshal(body, &en); err != nil {
		t.Fatal(err)
	}
	secret, err := base64.StdEncoding.DecodeString(en.Secret)
	if err != nil || len(secret) != 32 || en.Store != store {
		t.Fatalf("enrolment %+v: %v", en, err)
	}
	return protocol.Credentials{Terminal: en.Terminal, Secret: secret}
}

func (e *env) raw(t *testing.T, method, path string, headers map[string]string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// signed builds a request signed by c at the given time.
func (e *env) signed(t *testing.T, c protocol.Credentials, method, path string, body []byte, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.Sign(req, body, c, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func (e *env) push(t *testing.T, c protocol.Credentials, recs []protocol.Record) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(protocol.Batch{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return send(t, e.signed(t, c, "POST", "/v1/push", body, time.Now()))
}

func (e *env) ids(t *testing.T, terminal string) []string {
	t.Helper()
	recs, err := e.st.Records(context.Background(), terminal)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Topic+"/"+r.ID)
	}
	return out
}

func recs(c protocol.Credentials, from, to int, version int64) []protocol.Record {
	var out []protocol.Record
	for i := from; i < to; i++ {
		topic := "orders"
		if i%3 == 0 {
			topic = "tenders"
		}
		out = append(out, protocol.Record{Terminal: c.Terminal, Topic: topic, ID: fmt.Sprintf("r%05d", i), Version: version,
			Payload: json.RawMessage(fmt.Sprintf(`{"n":%d,"v":%d}`, i, version))})
	}
	return out
}

func wantIDs(c protocol.Credentials, from, to int) []string {
	var out []string
	for _, r := range recs(c, from, to, 1) {
		out = append(out, r.Topic+"/"+r.ID)
	}
	slices.Sort(out)
	return out
}

func wantError(t *testing.T, status int, body []byte, wantStatus int, code string) protocol.Error {
	t.Helper()
	var e protocol.Error
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %s", body)
	}
	if status != wantStatus || e.Code != code || e.Message == "" {
		t.Fatalf("want %d %s, got %d %s", wantStatus, code, status, body)
	}
	return e
}

func TestPush_SameBatchTwiceIsOneRowEach(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		batch := recs(e.t1, 0, 60, 1)
		for round, want := range []protocol.PushResult{{Accepted: 60, Applied: 60}, {Accepted: 60, Unchanged: 60}} {
			status, body := e.push(t, e.t1, batch)
			var got protocol.PushResult
			if status != 200 || json.Unmarshal(body, &got) != nil || got != want {
				t.Fatalf("round %d: %d %s, want %+v", round, status, body, want)
			}
		}
		if got, want := e.ids(t, e.t1.Terminal), wantIDs(e.t1, 0, 60); !slices.Equal(got, want) {
			t.Fatalf("stored %d ids, want %d: %v", len(got), len(want), got)
		}
		if got := e.ids(t, ""); len(got) != 60 {
			t.Fatalf("all terminals: %d rows, want 60", len(got))
		}
	})
}

func TestPush_OlderVersionNeverOverwrites(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		version := func() int64 {
			rs, err := e.st.Records(context.Background(), e.t1.Terminal)
			if err != nil || len(rs) != 1 {
				t.Fatalf("%v %v", rs, err)
			}
			return rs[0].Version
		}
		for _, step := range []struct{ push, want int64 }{{2, 2}, {1, 2}, {2, 2}, {3, 3}, {1, 3}} {
			if status, body := e.push(t, e.t1, recs(e.t1, 1, 2, step.push)); status != 200 {
				t.Fatalf("%d %s", status, body)
			}
			if v := version(); v != step.want {
				t.Fatalf("after pushing v%d: held v%d, want v%d", step.push, v, step.want)
			}
		}
		// Inside one batch too: the newer copy wins whatever the order.
		status, body := e.push(t, e.t1, append(recs(e.t1, 1, 2, 5), recs(e.t1, 1, 2, 4)...))
		if status != 200 || version() != 5 {
			t.Fatalf("%d %s, held v%d", status, body, version())
		}
	})
}

// Two server processes (two Stores, two handlers) on one database; two terminals'
// goroutines push overlapping batches to both at once.
func TestPush_ConcurrentOverlappingBatches(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		other := httptest.NewServer(New(open(t), Options{}))
		t.Cleanup(other.Close)
		e2 := &env{st: e.st, url: other.URL}
		const workers, width, step = 8, 100, 25
		var wg sync.WaitGroup
		errs := make(chan string, workers*4)
		for g := 0; g < workers; g++ {
			for i, target := range []*env{e, e2, e, e2} {
				c := []protocol.Credentials{e.t1, e.t2}[i/2]
				wg.Add(1)
				go func() {
					defer wg.Done()
					body, _ := json.Marshal(protocol.Batch{Records: recs(c, g*step, g*step+width, int64(1+g%3))})
					req, _ := http.NewRequest("POST", target.url+"/v1/push", bytes.NewReader(body))
					_ = protocol.Sign(req, body, c, time.Now())
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errs <- err.Error()
						return
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						errs <- fmt.Sprintf("%d %s", resp.StatusCode, b)
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for msg := range errs {
			t.Error(msg)
		}
		for _, c := range []protocol.Credentials{e.t1, e.t2} {
			if got, want := e.ids(t, c.Terminal), wantIDs(c, 0, (workers-1)*step+width); !slices.Equal(got, want) {
				t.Fatalf("%s: stored %d ids, want %d", c.Terminal, len(got), len(want))
			}
		}
	})
}

func TestPush_RefusedWith401AndNothingStored(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		body, _ := json.Marshal(protocol.Batch{Records: recs(e.t1, 0, 5, 1)})

		req := e.signed(t, e.t1, "POST", "/v1/push", body, time.Now())
		req.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte(`"v":1`), []byte(`"v":9`), 1)))
		st, b := send(t, req)
		wantError(t, st, b, 401, "auth_signature")

		wrongKey := protocol.Credentials{Terminal: e.t1.Terminal, Secret: e.t2.Secret}
		st, b = send(t, e.signed(t, wrongKey, "POST", "/v1/push", body, time.Now()))
		wantError(t, st, b, 401, "auth_signature")

		st, b = send(t, e.signed(t, e.t1, "POST", "/v1/push", body, time.Now().Add(-6*time.Minute)))
		wantError(t, st, b, 401, "auth_clock")
		st, b = send(t, e.signed(t, e.t1, "POST", "/v1/push", body, time.Now().Add(6*time.Minute)))
		wantError(t, st, b, 401, "auth_clock")

		stranger := protocol.Credentials{Terminal: "t-nobody", Secret: e.t1.Secret}
		st, b = send(t, e.signed(t, stranger, "POST", "/v1/push", body, time.Now()))
		wantError(t, st, b, 401, "auth_signature")

		// t2 signs correctly but carries t1's records (and one of its own).
		mixed, _ := json.Marshal(protocol.Batch{Records: append(recs(e.t2, 10, 11, 1), recs(e.t1, 0, 5, 1)...)})
		st, b = send(t, e.signed(t, e.t2, "POST", "/v1/push", mixed, time.Now()))
		wantError(t, st, b, 401, "auth_foreign_record")

		if got := e.ids(t, ""); len(got) != 0 {
			t.Fatalf("refused pushes stored %v", got)
		}

		// A replay of an accepted request: refused, nothing more stored.
		good := e.signed(t, e.t1, "POST", "/v1/push", recsBody(e.t1, 0, 2), time.Now())
		again, _ := http.NewRequest("POST", good.URL.String(), bytes.NewReader(recsBody(e.t1, 0, 2)))
		again.Header = good.Header.Clone()
		if st, b := send(t, good); st != 200 {
			t.Fatalf("%d %s", st, b)
		}
		st, b = send(t, again)
		wantError(t, st, b, 401, "auth_replay")
		if got := e.ids(t, ""); len(got) != 2 {
			t.Fatalf("after a replay: %v", got)
		}

		// An unknown protocol version is not a bad signature: 426 names what is spoken.
		req = e.signed(t, e.t1, "POST", "/v1/push", body, time.Now())
		req.Header.Set(protocol.HeaderProtocol, "2")
		st, b = send(t, req)
		if pe := wantError(t, st, b, 426, "protocol_unsupported"); !slices.Equal(pe.Supported, []int{1}) {
			t.Fatalf("supported: %v", pe.Supported)
		}
	})
}

func recsBody(c protocol.Credentials, from, to int) []byte {
	b, _ := json.Marshal(protocol.Batch{Records: recs(c, from, to, 1)})
	return b
}

func TestPush_BadInputRefused(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		push := func(body []byte) (int, []byte) {
			return send(t, e.signed(t, e.t1, "POST", "/v1/push", body, time.Now()))
		}
		st, b := push([]byte(`{"records":[{"terminal":`))
		wantError(t, st, b, 400, "bad_json")
		st, b = push([]byte("\x00\xffnot json"))
		wantError(t, st, b, 400, "bad_json")

		unknown := bytes.Replace(recsBody(e.t1, 0, 3), []byte(`"version":1`), []byte(`"version":1,"schema":7`), 1)
		st, b = push(unknown)
		if pe := wantError(t, st, b, 400, "unknown_field"); !slices.Equal(pe.Fields, []string{"schema"}) {
			t.Fatalf("fields %v", pe.Fields)
		}
		st, b = push(bytes.Replace(recsBody(e.t1, 0, 3), []byte(`"version":1`), []byte(`"version":0`), 1))
		wantError(t, st, b, 400, "bad_record")

		st, b = push(recsBody(e.t1, 0, protocol.MaxRecords+1))
		wantError(t, st, b, 413, "too_many_records")

		huge := append(recsBody(e.t1, 0, 1), bytes.Repeat([]byte(" "), protocol.MaxBodyBytes)...)
		st, b = push(huge)
		wantError(t, st, b, 413, "too_large")

		// Garbage from someone who cannot sign is a 401, before it is parsed.
		st, b = e.raw(t, "POST", "/v1/push", map[string]string{protocol.HeaderProtocol: "1"}, []byte("garbage"))
		wantError(t, st, b, 401, "auth_missing")

		if got := e.ids(t, ""); len(got) != 0 {
			t.Fatalf("bad input stored %v", got)
		}
	})
}

func TestPull_CursorInOrderAndResumes(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		ctx := context.Background()
		var puts []MasterPut
		for i := 0; i < 25; i++ {
			puts = append(puts, MasterPut{Topic: "products", ID: fmt.Sprintf("p%02d", i), Payload: json.RawMessage(fmt.Sprintf(`{"price":%d}`, 100+i))})
			if i%5 == 0 {
				puts = append(puts, MasterPut{Topic: "prices", ID: fmt.Sprintf("x%02d", i), Payload: json.RawMessage(`{}`)})
			}
		}
		for _, part := range [][]MasterPut{puts[:7], puts[7:20], puts[20:]} {
			if _, err := e.st.Publish(ctx, part, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		pull := func(cursor int64, limit int) protocol.PullPage {
			t.Helper()
			st, b := send(t, e.signed(t, e.t2, "GET", fmt.Sprintf("/v1/pull?topic=products&cursor=%d&limit=%d", cursor, limit), nil, time.Now()))
			var p protocol.PullPage
			if st != 200 || json.Unmarshal(b, &p) != nil {
				t.Fatalf("%d %s", st, b)
			}
			return p
		}
		var got []string
		cursor, pages := int64(0), 0
		for {
			p := pull(cursor, 10)
			pages++
			for _, it := range p.Items {
				if it.Cursor <= cursor {
					t.Fatalf("cursor %d after %d", it.Cursor, cursor)
				}
				cursor = it.Cursor
				got = append(got, it.ID)
			}
			if p.Next != cursor {
				t.Fatalf("next %d, last item %d", p.Next, cursor)
			}
			if !p.More {
				break
			}
		}
		var want []string
		for i := 0; i < 25; i++ {
			want = append(want, fmt.Sprintf("p%02d", i))
		}
		if !slices.Equal(got, want) || pages != 3 {
			t.Fatalf("%d pages: %v", pages, got)
		}
		// Nothing new: an empty page that keeps the cursor.
		if p := pull(cursor, 10); len(p.Items) != 0 || p.More || p.Next != cursor {
			t.Fatalf("%+v", p)
		}
		// A change and a deletion come again, after the cursor, in the order made.
		if _, err := e.st.Publish(ctx, []MasterPut{{Topic: "products", ID: "p03", Payload: json.RawMessage(`{"price":1}`)}, {Topic: "products", ID: "p01", Deleted: true}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		p := pull(cursor, 10)
		if len(p.Items) != 2 || p.Items[0].ID != "p03" || p.Items[1].ID != "p01" || !p.Items[1].Deleted || p.Items[1].Payload != nil {
			t.Fatalf("%+v", p.Items)
		}
		var price struct{ Price int }
		if err := json.Unmarshal(p.Items[0].Payload, &price); err != nil || price.Price != 1 {
			t.Fatalf("payload %s", p.Items[0].Payload)
		}

		for _, q := range []string{"topic=orders&cursor=0", "topic=products&cursor=-1", "topic=products&cursor=x", "topic=products&cursor=0&limit=0", "topic=products&cursor=0&colour=red"} {
			st, b := send(t, e.signed(t, e.t2, "GET", "/v1/pull?"+q, nil, time.Now()))
			if st != 400 {
				t.Fatalf("%s: %d %s", q, st, b)
			}
		}
		// The query is signed: a cursor changed in flight is refused.
		req := e.signed(t, e.t2, "GET", "/v1/pull?topic=products&cursor=0", nil, time.Now())
		req.URL.RawQuery = "topic=products&cursor=5"
		st, b := send(t, req)
		wantError(t, st, b, 401, "auth_signature")
	})
}

func TestEnrol_CodeIsOneTimeAndExpires(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		ctx := context.Background()
		now := time.Now()
		code, err := e.st.NewEnrolCode(ctx, "S2", now, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		hdr := map[string]string{protocol.HeaderProtocol: "1"}
		body := []byte(`{"code":"` + code + `"}`)
		if st, b := e.raw(t, "POST", "/v1/enrol", hdr, body); st != 200 {
			t.Fatalf("%d %s", st, b)
		}
		st, b := e.raw(t, "POST", "/v1/enrol", hdr, body)
		wantError(t, st, b, 401, "enrol_refused")

		old, _ := e.st.NewEnrolCode(ctx, "S2", now.Add(-2*time.Hour), now.Add(-time.Hour))
		st, b = e.raw(t, "POST", "/v1/enrol", hdr, []byte(`{"code":"`+old+`"}`))
		wantError(t, st, b, 401, "enrol_refused")
		st, b = e.raw(t, "POST", "/v1/enrol", hdr, []byte(`{"code":"AAAA-BBBB-CCCC-DDDD"}`))
		wantError(t, st, b, 401, "enrol_refused")
		st, b = e.raw(t, "POST", "/v1/enrol", hdr, []byte(`{"code":"x","pin":1}`))
		wantError(t, st, b, 400, "unknown_field")
		st, b = e.raw(t, "POST", "/v1/enrol", nil, body)
		wantError(t, st, b, 400, "protocol_missing")

		st, b = e.raw(t, "GET", "/v1/health", nil, nil)
		var h protocol.Health
		if st != 200 || json.Unmarshal(b, &h) != nil || h.Status != "ok" || !slices.Equal(h.Protocols, []int{1}) {
			t.Fatalf("%d %s", st, b)
		}
		st, b = e.raw(t, "GET", "/v1/nothing", nil, nil)
		wantError(t, st, b, 404, "not_found")
	})
}

func TestNonces_ExpiredAreCleaned(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		st := open(t)
		ctx := context.Background()
		now := time.Now()
		for i, exp := range []time.Time{now.Add(-time.Minute), now.Add(-time.Second), now.Add(time.Minute)} {
			fresh, err := st.Remember(ctx, "t", fmt.Sprintf("nonce-%02d-aaaaaaaaaa", i), exp)
			if err != nil || !fresh {
				t.Fatal(fresh, err)
			}
		}
		if fresh, err := st.Remember(ctx, "t", "nonce-02-aaaaaaaaaa", now.Add(time.Hour)); err != nil || fresh {
			t.Fatal("a held nonce was taken as fresh", err)
		}
		if n, err := st.CleanNonces(ctx, now); err != nil || n != 2 {
			t.Fatalf("cleaned %d: %v", n, err)
		}
		// The live one is still held.
		if fresh, _ := st.Remember(ctx, "t", "nonce-02-aaaaaaaaaa", now.Add(time.Hour)); fresh {
			t.Fatal("a live nonce was cleaned")
		}
		// Migrations run once: opening again changes nothing and fails on nothing.
		open(t)
	})
}

func TestSealKey_WrongKeyOpensNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	st, err := OpenSQLite(context.Background(), path, sealKey)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := &env{st: st}
	srv := httptest.NewServer(New(st, Options{}))
	defer srv.Close()
	e.url = srv.URL
	c := e.enrol(t, "S1")
	other, err := OpenSQLite(context.Background(), path, bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.TerminalSecret(context.Background(), c.Terminal); err == nil {
		t.Fatal("a secret opened under another key")
	}
	if _, err := OpenSQLite(context.Background(), path, []byte("short")); err == nil {
		t.Fatal("a short seal key was accepted")
	}
}

// A batch is one transaction: a record the database refuses half-way (here a version
// the schema's CHECK refuses, past the handler's validation) leaves nothing of it.
func TestIngest_AllOrNothing(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		st := open(t)
		c := protocol.Credentials{Terminal: "t-1"}
		batch := recs(c, 0, 50, 1)
		bad := recs(c, 0, 1, 1)[0]
		bad.ID, bad.Version = "zzz-last", 0
		if _, err := st.Ingest(context.Background(), append(batch, bad), time.Now()); err == nil {
			t.Fatal("a record with version 0 was stored")
		}
		if rs, err := st.Records(context.Background(), ""); err != nil || len(rs) != 0 {
			t.Fatalf("a failed batch left %d records: %v", len(rs), err)
		}
		if res, err := st.Ingest(context.Background(), batch, time.Now()); err != nil || res.Applied != 50 {
			t.Fatalf("%+v %v", res, err)
		}
	})
}

func TestSealer_BoundToTerminal(t *testing.T) {
	s, err := newSealer(sealKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.seal([]byte("secret"), "t-a")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.open(sealed, "t-a"); err != nil || string(got) != "secret" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := s.open(sealed, "t-b"); err == nil {
		t.Fatal("a sealed secret opened for another terminal")
	}
	if _, err := s.open(sealed[:5], "t-a"); err == nil {
		t.Fatal("a truncated seal opened")
	}
}
