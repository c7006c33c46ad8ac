package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/localdb"
	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
)

// spDemoFolder is a new demo data folder (store, till, demo staff).
func spDemoFolder(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{DataDir: dir, Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	s.Close()
	return dir
}

// spWithDB runs fn on the folder's database while no command has it.
func spWithDB(t testing.TB, dir string, fn func(db *localdb.DB)) {
	t.Helper()
	db, err := localdb.Open(dbPath(dir))
	require.NoError(t, err)
	defer db.Close()
	fn(db)
}

// spBackOffice is a back office on a SQLite file behind a loopback server.
func spBackOffice(t testing.TB) (server.Store, *httptest.Server) {
	t.Helper()
	st, err := server.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "bo.db"), make([]byte, 32))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	ts := httptest.NewServer(server.New(st, server.Options{}))
	t.Cleanup(ts.Close)
	return st, ts
}

func spCode(t testing.TB, st server.Store) string {
	t.Helper()
	code, err := st.NewEnrolCode(context.Background(), "S01", time.Now(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	return code
}

var spTerminalRE = regexp.MustCompile(`terminal (t-[0-9a-f]+)`)

// pos sync enrol binds the folder with the QR's text (the demo manager on
// a demo folder), status says how it stands, push sends everything with a
// line per batch; the back office then holds exactly the folder's records.
func TestSyncCLI_EnrolStatusPush(t *testing.T) {
	st, ts := spBackOffice(t)
	dir := spDemoFolder(t)
	spWithDB(t, dir, func(db *localdb.DB) { spWriteSales(t, db, "C", 400, time.Now().Add(-time.Hour), time.Second) })

	rc, out, errs := runCmd(t, nil, "sync", "status", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "back office: not enrolled")
	assert.Regexp(t, `unsynced records: \d{4} \(the oldest since `, out)
	assert.Contains(t, out, "last push that worked: never")

	rc, out, errs = runCmd(t, nil, "sync", "push", "--data-dir", dir)
	assert.Equal(t, exitFailed, rc, out+errs)
	assert.Contains(t, errs, "not enrolled with a back office")

	qr, _ := json.Marshal(protocol.EnrolQR{V: 1, URL: ts.URL, Code: strings.ToLower(spCode(t, st))})
	rc, out, errs = runCmd(t, nil, "sync", "enrol", "--data-dir", dir, "--qr", string(qr))
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "enrolled with the back office at "+ts.URL)
	m := spTerminalRE.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	terminal := m[1]

	rc, out, errs = runCmd(t, nil, "sync", "status", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "back office: "+ts.URL+" (terminal "+terminal+", store S01")

	rc, out, errs = runCmd(t, nil, "sync", "push", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Regexp(t, `\d{4} records to push to `+regexp.QuoteMeta(ts.URL), out)
	assert.Contains(t, out, "batch 1: 1000 of ")
	assert.Contains(t, out, "batch 3: ")
	assert.Regexp(t, `pushed (\d+) \(new (\d+), already held 0\); 0 still unsynced`, out)
	spWithDB(t, dir, func(db *localdb.DB) {
		n := spSameRecords(t, db, st, terminal)
		assert.Greater(t, n, 2000)
		ss, err := db.SyncState(context.Background(), localdb.SyncPush)
		require.NoError(t, err)
		assert.False(t, ss.LastOK.IsZero())
		assert.Empty(t, ss.LastError)
	})

	rc, out, errs = runCmd(t, nil, "sync", "status", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "unsynced records: 0, everything is pushed")
	assert.NotContains(t, out, "last push that worked: never")

	// Nothing new: a push sends nothing.
	rc, out, errs = runCmd(t, nil, "sync", "push", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "pushed 0 (new 0, already held 0); 0 still unsynced")

	// A spent code is refused by the back office; the enrolment stays.
	rc, out, errs = runCmd(t, nil, "sync", "enrol", "--data-dir", dir, "--qr", string(qr))
	assert.Equal(t, exitFailed, rc, out+errs)
	assert.Contains(t, errs, "enrol_refused")
	assert.Contains(t, errs, "ask the administrator")
	spWithDB(t, dir, func(db *localdb.DB) {
		p, ok, err := db.SyncPeer(context.Background())
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, terminal, p.Terminal)
	})

	// A typed code and the address: a new enrolment replaces the old one.
	rc, out, errs = runCmd(t, nil, "sync", "enrol", "--data-dir", dir, "--url", ts.URL, "--code", spCode(t, st))
	require.Equal(t, exitOK, rc, out+errs)
	m = spTerminalRE.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.NotEqual(t, terminal, m[1])
	spWithDB(t, dir, func(db *localdb.DB) {
		rows, err := db.ListAudit(context.Background(), localdb.AuditFilter{Action: "backoffice_enrol", Limit: 10})
		require.NoError(t, err)
		assert.Len(t, rows, 2, "each enrolment audited")
	})

	// Chinese by default.
	rc, out, _ = runCmdLang(t, nil, "", "sync", "status", "--data-dir", dir)
	require.Equal(t, exitOK, rc)
	assert.Contains(t, out, "后台：")
}

// Bad command lines are refused before anything is opened or written.
func TestSyncCLI_BadInput(t *testing.T) {
	dir := spDemoFolder(t)
	for _, args := range [][]string{
		{"sync"},
		{"sync", "frobnicate"},
		{"sync", "enrol"},
		{"sync", "enrol", "--url", "http://127.0.0.1:1"},
		{"sync", "enrol", "--code", "ABCD-EFGH-JKLM-NPQR"},                                                     // no address
		{"sync", "enrol", "--code", "ABCD-EFGH", "--url", "http://127.0.0.1:1"},                                // short code
		{"sync", "enrol", "--code", "ABCD-EFGH-JKLM-NPQR", "--url", "ftp://h"},                                 // not http
		{"sync", "enrol", "--code", "ABCD-EFGH-JKLM-NPQR", "--qr", "ABCD-EFGH-JKLM-NPQR"},                      // both
		{"sync", "enrol", "--qr", `{"v":2,"url":"http://h","code":"ABCDEFGHJKLMNPQR"}`},                        // unknown QR version
		{"sync", "enrol", "--qr", "hello"},                                                                     // not a QR
		{"sync", "enrol", "--code", `{"v":1,"url":"http://h","code":"ABCDEFGHJKLMNPQR"}`, "--url", "http://h"}, // a QR is not a code
		{"sync", "push", "extra"},
		{"sync", "status", "extra"},
	} {
		rc, out, errs := runCmd(t, nil, append(args, "--data-dir", dir)...)
		assert.Equal(t, exitUsage, rc, "%v: %s%s", args, out, errs)
	}
	spWithDB(t, dir, func(db *localdb.DB) {
		_, ok, err := db.SyncPeer(context.Background())
		require.NoError(t, err)
		assert.False(t, ok, "nothing enrolled")
	})
	// A back office that is not there: the enrolment fails and says why.
	rc, _, errs := runCmd(t, nil, "sync", "enrol", "--data-dir", dir, "--code", "ABCD-EFGH-JKLM-NPQR", "--url", "http://"+spFreeAddr(t))
	assert.Equal(t, exitFailed, rc)
	assert.Contains(t, errs, "cannot reach the back office")
}

// While the app holds the folder, push is refused with a hint (the app
// pushes itself); status reads beside it.
func TestSyncCLI_LockedFolder(t *testing.T) {
	dir := spDemoFolder(t)
	lock, err := localdb.LockDir(dir, "pos gui")
	require.NoError(t, err)
	defer lock.Release()
	rc, out, errs := runCmd(t, nil, "sync", "push", "--data-dir", dir)
	assert.Equal(t, exitLocked, rc, out+errs)
	assert.Contains(t, errs, "it pushes on its schedule")
	rc, out, errs = runCmd(t, nil, "sync", "status", "--data-dir", dir)
	assert.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "back office:")
}
