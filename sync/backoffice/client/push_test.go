package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
)

// fakeOutbox is the queue in memory, with localdb's rules: oldest first
// within the limits, marked sent only at the version read, held records
// skipped.
type fakeOutbox struct {
	mu   sync.Mutex
	recs []*fakeRec
}

type fakeRec struct {
	client.Pending
	sent     bool
	held     bool
	attempts int
	lastErr  string
}

func newFakeOutbox(n int, payload func(i int) string) *fakeOutbox {
	o := &fakeOutbox{}
	for i := 1; i <= n; i++ {
		p := fmt.Sprintf(`{"_table":"orders","id":%d}`, i)
		if payload != nil {
			p = payload(i)
		}
		o.recs = append(o.recs, &fakeRec{Pending: client.Pending{Ref: client.Ref{Seq: int64(i), Version: 1},
			Topic: "orders", ID: fmt.Sprintf("orders:%d", i), Payload: json.RawMessage(p)}})
	}
	return o
}

func (o *fakeOutbox) Pending(_ context.Context, lim client.Limits) ([]client.Pending, []client.Held, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []client.Pending
	var held []client.Held
	bytes := 0
	for _, r := range o.recs {
		if r.sent || r.held {
			continue
		}
		if len(r.Payload) > lim.RecordBytes {
			r.held = true
			held = append(held, client.Held{Ref: r.Ref, Topic: r.Topic, ID: r.ID, Bytes: len(r.Payload)})
			continue
		}
		size := len(r.Payload) + len(r.ID) + len(r.Topic) + 128
		if len(out) == lim.Records || (len(out) > 0 && bytes+size > lim.Bytes) {
			break
		}
		bytes += size
		out = append(out, r.Pending)
	}
	return out, held, nil
}

func (o *fakeOutbox) find(ref client.Ref) *fakeRec {
	for _, r := range o.recs {
		if r.Seq == ref.Seq {
			return r
		}
	}
	return nil
}

func (o *fakeOutbox) MarkSent(_ context.Context, refs []client.Ref, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ref := range refs {
		if r := o.find(ref); r != nil && r.Version == ref.Version {
			r.sent, r.lastErr = true, ""
			r.attempts++
		}
	}
	return nil
}

func (o *fakeOutbox) MarkFailed(_ context.Context, refs []client.Ref, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ref := range refs {
		if r := o.find(ref); r != nil && !r.sent {
			r.attempts++
			r.lastErr = reason
		}
	}
	return nil
}

func (o *fakeOutbox) Hold(_ context.Context, ref client.Ref, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r := o.find(ref); r != nil && r.Version == ref.Version {
		r.held, r.lastErr = true, reason
	}
	return nil
}

func (o *fakeOutbox) Unsynced(context.Context) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var n int64
	for _, r := range o.recs {
		if !r.sent {
			n++
		}
	}
	return n, nil
}

// state: the ids sent, the ids pending and each pending one's last error.
func (o *fakeOutbox) state() (sent, pending []string, errs map[string]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	errs = map[string]string{}
	for _, r := range o.recs {
		if r.sent {
			sent = append(sent, r.ID)
		} else {
			pending = append(pending, r.ID)
			errs[r.ID] = r.lastErr
		}
	}
	return sent, pending, errs
}

