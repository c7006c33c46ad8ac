package localdb_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/localdb"
)

const (
	fxCrashDBEnv    = "POSCASHIER_CRASH_CHILD_DB"
	fxCrashRoundEnv = "POSCASHIER_CRASH_CHILD_ROUND"
	fxCrashRounds   = 20
)

// TestCrashChild is not a test on its own: TestCrashSafety runs this test
// binary again with it selected and the environment set. It commits sales
// (5 lines and a payment intent each, one db.Write per sale) until it is
// killed, and prints each order number only after Write has returned, i.e.
// after the commit was acknowledged.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(fxCrashDBEnv)
	if path == "" {
		t.Skip("helper process of TestCrashSafety")
	}
	round := os.Getenv(fxCrashRoundEnv)
	ctx := context.Background()
	db, err := localdb.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	fmt.Println("READY")
	for i := 0; ; i++ {
		o := fxOrder(fmt.Sprintf("K%s-%06d", round, i), time.Now())
		if err := db.Write(ctx, func(tx *sql.Tx) error { return fxInsertPaidOrder(ctx, tx, o) }); err != nil {
			fmt.Fprintln(os.Stderr, "child write:", err)
			os.Exit(4)
		}
		fmt.Println("COMMITTED", o.OrderNo)
	}
}

// fxChildRun is one child: the order numbers it acknowledged, and how it ended.
type fxChildRun struct {
	acked  []string
	stderr string
	ready  bool
}

func fxRunAndKill(t *testing.T, path string, round int, delay time.Duration) fxChildRun {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fxCrashDBEnv+"="+path, fmt.Sprintf("%s=%02d", fxCrashRoundEnv, round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var mu sync.Mutex
	var run fxChildRun
	ready := make(chan struct{})
	eof := make(chan struct{})
	go func() {
		defer close(eof)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil { // a line cut off by the kill has no '\n': not acknowledged
				io.Copy(io.Discard, r)
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "READY":
				close(ready)
			case strings.HasPrefix(line, "COMMITTED "):
				mu.Lock()
				run.acked = append(run.acked, strings.TrimPrefix(line, "COMMITTED "))
				mu.Unlock()
			}
		}
	}()
	select {
	case <-ready:
		run.ready = true
		time.Sleep(delay)
	case <-eof:
	case <-time.After(20 * time.Second):
	}
	_ = cmd.Process.Kill() // SIGKILL on Unix: no deferred code, no flush, no close
	<-eof
	werr := cmd.Wait()
	run.stderr = stderr.String()
	require.True(t, run.ready, "round %d: child never got ready (wait: %v)\nstderr:\n%s", round, werr, run.stderr)
	// On Windows Kill is TerminateProcess, which looks like an exit.
	if ee, ok := werr.(*exec.ExitError); !ok || (ee.Exited() && runtime.GOOS != "windows") {
		t.Fatalf("round %d: child ended by itself, not by the kill (%v)\nstderr:\n%s", round, werr, run.stderr)
	}
	return run
}

// TestCrashSafety kills a process that is committing sales with SIGKILL at
// random moments, 20 times on the same file, and checks after each kill
// that the file is sound, every acknowledged sale is there in full, and no
// sale is there in part. (SIGKILL tests process death; power loss
// additionally relies on synchronous=FULL, which TestPragmasOnWriterAndReaders checks.)
func TestCrashSafety(t *testing.T) {
	if os.Getenv(fxCrashDBEnv) != "" {
		t.Skip("inside the crash child")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pos.db")
	db, err := localdb.Open(path)
	require.NoError(t, err)
	fxSeed(t, db)
	require.NoError(t, db.Close())

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed>>7))
	t.Logf("delay seed %d", seed)

	acked := map[string]bool{}
	unacked := 0 // sales committed but killed before the child printed them
	start := time.Now()
	for round := 0; round < fxCrashRounds; round++ {
		delay := 20*time.Millisecond + time.Duration(rng.Int64N(int64(280*time.Millisecond)))
		run := fxRunAndKill(t, path, round, delay)
		for _, no := range run.acked {
			acked[no] = true
		}

		db, err := localdb.Open(path)
		require.NoError(t, err, "round %d: reopen after kill", round)
		ic, err := db.IntegrityCheck(ctx)
		require.NoError(t, err)
		require.Equal(t, "ok", ic, "round %d: integrity_check after kill at %v", round, delay)

		// Every order in the file, with its line count, line sum and intent.
		rows, err := db.Read().QueryContext(ctx, `SELECT o.order_no, o.payable,
			(SELECT count(*) FROM order_line l WHERE l.order_id = o.id),
			(SELECT COALESCE(sum(amount), -1) FROM order_line l WHERE l.order_id = o.id),
			(SELECT count(*) FROM payment_intent p WHERE p.order_id = o.id AND p.out_trade_no = o.order_no AND p.amount = o.payable)
			FROM orders o`)
		require.NoError(t, err)
		inFile := map[string]bool{}
		for rows.Next() {
			var no string
			var payable, lines, sum, intents int64
			require.NoError(t, rows.Scan(&no, &payable, &lines, &sum, &intents))
			inFile[no] = true
			require.EqualValues(t, 5, lines, "round %d: order %s has %d lines: a sale committed in part", round, no, lines)
			require.Equal(t, payable, sum, "round %d: order %s lines do not add up", round, no)
			require.EqualValues(t, 1, intents, "round %d: order %s has no matching payment intent", round, no)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		for no := range acked {
			require.True(t, inFile[no], "round %d: acknowledged order %s is lost", round, no)
		}
		// At most one sale per kill can be committed without having been
		// printed (killed between the commit and the print).
		unacked = len(inFile) - len(acked)
		require.GreaterOrEqual(t, unacked, 0)
		require.LessOrEqual(t, unacked, round+1, "round %d: more unacknowledged orders than kills", round)
		require.NoError(t, db.Close())
		t.Logf("round %2d: killed after %3d ms, %3d acknowledged this round, %4d orders in file", round,
			delay.Milliseconds(), len(run.acked), len(inFile))
	}
	// The test proves nothing unless sales were really being committed when
	// the kills came.
	require.Greater(t, len(acked), fxCrashRounds, "too few sales were committed to mean anything")
	t.Logf("%d rounds, %d acknowledged sales, %d committed but unacknowledged, %v", fxCrashRounds, len(acked), unacked, time.Since(start).Round(time.Millisecond))
}
