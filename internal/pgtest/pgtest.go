// Package pgtest starts one throwaway PostgreSQL cluster per test binary
// for the back office's tests (Debian's postgresql package, which make deps
// installs): initdb in a temporary folder, the server on a free loopback
// port with fsync off, every test a database of its own. PostgreSQL refuses
// to run as root, so as root the tools run as the postgres user. The
// cluster is stopped and removed by Stop (a TestMain calls it) or, when
// the test binary dies or has no such TestMain, by a detached watchdog that
// waits for the binary's process to end.
//
// Only tests import it.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

var pg struct {
	once  sync.Once
	err   error
	bin   string
	dir   string
	port  int
	admin *sql.DB
	n     atomic.Int64
	mu    sync.Mutex // CREATE DATABASE copies template1 one at a time
}

// BinDir finds the newest /usr/lib/postgresql/<v>/bin, else pg_ctl on PATH.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("PostgreSQL server tools (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH: run `make deps` (installs Debian's postgresql)")
}

// asPG runs a PostgreSQL tool, as the postgres user when we are root.
func asPG(dir string, name string, args ...string) error {
	bin := filepath.Join(pg.bin, name)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// Start starts the cluster once per test binary; later calls return the
// first one's error.
func Start() error {
	pg.once.Do(func() { pg.err = start() })
	return pg.err
}

func start() error {
	bin, err := BinDir()
	if err != nil {
		return err
	}
	pg.bin = bin
	dir, err := os.MkdirTemp("", "pos-pg-")
	if err != nil {
		return err
	}
	pg.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root needs the postgres user (run `make deps`): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	data := filepath.Join(dir, "data")
	if err := asPG(dir, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	pg.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", pg.port, dir)
	if err := asPG(dir, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		return err
	}
	watchdog(dir, data)
	pg.admin, err = sql.Open("pgx", DSN("postgres"))
	if err != nil {
		return err
	}
	return pg.admin.Ping()
}

// Stop stops the cluster and removes its folder (nothing when none started).
func Stop() {
	if pg.dir == "" {
		return
	}
	if pg.admin != nil {
		pg.admin.Close()
	}
	_ = asPG(pg.dir, "pg_ctl", "-D", filepath.Join(pg.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(pg.dir)
}

// DSN is the key=value DSN of database db in the cluster.
func DSN(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", pg.port, db)
}

// URL is database db's postgres:// URL (what pos backoffice --db takes).
func URL(db string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(pg.port)),
		Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// NewDatabase creates a fresh database in the cluster (started on first
// use) and returns its name; the test fails when PostgreSQL cannot run.
func NewDatabase(t testing.TB) string {
	t.Helper()
	if err := Start(); err != nil {
		t.Fatalf("PostgreSQL for the tests: %v", err)
	}
	name := fmt.Sprintf("t%d", pg.n.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pg.mu.Lock()
	_, err := pg.admin.ExecContext(ctx, "CREATE DATABASE "+name)
	pg.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// Database returns the DSN of a fresh database in the shared cluster.
func Database(t testing.TB) string { return DSN(NewDatabase(t)) }
