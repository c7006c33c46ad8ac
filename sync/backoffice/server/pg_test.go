package server

import (
	"os"
	"testing"

	"cashier/internal/pgtest"
)

// One throwaway PostgreSQL cluster per test binary (internal/pgtest),
// started on first use and removed by TestMain; each test gets a database of its own.

func TestMain(m *testing.M) {
	code := m.Run()
	stopPG()
	os.Exit(code)
}

// pgBinDir finds the PostgreSQL server tools.
func pgBinDir() (string, error) { return pgtest.BinDir() }

// startPG starts the shared cluster (once).
func startPG() error { return pgtest.Start() }

// stopPG stops and removes the cluster.
func stopPG() { pgtest.Stop() }

// pgDSN is the DSN of database db in the cluster.
func pgDSN(db string) string { return pgtest.DSN(db) }

// pgDatabase returns the DSN of a fresh database in the shared cluster.
func pgDatabase(t testing.TB) string { return pgtest.Database(t) }
