package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/localdb"
	"cashier/sync/backoffice/client"
)

// One run at a time: 立即同步 waits for the job's push under way, and a
// person who gives up while waiting gets their context's error, not a
// second run beside the first.
func TestBackofficeSync_OneRunAtATime(t *testing.T) {
	ctx := context.Background()
	s := embedded(t)
	require.NoError(t, s.DB.SetSyncPeer(ctx, localdb.SyncPeer{URL: "http://127.0.0.1:1", Terminal: "t-0000000000000001",
		StoreCode: "S01", Secret: "c2VjcmV0", EnrolledAt: time.Now()}, nil))
	started, release := make(chan struct{}), make(chan struct{})
	runs := 0
	b := &backofficeSync{db: s.DB, clock: s.Clock, running: make(chan struct{}, 1),
		push: func(ctx context.Context, _ *client.Client, _ PushProgress) (int, int, error) {
			runs++
			if runs == 1 {
				close(started)
				<-release
			}
			return 1, 0, nil
		}}
	first := make(chan error, 1)
	go func() { _, _, err := b.PushWait(ctx, nil); first <- err }()
	<-started

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, _, err := b.PushWait(short, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	second := make(chan error, 1)
	go func() { _, _, err := b.PushWait(ctx, nil); second <- err }()
	close(release)
	require.NoError(t, <-first)
	select {
	case err := <-second:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting push never ran")
	}
	assert.Equal(t, 2, runs, "the given-up push never ran")
}
