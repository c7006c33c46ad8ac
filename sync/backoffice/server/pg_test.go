package server

import (
	"context"
	"database/sql"
	"fmt"
	"net"
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
)

// One throwaway PostgreSQL cluster per test binary, started on first use and removed
// by TestMain; each test gets a database of its own.
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

func TestMain(m *testing.M) {
	code := m.Run()
	stopPG()
	os.Exit(code)
}

// pgBinDir finds the newest /usr/lib/postgresql/<v>/bin, else initdb on PATH.
func pgBinDir() (string, error) {
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

// asPG runs a PostgreSQL tool, as the postgres user when we are root (the server
// refuses to run as root).
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

func startPG() error {
	bin, err := pgBinDir()
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
	pg.admin, err = sql.Open("pgx", pgDSN("postgres"))
	if err != nil {
		return err
	}
	return pg.admin.Ping()
}

func stopPG() {
	if pg.dir == "" {
		return
	}
	if pg.admin != nil {
		pg.admin.Close()
	}
	_ = asPG(pg.dir, "pg_ctl", "-D", filepath.Join(pg.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(pg.dir)
}

func pgDSN(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", pg.port, db)
}

// pgDatabase returns the DSN of a fresh database in the shared cluster.
func pgDatabase(t testing.TB) string {
	t.Helper()
	pg.once.Do(func() { pg.err = startPG() })
	if pg.err != nil {
		t.Fatalf("PostgreSQL for the tests: %v", pg.err)
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
	return pgDSN(name)
}
