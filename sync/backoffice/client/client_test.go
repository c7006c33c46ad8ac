package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
)

func backOffice(t *testing.T) (server.Store, *httptest.Server) {
	t.Helper()
	key := make([]byte, 32)
	st, err := server.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "bo.db"), key)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	ts := httptest.NewServer(server.New(st, server.Options{}))
	t.Cleanup(ts.Close)
	return st, ts
}

func enrolled(t *testing.T, st server.Store, url string) *client.Client {
	t.Helper()
	ctx := context.Background()
	code, err := st.NewEnrolCode(ctx, "S01", time.Now(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	qr, _ := json.Marshal(protocol.EnrolQR{V: 1, URL: url, Code: code})
	u, c, err := client.ParseEnrolQR(string(qr))
	require.NoError(t, err)
	en, err := client.Enrol(ctx, nil, u, c, "counter 1")
	require.NoError(t, err)
	assert.Equal(t, "S01", en.Store)
	secret, err := base64.StdEncoding.DecodeString(en.Secret)
	require.NoError(t, err)
	return &client.Client{URL: u, Terminal: en.Terminal, Secret: secret}
}

func TestClient_EnrolPushPull(t *testing.T) {
	st, ts := backOffice(t)
	c := enrolled(t, st, ts.URL)
	ctx := context.Background()
	rec := protocol.Record{Terminal: c.Terminal, Topic: "orders", ID: "orders:1", Version: 1, Payload: json.RawMessage(`{"_table":"orders","id":1}`)}
	res, err := c.Push(ctx, []protocol.Record{rec})
	require.NoError(t, err)
	assert.Equal(t, protocol.PushResult{Accepted: 1, Applied: 1}, res)
	res, err = c.Push(ctx, []protocol.Record{rec})
	require.NoError(t, err)
	assert.Equal(t, protocol.PushResult{Accepted: 1, Unchanged: 1}, res)

	_, err = st.Publish(ctx, []server.MasterPut{{Topic: "prices", ID: "p-1", Payload: json.RawMessage(`{"price":100}`)}}, time.Now())
	require.NoError(t, err)
	page, err := c.Pull(ctx, "prices", 0, 10)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "p-1", page.Items[0].ID)
	assert.False(t, page.More)
}

// Refusals are not retried (the same bytes would be refused again); answers
// that are not the back office speaking are.
func TestClient_ErrorsSayWhetherToRetry(t *testing.T) {
	st, ts := backOffice(t)
	c := enrolled(t, st, ts.URL)
	ctx := context.Background()

	bad := *c
	bad.Secret = []byte("not the secret")
	_, err := bad.Push(ctx, []protocol.Record{{Terminal: c.Terminal, Topic: "orders", ID: "x", Version: 1, Payload: json.RawMessage(`{}`)}})
	var e *client.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 401, e.Status)
	assert.Equal(t, "auth_signature", e.Code)
	assert.False(t, client.Retryable(err))

	skewed := *c
	skewed.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	_, err = skewed.Pull(ctx, "prices", 0, 0)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "auth_clock", e.Code)

	_, err = c.Push(ctx, []protocol.Record{{Terminal: c.Terminal, Topic: "nonsense", ID: "x", Version: 1, Payload: json.RawMessage(`{}`)}})
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "unknown_topic", e.Code)
	assert.False(t, e.Retry)

	for name, h := range map[string]http.HandlerFunc{
		"5xx": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(503)
			fmt.Fprint(w, `{"code":"internal","message":"internal error"}`)
		},
		"html": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(502)
			fmt.Fprint(w, `<html>bad gateway</html>`)
		},
		"garbage": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"accepted":`) },
		"short":   func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"accepted":0}`) },
	} {
		t.Run(name, func(t *testing.T) {
			bogus := httptest.NewServer(h)
			defer bogus.Close()
			b := *c
			b.URL = bogus.URL
			_, err := b.Push(ctx, []protocol.Record{{Terminal: c.Terminal, Topic: "orders", ID: "x", Version: 1, Payload: json.RawMessage(`{}`)}})
			require.Error(t, err)
			assert.True(t, client.Retryable(err), "%v", err)
		})
	}

	down := *c
	down.URL = "http://127.0.0.1:1"
	_, err = down.Pull(ctx, "prices", 0, 0)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "network", e.Code)
	assert.True(t, e.Retry)
}

func TestEnrol_RefusedCodeAndBadInput(t *testing.T) {
	_, ts := backOffice(t)
	_, err := client.Enrol(context.Background(), nil, ts.URL, "AAAA-BBBB-CCCC-DDDD", "x")
	var e *client.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "enrol_refused", e.Code)
	assert.False(t, e.Retry)

	for _, s := range []string{"", "hello", "AAAA-BBBB-CCCC", "AAAA-BBBB-CCCC-DDD1", `{"v":2,"url":"http://x","code":"AAAABBBBCCCCDDDD"}`,
		`{"v":1,"url":"ftp://x","code":"AAAABBBBCCCCDDDD"}`, `{"v":1,"url":"http://x"}`, `{"v":1,`} {
		_, _, err := client.ParseEnrolQR(s)
		assert.ErrorIs(t, err, client.ErrBadEnrolQR, "%q", s)
	}
	u, c, err := client.ParseEnrolQR(" aaaa bbbb-cccc-dddd ")
	require.NoError(t, err)
	assert.Equal(t, "", u)
	assert.Equal(t, "AAAA-BBBB-CCCC-DDDD", c)
}

func TestBackoff_GrowsAndIsCapped(t *testing.T) {
	assert.Zero(t, client.Backoff(0))
	for i := 0; i < 200; i++ {
		d := client.Backoff(1)
		assert.True(t, d >= 12*time.Second && d <= 18*time.Second, "%v", d)
		d = client.Backoff(3)
		assert.True(t, d >= 48*time.Second && d <= 72*time.Second, "%v", d)
		d = client.Backoff(50)
		assert.True(t, d >= 12*time.Minute && d <= 18*time.Minute, "%v", d)
	}
}

func TestNextTry_StableAndSpread(t *testing.T) {
	last := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, last, client.NextTry(last, 0, "t-1"))
	a := client.NextTry(last, 2, "t-0000000000000001")
	assert.Equal(t, a, client.NextTry(last, 2, "t-0000000000000001"), "the same state, the same answer")
	assert.True(t, a.Sub(last) >= 24*time.Second && a.Sub(last) <= 36*time.Second, "%v", a.Sub(last))
	spread := map[time.Time]bool{}
	for i := 0; i < 20; i++ {
		spread[client.NextTry(last, 2, fmt.Sprintf("t-%016x", i))] = true
	}
	assert.Greater(t, len(spread), 10, "terminals that failed together come back apart")
	assert.True(t, client.NextTry(last, 99, "t-1").Sub(last) <= 18*time.Minute)
}
