package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/localdb"
	"cashier/localdb/fxcatalog"
)

// BenchmarkColdStart: the real binary under Xvfb, from process start to
// its login window (the app's own "login window shown N ms" line), on a
// demo data folder (the baseline) and on the same folder holding
// 1,000,000 products (target < 1 s). The million products are added to
// the demo store through the catalogue's writes once per process (~2 min).
//
//	go test -tags migrated_fynedo,sqlite_fts5 -run '^$' -bench ColdStart -benchtime 3x .
func BenchmarkColdStart(b *testing.B) {
	if _, err := exec.LookPath("xvfb-run"); err != nil {
		b.Skip("xvfb-run not installed (make deps installs it)")
	}
	built := builtBinary()
	require.NoError(b, built.err, built.out)
	demo := b.TempDir()
	coldStart(b, built.bin, demo) // the first start seeds the demo folder
	b.Run("Demo", func(b *testing.B) { benchColdStart(b, built.bin, demo) })

	big := b.TempDir()
	coldStart(b, built.bin, big)
	db, err := localdb.Open(filepath.Join(big, "pos.db"))
	require.NoError(b, err)
	ctx := context.Background()
	st, err := db.CurrentStore(ctx)
	require.NoError(b, err)
	require.NoError(b, fxcatalog.Fill(ctx, db, st.ID, 1000, 1_000_000))
	require.NoError(b, db.Close())
	b.Run("Products1M", func(b *testing.B) { benchColdStart(b, built.bin, big) })
}

func benchColdStart(b *testing.B, bin, dir string) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		total += coldStart(b, bin, dir)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "window-ms")
}

var windowShown = regexp.MustCompile(`login window shown (\d+) ms`)

// coldStart starts the app on dir and returns when it reports its login
// window, then stops it.
func coldStart(b *testing.B, bin, dir string) time.Duration {
	b.Helper()
	cmd := exec.Command("xvfb-run", "-a", "-s", "-screen 0 1024x768x24", bin, "--data-dir", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stop xvfb-run, Xvfb and the app together
	stderr, err := cmd.StderrPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	exited := make(chan struct{})
	defer func() {
		// The next start needs the folder's lock: xvfb-run ends after the
		// app; then nothing of the group (Xvfb) may linger.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}()
	found := make(chan time.Duration, 1)
	go func() {
		defer func() { cmd.Wait(); close(exited) }()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := windowShown.FindStringSubmatch(sc.Text()); m != nil {
				ms, _ := strconv.Atoi(m[1])
				found <- time.Duration(ms) * time.Millisecond
				io.Copy(io.Discard, stderr) // until the app ends
				return
			}
		}
		close(found)
	}()
	select {
	case d, ok := <-found:
		require.True(b, ok, "the app ended before showing its login window")
		return d
	case <-time.After(2 * time.Minute):
		b.Fatalf("no login window after 2 minutes (%s)", os.Args[0])
	}
	return 0
}
