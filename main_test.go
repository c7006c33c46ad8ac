package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// runCLI runs a command in English (the tests read its words).
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"--lang", "en"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI_UnknownCommandPrintsUsageAndExits2(t *testing.T) {
	code, _, stderr := runCLI("frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "Unknown command")
	require.Contains(t, stderr, "db")
}

func TestCLI_Version(t *testing.T) {
	code, out, _ := runCLI("version")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(out, "pos "))
}

func TestCLI_DBMigrateCheckBackup(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runCLI("--data-dir", dir, "db", "migrate")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "created")
	code, out, _ = runCLI("--data-dir", dir, "db", "migrate")
	require.Equal(t, 0, code)
	require.Contains(t, out, "already at version")
	code, out, stderr = runCLI("db", "check", "--data-dir", dir)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "integrity: ok")
	code, out, stderr = runCLI("--data-dir", dir, "db", "backup")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, filepath.Join(dir, "backups"))
	code, _, _ = runCLI("--data-dir", dir, "db", "explode")
	require.Equal(t, 2, code)
	code, _, _ = runCLI("--data-dir", dir, "db")
	require.Equal(t, 2, code)
}

func TestCLI_DBCheckOnCorruptFileNamesBackupAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := runCLI("--data-dir", dir, "db", "migrate")
	require.Equal(t, 0, code)
	code, _, _ = runCLI("--data-dir", dir, "db", "backup")
	require.Equal(t, 0, code)
	garbage := bytes.Repeat([]byte("not a database "), 500)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pos.db"), garbage, 0o600))
	os.Remove(filepath.Join(dir, "pos.db-wal"))
	os.Remove(filepath.Join(dir, "pos.db-shm"))
	code, _, stderr := runCLI("--data-dir", dir, "db", "check")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "damaged")
	require.Contains(t, stderr, "backups")
	code, _, stderr = runCLI("--data-dir", dir, "db", "migrate")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "Nothing was overwritten")
	after, err := os.ReadFile(filepath.Join(dir, "pos.db"))
	require.NoError(t, err)
	require.Equal(t, garbage, after)

	// The offer: restore the newest backup; the damaged file is kept.
	code, out, stderr := runCLI("--data-dir", dir, "db", "restore")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "kept as")
	kept, err := filepath.Glob(filepath.Join(dir, "pos.db.damaged-*"))
	require.NoError(t, err)
	require.Len(t, kept, 1)
	moved, err := os.ReadFile(kept[0])
	require.NoError(t, err)
	require.Equal(t, garbage, moved)
	code, out, _ = runCLI("--data-dir", dir, "db", "check")
	require.Equal(t, 0, code)
	require.Contains(t, out, "integrity: ok")
}

func TestCLI_MissingDatabaseForCheck(t *testing.T) {
	code, _, stderr := runCLI("--data-dir", t.TempDir(), "db", "check")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "not found")
}

func TestCLI_Config(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runCLI("--data-dir", dir, "config", "set", "printer.port", "tcp:192.168.1.50:9100")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "printer.port=tcp:192.168.1.50:9100")
	code, out, _ = runCLI("--data-dir", dir, "config", "get", "printer.port")
	require.Equal(t, 0, code)
	require.Equal(t, "tcp:192.168.1.50:9100\n", out)
	code, _, stderr = runCLI("--data-dir", dir, "config", "set", "printer.width", "76")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "unchanged")
	code, _, _ = runCLI("--data-dir", dir, "config", "set", "printer.port", "bogus:thing")
	require.Equal(t, 2, code)
	code, _, _ = runCLI("--data-dir", dir, "config", "set", "no.such.key", "1")
	require.Equal(t, 2, code)
	code, out, _ = runCLI("--data-dir", dir, "config", "list")
	require.Equal(t, 0, code)
	require.Contains(t, out, "speaker.module=")
}
