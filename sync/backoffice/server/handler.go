// Package server is the back office's HTTP side of the sync protocol (docs/sync.md):
// the handler and its Store on SQLite (one shop) or PostgreSQL (a chain, several
// server processes on one database).
package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"cashier/sync/backoffice/protocol"
)

// Options tune a Handler; the zero value is usable.
type Options struct {
	// Now is the server's clock (time.Now when nil).
	Now func() time.Time
	// Log receives internal errors (slog.Default when nil).
	Log *slog.Logger
	// CleanEvery is how often expired nonces are dropped (1 minute when zero).
	CleanEvery time.Duration
	// Zone is the chain view's time zone: its "today" and the times it shows
	// (time.Local when nil).
	Zone *time.Location
	// ViewPassword opens the chain view (GET /, /chain, /v1/reports/summary) to any
	// client that gives it with Basic auth as user "view"; empty keeps the view to
	// clients on this machine.
	ViewPassword []byte
}

// Handler serves /v1/push, /v1/pull, /v1/enrol and /v1/health.
type Handler struct {
	store     Store
	now       func() time.Time
	log       *slog.Logger
	every     time.Duration
	lastClean atomic.Int64
	mux       *http.ServeMux
}

// New returns the handler over store.
func New(store Store, o Options) *Handler {
	h := &Handler{store: store, now: o.Now, log: o.Log, every: o.CleanEvery, mux: http.NewServeMux()}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.every == 0 {
		h.every = time.Minute
	}
	h.mux.HandleFunc("POST /v1/push", h.push)
	h.mux.HandleFunc("GET /v1/pull", h.pull)
	h.mux.HandleFunc("POST /v1/enrol", h.enrol)
	h.mux.HandleFunc("GET /v1/health", h.health)
	h.chainRoutes(o)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, &protocol.Error{Status: http.StatusNotFound, Code: "not_found", Message: r.Method + " " + r.URL.Path + " is not served"})
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(protocol.HeaderProtocol, strconv.Itoa(protocol.Version))
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers a *protocol.Error as itself and anything else as a 500 whose details
// stay in the log.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	var e *protocol.Error
	if !errors.As(err, &e) {
		h.log.Error("backoffice", "err", err)
		e = &protocol.Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	h.reply(w, e.Status, e)
}

func (h *Handler) body(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, protocol.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &protocol.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "body is over " + strconv.Itoa(protocol.MaxBodyBytes) + " bytes"}
	}
	if err != nil {
		return nil, &protocol.Error{Status: http.StatusBadRequest, Code: "bad_body", Message: "body could not be read"}
	}
	return b, nil
}

// authenticate reads the body and verifies the signature and nonce.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (string, []byte, error) {
	b, err := h.body(w, r)
	if err != nil {
		return "", nil, err
	}
	now := h.now()
	h.maybeClean(r.Context(), now)
	term, err := protocol.Verify(r.Context(), r, b, h.store.TerminalSecret, now, h.store)
	return term, b, err
}

// maybeClean drops expired nonces at most once per interval per process; a
// failure is only logged (a stale nonce row refuses nothing the window would accept).
func (h *Handler) maybeClean(ctx context.Context, now time.Time) {
	last := h.lastClean.Load()
	if now.UnixNano()-last < int64(h.every) || !h.lastClean.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := h.store.CleanNonces(ctx, now); err != nil {
		h.log.Warn("backoffice: cleaning nonces", "err", err)
	}
}

func (h *Handler) push(w http.ResponseWriter, r *http.Request) {
	term, body, err := h.authenticate(w, r)
	if err != nil {
		h.fail(w, err)
		return
	}
	batch, err := protocol.DecodeBatch(body)
	if err != nil {
		h.fail(w, err)
		return
	}
	for i, rec := range batch.Records {
		if rec.Terminal != term {
			h.fail(w, &protocol.Error{Status: http.StatusUnauthorized, Code: "auth_foreign_record",
				Message: "record " + strconv.Itoa(i) + " belongs to another terminal", Fields: []string{"terminal"}})
			return
		}
	}
	res, err := h.store.Ingest(r.Context(), batch.Records, h.now())
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, res)
}

func (h *Handler) pull(w http.ResponseWriter, r *http.Request) {
	if _, _, err := h.authenticate(w, r); err != nil {
		h.fail(w, err)
		return
	}
	q := r.URL.Query()
	for k := range q {
		if k != "topic" && k != "cursor" && k != "limit" {
			h.fail(w, &protocol.Error{Status: http.StatusBadRequest, Code: "unknown_field", Message: "unknown query parameter " + strconv.Quote(k), Fields: []string{k}})
			return
		}
	}
	topic := q.Get("topic")
	if !slices.Contains(protocol.MasterTopics, topic) {
		h.fail(w, &protocol.Error{Status: http.StatusBadRequest, Code: "unknown_topic", Message: "topic " + strconv.Quote(topic) + " is not master data", Fields: []string{"topic"}})
		return
	}
	cursor, err := strconv.ParseInt(q.Get("cursor"), 10, 64)
	if err != nil || cursor < 0 {
		h.fail(w, &protocol.Error{Status: http.StatusBadRequest, Code: "bad_cursor", Message: "cursor must be a number from 0", Fields: []string{"cursor"}})
		return
	}
	limit := protocol.MaxPull
	if l := q.Get("limit"); l != "" {
		limit, err = strconv.Atoi(l)
		if err != nil || limit < 1 || limit > protocol.MaxPull {
			h.fail(w, &protocol.Error{Status: http.StatusBadRequest, Code: "bad_limit", Message: "limit must be 1-" + strconv.Itoa(protocol.MaxPull), Fields: []string{"limit"}})
			return
		}
	}
	// One more than asked tells whether another page waits.
	items, err := h.store.Pull(r.Context(), topic, cursor, limit+1)
	if err != nil {
		h.fail(w, err)
		return
	}
	page := protocol.PullPage{Topic: topic, Items: items, Next: cursor}
	if len(items) > limit {
		page.Items, page.More = items[:limit], true
	}
	if n := len(page.Items); n > 0 {
		page.Next = page.Items[n-1].Cursor
	}
	h.reply(w, http.StatusOK, page)
}

func (h *Handler) enrol(w http.ResponseWriter, r *http.Request) {
	if e := protocol.CheckProtocol(r.Header); e != nil {
		h.fail(w, e)
		return
	}
	body, err := h.body(w, r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var req protocol.EnrolRequest
	if err := protocol.DecodeStrict(body, &req); err != nil {
		h.fail(w, err)
		return
	}
	if req.Code == "" || len(req.Code) > 64 || len(req.Name) > protocol.MaxIDLen {
		h.fail(w, &protocol.Error{Status: http.StatusBadRequest, Code: "bad_enrol", Message: "code is required (at most 64 characters), name at most 128", Fields: []string{"code"}})
		return
	}
	en, err := h.store.Enrol(r.Context(), req.Code, req.Name, h.now())
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, en)
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	h.reply(w, http.StatusOK, protocol.Health{Status: "ok", Protocols: protocol.Supported})
}