func heldIDs(t *testing.T, st server.Store, terminal string) []string {
	t.Helper()
	recs, err := st.Records(context.Background(), terminal)
	require.NoError(t, err)
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	return ids
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// The pusher drains the queue in batches within the limits; the back
// office ends holding every record once and the queue has nothing left.
func TestPusher_DrainsTheOutbox(t *testing.T) {
	st, ts := backOffice(t)
	c := enrolled(t, st, ts.URL)
	ob := newFakeOutbox(2500, nil)
	var progress []client.PushProgress
	p := client.NewPusher(c, ob)
	p.Progress = func(pp client.PushProgress) { progress = append(progress, pp) }
	res, err := p.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2500, res.Pushed)
	assert.Equal(t, 3, res.Batches, "1,000 a batch")
	assert.Equal(t, 2500, res.Applied)
	assert.EqualValues(t, 2500, res.Total)
	assert.Zero(t, res.Remaining)
	require.Len(t, progress, 4, "the start and each batch")
	assert.Equal(t, client.PushProgress{Total: 2500}, progress[0])
	assert.Equal(t, 1000, progress[1].Pushed)
	assert.Equal(t, 2500, progress[3].Pushed)
	sent, pending, _ := ob.state()
	assert.Empty(t, pending)
	assert.Equal(t, sorted(sent), heldIDs(t, st, c.Terminal))

	// Pushed again (a kill before the marks): unchanged, still once each.
	ob2 := newFakeOutbox(2500, nil)
	res, err = client.NewPusher(c, ob2).Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2500, res.Unchanged)
	assert.Len(t, heldIDs(t, st, c.Terminal), 2500)

	// The byte limit cuts batches too.
	ob3 := newFakeOutbox(50, func(i int) string { return fmt.Sprintf(`{"_table":"orders","id":%d,"x":"%0500d"}`, 10000+i, 0) })
	for _, r := range ob3.recs {
		r.ID = fmt.Sprintf("orders:%d", 10000+r.Seq)
	}
	p = client.NewPusher(c, ob3)
	p.Limits = client.Limits{Records: 1000, Bytes: 8000, RecordBytes: 1 << 20}
	res, err = p.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 50, res.Pushed)
	assert.Equal(t, 5, res.Batches, "11 records of 683 bytes a batch")
}

// proxy forwards to the back office but answers 413 for bodies of more
// than maxRecords records, or holding the record tooBig.
func proxy(t *testing.T, target http.Handler, maxRecords int, tooBig string, pushes *atomic.Int64) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.URL.Path == "/v1/push" {
			pushes.Add(1)
			var b protocol.Batch
			require.NoError(t, json.Unmarshal(body, &b))
			big := slices.ContainsFunc(b.Records, func(rec protocol.Record) bool { return rec.ID == tooBig })
			if len(b.Records) > maxRecords || big {
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				fmt.Fprint(w, `{"code":"too_large","message":"body is over the limit"}`)
				return
			}
		}
		target.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// A 413 splits the batch until it passes; a record refused alone is held
// (kept unsynced, the reason noted) and the records behind it still go.
func TestPusher_413SplitsAndHoldsARecordRefusedAlone(t *testing.T) {
	st, ts := backOffice(t)
	c := enrolled(t, st, ts.URL)
	var pushes atomic.Int64
	px := proxy(t, server.New(st, server.Options{}), 300, "orders:777", &pushes)
	cp := *c
	cp.URL = px.URL
	ob := newFakeOutbox(1000, nil)
	res, err := client.NewPusher(&cp, ob).Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 999, res.Pushed)
	assert.Equal(t, 1, res.Held)
	assert.EqualValues(t, 1, res.Remaining, "the held record is still unsynced")
	sent, pending, errs := ob.state()
	assert.Equal(t, []string{"orders:777"}, pending)
	assert.Contains(t, errs["orders:777"], "too large")
	assert.Equal(t, sorted(sent), heldIDs(t, st, c.Terminal))
	assert.Less(t, pushes.Load(), int64(40), "halving, not one by one")

	// Held: the next run does not try it again.
	before := pushes.Load()
	res, err = client.NewPusher(&cp, ob).Run(context.Background())
	require.NoError(t, err)
	assert.Zero(t, res.Pushed)
	assert.Equal(t, before, pushes.Load())
}

