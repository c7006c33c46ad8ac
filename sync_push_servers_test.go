package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/internal/pgtest"
	"cashier/localdb"
	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
)

// spAlternate sends each batch to the next back-office process in turn,
// as a load balancer without affinity does.
type spAlternate struct {
	cs []*client.Client
	n  atomic.Int64
}

func (a *spAlternate) Push(ctx context.Context, recs []protocol.Record) (protocol.PushResult, error) {
	return a.cs[int(a.n.Add(1))%len(a.cs)].Push(ctx, recs)
}

// Two pos backoffice serve processes share one PostgreSQL; ten terminals
// push to both at once, each batch to the other process than the one
// before, and each terminal pushes its queue twice at the same time (a
// second run racing the first, as after a kill nobody saw). The back
// office ends with every record of every terminal once, at its version.
func TestSyncPush_TwoServersTenTerminals(t *testing.T) {
	if testing.Short() {
		t.Skip("child processes")
	}
	keyFile, key := spKey(t)
	name := pgtest.NewDatabase(t)
	st, err := server.OpenPostgres(context.Background(), pgtest.DSN(name), key)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, a := spServe(t, pgtest.URL(name), keyFile, "127.0.0.1:0")
	_, b := spServe(t, pgtest.URL(name), keyFile, "127.0.0.1:0")

	type terminal struct {
		db    *localdb.DB
		c     *client.Client
		total int
	}
	terms := make([]terminal, 10)
	for i := range terms {
		db := spTerminalDB(t, filepath.Join(t.TempDir(), "pos.db"))
		total := spWriteSales(t, db, fmt.Sprintf("T%02d-", i), 400, time.Now().Add(-time.Hour), time.Second)
		c := spEnrol(t, db, st, a)
		terms[i] = terminal{db, c, total}
	}

	var wg sync.WaitGroup
	errs := make(chan error, 2*len(terms))
	for _, tm := range terms {
		cb := *tm.c
		cb.URL = b
		for k := 0; k < 2; k++ {
			alt := &spAlternate{cs: []*client.Client{tm.c, &cb}}
			alt.n.Store(int64(k))
			p := &client.Pusher{Sender: alt, Terminal: tm.c.Terminal, Outbox: syncOutbox{tm.db},
				Limits: client.Limits{Records: 150, Bytes: client.DefaultLimits.Bytes, RecordBytes: client.DefaultLimits.RecordBytes}}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := p.Run(context.Background())
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	sum := 0
	for _, tm := range terms {
		assert.Equal(t, tm.total, spSameRecords(t, tm.db, st, tm.c.Terminal), tm.c.Terminal)
		sum += tm.total
	}
	all, err := st.Records(context.Background(), "")
	require.NoError(t, err)
	assert.Len(t, all, sum, "every record once, nothing else")
}
