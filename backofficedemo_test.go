package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/jobs"
	"cashier/sync/backoffice/server"
)

// make run's folder: the embedded back office starts with the app, the
// terminal is enrolled with it once (marked demo), what the folder holds
// goes up with one sync, and the next start finds the same terminal at the
// back office's new address.
func TestDemoBackoffice_EnrolledAtFirstStartAndSynced(t *testing.T) {
	ctx := context.Background()
	dir := demoFolder(t)
	open := func() *Services {
		s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true, Payments: true, Jobs: true})
		require.NoError(t, err)
		require.NoError(t, s.Start(ctx))
		return s
	}
	s := open()
	require.NotEmpty(t, s.DemoBackoffice)
	peer, ok, err := s.DB.SyncPeer(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, peer.Demo)
	assert.Equal(t, s.DemoBackoffice, peer.URL)
	for _, name := range []string{jobs.NamePush, jobs.NamePull} {
		_, err := s.Jobs.Status(name)
		assert.NoError(t, err, name)
	}

	before, err := s.DB.Unsynced(ctx)
	require.NoError(t, err)
	require.Positive(t, before, "the demo data waits to go up")
	require.NoError(t, s.Sync.SyncNow(ctx, nil, nil))
	left, err := s.DB.Unsynced(ctx)
	require.NoError(t, err)
	assert.Zero(t, left)
	st, err := syncScreens{b: s.Sync}.Status(ctx)
	require.NoError(t, err)
	assert.NoError(t, st.LastError)
	assert.False(t, st.LastPush.IsZero())
	assert.False(t, st.LastPull.IsZero())
	terminal, firstURL := peer.Terminal, peer.URL
	s.Close()

	key, err := sealKey(filepath.Join(BackofficeDir(dir), "backoffice.key"), false)
	require.NoError(t, err)
	bo, err := server.OpenSQLite(ctx, filepath.Join(BackofficeDir(dir), "backoffice.db"), key)
	require.NoError(t, err)
	held, err := bo.Records(ctx, terminal)
	require.NoError(t, err)
	assert.EqualValues(t, before, len(held), "every record once")
	require.NoError(t, bo.Close())

	s = open()
	defer s.Close()
	peer, _, err = s.DB.SyncPeer(ctx)
	require.NoError(t, err)
	assert.Equal(t, terminal, peer.Terminal, "enrolled once")
	assert.Equal(t, s.DemoBackoffice, peer.URL)
	assert.NotEqual(t, firstURL, peer.URL, "a new port at every start")
	_, _, err = s.Sync.PushWait(ctx, nil)
	require.NoError(t, err)
}

// pos sync push|pull on a demo folder reach its back office without the
// app running: the command starts it for itself.
func TestDemoBackoffice_CLIReachesIt(t *testing.T) {
	ctx := context.Background()
	dir := demoFolder(t)
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true, Payments: true, Jobs: true})
	require.NoError(t, err)
	require.NoError(t, s.Start(ctx))
	s.Close()
	rc, out, errs := runCmd(t, nil, "sync", "push", "--data-dir", dir)
	require.Equal(t, exitOK, rc, "%s\n%s", out, errs)
	rc, out, errs = runCmd(t, nil, "sync", "pull", "--data-dir", dir)
	require.Equal(t, exitOK, rc, "%s\n%s", out, errs)
	rc, out, errs = runCmd(t, nil, "sync", "status", "--data-dir", dir)
	require.Equal(t, exitOK, rc, "%s\n%s", out, errs)
	t.Log(out)
}

// A pull that changes something tells the open screens (SignalTerminal):
// a receipt footer set in the back office reaches Settings and the next
// receipt without a restart.
func TestDemoBackoffice_PullTellsTheScreens(t *testing.T) {
	ctx := context.Background()
	dir := demoFolder(t)
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true, Payments: true, Jobs: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Start(ctx))
	told := make(chan struct{}, 8)
	defer s.Signals.Subscribe(app.SignalTerminal, func(any) { told <- struct{}{} })()

	items := filepath.Join(t.TempDir(), "items.jsonl")
	require.NoError(t, os.WriteFile(items, []byte(`{"topic":"settings","id":"*/receipt.footer","payload":{"value":"总部通知：周末八折"}}`+"\n"), 0o600))
	rc, out, errs := runCmd(t, nil, "backoffice", "publish", "--db", filepath.Join(BackofficeDir(dir), "backoffice.db"), "--file", items)
	require.Equal(t, exitOK, rc, "%s\n%s", out, errs)

	require.NoError(t, s.Sync.SyncNow(ctx, nil, nil))
	select {
	case <-told:
	case <-time.After(10 * time.Second):
		t.Fatal("no SignalTerminal after a pull that changed the footer")
	}
	store, err := s.DB.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, "总部通知：周末八折", store.ReceiptFooter)
}