// A back office that answers 5xx, garbage, an HTML page, or nothing: the
// run stops with a retryable error, every record stays pending with the
// reason, nothing is marked sent; when it is back everything arrives once.
// A refusal (401) is returned as not retryable, with the same guarantees.
func TestPusher_BadAnswersLoseNothing(t *testing.T) {
	st, ts := backOffice(t)
	c := enrolled(t, st, ts.URL)
	ob := newFakeOutbox(1500, nil)
	ctx := context.Background()
	var mode atomic.Value
	mode.Store("ok")
	real := server.New(st, server.Options{})
	var served atomic.Int64
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The first batch of the test gets through, then the back office goes bad.
		if served.Add(1) == 1 {
			real.ServeHTTP(w, r)
			return
		}
		switch mode.Load() {
		case "5xx":
			w.WriteHeader(503)
			fmt.Fprint(w, `{"code":"internal","message":"internal error"}`)
		case "html":
			w.WriteHeader(502)
			fmt.Fprint(w, `<html><body>502 Bad Gateway</body></html>`)
		case "garbage":
			fmt.Fprint(w, `{"accepted":`)
		case "401":
			w.WriteHeader(401)
			fmt.Fprint(w, `{"code":"auth_signature","message":"signature does not match"}`)
		default:
			real.ServeHTTP(w, r)
		}
	}))
	defer flaky.Close()
	cf := *c
	cf.URL = flaky.URL

	for _, m := range []string{"5xx", "html", "garbage", "401"} {
		mode.Store(m)
		res, err := client.NewPusher(&cf, ob).Run(ctx)
		require.Error(t, err, m)
		assert.Equal(t, m != "401", client.Retryable(err), "%s: %v", m, err)
		sent, pending, errs := ob.state()
		assert.Len(t, sent, 1000, "%s: only the batch that got through", m)
		assert.EqualValues(t, len(pending), res.Remaining, m)
		if len(pending) > 0 {
			assert.Equal(t, err.Error(), errs[pending[0]], "%s: the reason is on the records", m)
		}
		assert.Equal(t, sorted(sent), heldIDs(t, st, c.Terminal), "%s: marked sent is exactly what the back office holds", m)
	}

	// Down: no answer at all.
	down := *c
	down.URL = "http://127.0.0.1:1"
	_, err := client.NewPusher(&down, ob).Run(ctx)
	require.Error(t, err)
	assert.True(t, client.Retryable(err))

	// Back: everything arrives, once.
	mode.Store("ok")
	res, err := client.NewPusher(&cf, ob).Run(ctx)
	require.NoError(t, err)
	assert.Zero(t, res.Remaining)
	sent, pending, _ := ob.state()
	assert.Empty(t, pending)
	assert.Len(t, sent, 1500)
	assert.Equal(t, sorted(sent), heldIDs(t, st, c.Terminal))
}

// A cancelled context stops the run between batches: what was accepted is
// marked, the rest stays pending.
func TestPusher_CancelStopsBetweenBatches(t *testing.T) {
	st, ts := backOffice(t)
	c := enrolled(t, st, ts.URL)
	ob := newFakeOutbox(3000, nil)
	ctx, cancel := context.WithCancel(context.Background())
	p := client.NewPusher(c, ob)
	p.Progress = func(pp client.PushProgress) {
		if pp.Batches == 1 {
			cancel()
		}
	}
	res, err := p.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, client.Retryable(err))
	assert.Equal(t, 1000, res.Pushed)
	assert.EqualValues(t, 2000, res.Remaining)
	sent, _, errs := ob.state()
	assert.Len(t, sent, 1000)
	for id, e := range errs {
		assert.Empty(t, e, "%s: a cancel is no failure of the back office", id)
	}
	assert.Equal(t, sorted(sent), heldIDs(t, st, c.Terminal))
}

// A record over the per-record limit is reported held by the queue and
// never sent; the others go.
func TestPusher_OversizeRecordHeldByTheQueue(t *testing.T) {
	st, ts := backOffice(t)
	c := enrolled(t, st, ts.URL)
	ob := newFakeOutbox(10, func(i int) string {
		if i == 3 {
			return fmt.Sprintf(`{"_table":"orders","id":3,"note":"%0*d"}`, protocol.MaxPayloadBytes, 0)
		}
		return fmt.Sprintf(`{"_table":"orders","id":%d}`, i)
	})
	var last client.PushProgress
	p := client.NewPusher(c, ob)
	p.Progress = func(pp client.PushProgress) { last = pp }
	res, err := p.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 9, res.Pushed)
	assert.Equal(t, 1, res.Held)
	assert.Equal(t, 1, last.Held)
	assert.EqualValues(t, 1, res.Remaining)
	assert.NotContains(t, heldIDs(t, st, c.Terminal), "orders:3")
}
