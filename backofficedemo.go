package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"cashier/app"
	"cashier/localdb"
	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/server"
)

// BackofficeDir is where a demo folder keeps its embedded back office: its
// SQLite database and seal key.
func BackofficeDir(dataDir string) string { return filepath.Join(dataDir, "backoffice") }

// ErrDemoBackoffice: the embedded back office of a demo folder did not start.
var ErrDemoBackoffice = app.NewError("sync.demo_failed")

// startDemoBackoffice serves the demo folder's own back office on a free
// loopback port for as long as the services live, and binds the terminal to
// it: enrolled at the first start, its address brought up to date at every
// later one (the port changes). A terminal bound to a real back office is
// left alone: then nothing starts here.
func (s *Services) startDemoBackoffice(ctx context.Context) error {
	peer, enrolled, err := s.DB.SyncPeer(ctx)
	if err != nil {
		return err
	}
	if enrolled && !peer.Demo {
		return nil
	}
	dir := BackofficeDir(s.Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ErrDemoBackoffice.Wrap(err)
	}
	key, err := sealKey(filepath.Join(dir, "backoffice.key"), true)
	if err != nil {
		return ErrDemoBackoffice.Wrap(err)
	}
	st, err := server.OpenSQLite(ctx, filepath.Join(dir, "backoffice.db"), key)
	if err != nil {
		return ErrDemoBackoffice.Wrap(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return ErrDemoBackoffice.Wrap(err)
	}
	srv := &http.Server{Handler: server.New(st, server.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	s.onClose(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		st.Close()
	})
	url := "http://" + ln.Addr().String()
	s.DemoBackoffice = url
	if enrolled {
		return s.DB.SetSyncPeerURL(ctx, url)
	}
	store, err := s.DB.CurrentStore(ctx)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	code, err := st.NewEnrolCode(ctx, store.Code, now, now.Add(time.Minute))
	if err != nil {
		return ErrDemoBackoffice.Wrap(err)
	}
	en, err := client.Enrol(ctx, nil, url, code, store.Name)
	if err != nil {
		return ErrDemoBackoffice.Wrap(err)
	}
	if _, err := base64.StdEncoding.DecodeString(en.Secret); err != nil {
		return ErrDemoBackoffice.Wrap(errors.New("enrolment secret is not base64"))
	}
	return s.DB.SetSyncPeer(ctx, localdb.SyncPeer{URL: url, Terminal: en.Terminal, StoreCode: en.Store,
		Secret: en.Secret, Demo: true, EnrolledAt: now}, auditEnrolment(now, 0, url, en.Terminal, true))
}

// auditEnrolment is the audit line of binding this terminal to a back office.
func auditEnrolment(at time.Time, staffID int64, url, terminal string, demo bool) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		return localdb.InsertAudit(context.Background(), tx, app.AuditEntry{At: at, StaffID: staffID, Action: "backoffice_enrol",
			Subject: terminal, Detail: fmt.Sprintf("url=%s demo=%t", url, demo)})
	}
}

// demoBackofficeForCLI starts the demo folder's back office for one
// command (pos sync push|pull): the app's own lives only while the app
// runs, on a port of its own. Nothing happens on a terminal bound to a
// real back office or not bound at all.
func (s *Services) demoBackofficeForCLI(ctx context.Context) error {
	if s.DemoBackoffice != "" {
		return nil
	}
	peer, ok, err := s.DB.SyncPeer(ctx)
	if err != nil || !ok || !peer.Demo {
		return err
	}
	return s.startDemoBackoffice(ctx)
}
