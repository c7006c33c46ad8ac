package localdb_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/localdb"
)

func TestSyncPeerAndState(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	_, ok, err := db.SyncPeer(ctx)
	require.NoError(t, err)
	assert.False(t, ok)

	at := time.UnixMilli(time.Now().UnixMilli())
	p := localdb.SyncPeer{URL: "http://127.0.0.1:8700", Terminal: "t-0123456789abcdef", StoreCode: "S01", Secret: "c2VjcmV0", EnrolledAt: at}
	require.NoError(t, db.SetSyncPeer(ctx, p, nil))
	got, ok, err := db.SyncPeer(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, p, got)

	s, err := db.SyncState(ctx, localdb.SyncPush)
	require.NoError(t, err)
	assert.Equal(t, localdb.SyncState{}, s)
	require.NoError(t, db.RecordSyncResult(ctx, localdb.SyncPush, at, errors.New("503 internal")))
	require.NoError(t, db.RecordSyncResult(ctx, localdb.SyncPush, at.Add(time.Second), errors.New("network")))
	s, err = db.SyncState(ctx, localdb.SyncPush)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Failures)
	assert.Equal(t, "network", s.LastError)
	assert.True(t, s.LastOK.IsZero())
	require.NoError(t, db.RecordSyncResult(ctx, localdb.SyncPush, at.Add(2*time.Second), nil))
	s, err = db.SyncState(ctx, localdb.SyncPush)
	require.NoError(t, err)
	assert.Equal(t, localdb.SyncState{LastOK: at.Add(2 * time.Second), LastTry: at.Add(2 * time.Second)}, s)

	// A new enrolment replaces the old and starts the backoff afresh.
	require.NoError(t, db.RecordSyncResult(ctx, localdb.SyncPull, at, errors.New("x")))
	p.Terminal, p.Demo = "t-fedcba9876543210", true
	require.NoError(t, db.SetSyncPeer(ctx, p, nil))
	got, _, _ = db.SyncPeer(ctx)
	assert.Equal(t, p, got)
	s, _ = db.SyncState(ctx, localdb.SyncPull)
	assert.Zero(t, s.Failures)
}

// A backup onto a folder not made yet (pos db backup --out on a new USB
// folder) makes the folder, and never overwrites a file already there.
func TestBackup_MakesTheFolderAndKeepsAnExistingFile(t *testing.T) {
	ctx := context.Background()
	db := fxOpen(t)
	dest := filepath.Join(t.TempDir(), "usb", "pos-backups", "today.db")
	got, err := db.Backup(ctx, dest)
	require.NoError(t, err)
	assert.Equal(t, dest, got)
	_, err = os.Stat(dest)
	require.NoError(t, err)
	_, err = db.Backup(ctx, dest)
	assert.ErrorIs(t, err, localdb.ErrBackupExists)
}
