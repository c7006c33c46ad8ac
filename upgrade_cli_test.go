package main

// Upgrades, downgrades and read-only data folders as an installer meets
// them: through the real binary and the command line, in Chinese and
// English, and in the GUI's start-up. Migration numbers are read from the
// embedded set ("the latest", "the one before it"), never written here.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/localdb"
)

// upFolderAtPrevious is a data folder whose database the previous schema
// made (every embedded migration but the latest), with a language setting
// and one audit line.
func upFolderAtPrevious(t *testing.T) (dir string, prev, latest int) {
	t.Helper()
	ctx := context.Background()
	ms, err := localdb.LoadMigrations(localdb.Migrations())
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(ms), 2)
	old := fstest.MapFS{}
	for _, m := range ms[:len(ms)-1] {
		old[m.Name] = &fstest.MapFile{Data: []byte(m.SQL)}
	}
	dir = t.TempDir()
	path := dbPath(dir)
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	db, err := localdb.OpenExisting(path)
	require.NoError(t, err)
	_, err = db.Migrate(ctx, old, false)
	require.NoError(t, err)
	require.NoError(t, db.SetSetting(ctx, "language", "zh"))
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO setting(key, value, updated_at) VALUES ('printer.width', '80', 0)`)
		return err
	}))
	require.NoError(t, db.Close())
	return dir, ms[len(ms)-2].Version, ms[len(ms)-1].Version
}

// upRun runs the real binary; env adds to the environment.
func upRun(t *testing.T, env []string, name string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err, "%s %v", name, args)
	return 0, out.String(), errb.String()
}

// TestUpgradeCLI_OlderDatabaseBackedUpAndMigrated: the first command of a
// new version that opens the folder for writing backs the old database up
// (named for its version), migrates it, logs and audits it.
func TestUpgradeCLI_OlderDatabaseBackedUpAndMigrated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir, prev, latest := upFolderAtPrevious(t)

	// A read-only command neither migrates nor backs up.
	code, out, errs := upRun(t, nil, bin, "--lang", "en", "--data-dir", dir, "db", "check")
	require.Equal(t, exitOK, code, out+errs)
	assert.Contains(t, out, fmt.Sprintf("version: %d (latest %d)", prev, latest))
	assert.NoDirExists(t, localdb.BackupDir(dbPath(dir)))

	code, out, errs = upRun(t, nil, bin, "--lang", "en", "--data-dir", dir, "config", "set", "printer.width", "58")
	require.Equal(t, exitOK, code, out+errs)
	entries, err := os.ReadDir(localdb.BackupDir(dbPath(dir)))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	backup := filepath.Join(localdb.BackupDir(dbPath(dir)), entries[0].Name())
	assert.Regexp(t, `^pos-\d{8}T\d{6}\.\d{9}Z-v`+strconv.Itoa(prev)+`\.db$`, entries[0].Name())
	assert.Regexp(t, regexp.MustCompile(`INFO database upgraded path=\S+ from=`+strconv.Itoa(prev)+` to=`+strconv.Itoa(latest)+` backup=`+regexp.QuoteMeta(backup)), errs)

	code, out, errs = upRun(t, nil, bin, "--lang", "en", "--data-dir", dir, "db", "check")
	require.Equal(t, exitOK, code, out+errs)
	assert.Contains(t, out, fmt.Sprintf("version: %d (latest %d)", latest, latest))
	code, out, errs = upRun(t, nil, bin, "--lang", "en", "--data-dir", dir, "config", "get", "printer.width")
	require.Equal(t, exitOK, code, out+errs)
	assert.Equal(t, "58\n", out, "the setting kept across the upgrade and changed after it")

	code, out, errs = upRun(t, nil, bin, "--lang", "en", "--data-dir", dir, "audit", "list", "--action", "db_upgrade", "--format", "json")
	require.Equal(t, exitOK, code, out+errs)
	var rows []auditJSON
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 1)
	assert.Equal(t, fmt.Sprintf("from=%d to=%d backup=%s", prev, latest, backup), rows[0].Detail)

	// The backup is the old database, at the old version.
	bk, err := localdb.OpenExisting(backup)
	require.NoError(t, err)
	v, err := bk.Version(context.Background())
	require.NoError(t, err)
	w, err := bk.GetSetting(context.Background(), "printer.width", "")
	require.NoError(t, err)
	require.NoError(t, bk.Close())
	assert.Equal(t, prev, v)
	assert.Equal(t, "80", w)
}

// upNewerFolder is a data folder whose database a newer build has
// migrated (a schema_version row above the latest migration); with
// backup, the backup that newer build took before upgrading it from this
// build's version lies beside it.
func upNewerFolder(t *testing.T, backup bool) (dir, backupPath string, newer, latest int) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	path := dbPath(dir)
	db, err := localdb.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.SetSetting(ctx, "printer.width", "80"))
	latest, err = db.Version(ctx)
	require.NoError(t, err)
	if backup {
		backupPath = filepath.Join(localdb.BackupDir(path), fmt.Sprintf("pos-20250314T090000.000000000Z-v%d.db", latest))
		require.NoError(t, os.MkdirAll(filepath.Dir(backupPath), 0o700))
		_, err = db.Backup(ctx, backupPath)
		require.NoError(t, err)
	}
	newer = latest + 1
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO schema_version(version, name, applied_at) VALUES (?, 'from_a_newer_build.sql', 0)`, newer)
		return err
	}))
	require.NoError(t, db.Close())
	return dir, backupPath, newer, latest
}

// upState is every file of the data folder but the lock (which the
// refusing process may take) and SQLite's empty log and its index: name,
// size and checksum.
func upState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		st, err := d.Info()
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		if rel == localdb.LockFileName || rel == "pos.db-shm" || (rel == "pos.db-wal" && st.Size() == 0) {
			return nil
		}
		f, err := os.Open(p)
		require.NoError(t, err)
		defer f.Close()
		h := sha256.New()
		_, err = io.Copy(h, f)
		require.NoError(t, err)
		out[rel] = fmt.Sprintf("%d %s", st.Size(), hex.EncodeToString(h.Sum(nil)))
		return nil
	}))
	return out
}

// TestUpgradeCLI_NewerDatabaseRefused: an older binary on a newer
// database says so in words, exits 4 and changes nothing; the way back the
// message names (restore the backup with this binary) works.
func TestUpgradeCLI_NewerDatabaseRefused(t *testing.T) {
	dir, backup, newer, latest := upNewerFolder(t, true)
	before := upState(t, dir)
	want := map[string][]string{
		"en": {
			fmt.Sprintf("is at version %d, newer than this program supports (%d)", newer, latest),
			dbPath(dir), "nothing was changed", "Install that newer version again",
			`pos db restore --from "` + backup + `"`,
		},
		"zh": {
			fmt.Sprintf("的版本是 %d，比本程序支持的版本 %d 新", newer, latest),
			dbPath(dir), "未做任何修改", "请重新安装那个更新的版本",
			`pos db restore --from "` + backup + `"`,
		},
	}
	for _, lang := range []string{"zh", "en"} {
		for _, args := range [][]string{
			{"config", "set", "printer.width", "58"}, // a command that opens the folder to write
			{"db", "migrate"},
		} {
			code, out, errs := runCmdLang(t, nil, lang, append([]string{"--data-dir", dir}, args...)...)
			assert.Equal(t, exitNewer, code, "%s %v: %s", lang, args, errs)
			assert.Empty(t, out)
			for _, w := range want[lang] {
				assert.Contains(t, errs, w, "%s %v", lang, args)
			}
			assert.NotContains(t, errs, "Internal error")
			assert.NotContains(t, errs, "内部错误")
		}
	}
	assert.Equal(t, before, upState(t, dir), "not a byte written, no backup taken")

	// The process's own exit code, in the binary an installer runs.
	if !testing.Short() {
		bin := buildBinary(t)
		code, out, errs := upRun(t, nil, bin, "--lang", "zh", "--data-dir", dir, "config", "set", "printer.width", "58")
		assert.Equal(t, 4, code, out+errs)
		for _, w := range want["zh"] {
			assert.Contains(t, errs, w)
		}
		assert.Equal(t, before, upState(t, dir))
	}

	// Without a backup from before the upgrade, the message says so.
	noBackup, _, newer2, _ := upNewerFolder(t, false)
	code, _, errs := runCmdLang(t, nil, "en", "--data-dir", noBackup, "config", "set", "printer.width", "58")
	assert.Equal(t, exitNewer, code)
	assert.Contains(t, errs, fmt.Sprintf("is at version %d", newer2))
	assert.Contains(t, errs, localdb.BackupDir(dbPath(noBackup))+" holds no backup taken automatically before the upgrade")
	assert.Contains(t, errs, "pos db restore --from FILE")

	// The way back: restore the backup with this (older) binary.
	code, out, errs := runCmdLang(t, nil, "en", "--data-dir", dir, "db", "restore", "--from", backup)
	require.Equal(t, exitOK, code, out+errs)
	code, out, errs = runCmdLang(t, nil, "en", "--data-dir", dir, "config", "set", "printer.width", "58")
	require.Equal(t, exitOK, code, out+errs)
	code, out, _ = runCmdLang(t, nil, "en", "--data-dir", dir, "db", "check")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, fmt.Sprintf("version: %d (latest %d)", latest, latest))
	moved, _ := filepath.Glob(dbPath(dir) + ".damaged-*[0-9]Z")
	assert.Len(t, moved, 1, "the newer database is kept aside, not deleted")
}

// ---- read-only data folders ----

// upAsNobody prepares running the binary as user nobody when this
// process is root (root ignores permission bits): a copy of the binary
// and a folder both under a world-traversable directory. It returns how
// to run it and the folder to build data folders in; it skips when that
// cannot be done.
func upAsNobody(t *testing.T, bin string) (run func(args ...string) (int, string, string), top string, owner int) {
	t.Helper()
	top, err := os.MkdirTemp("", "pos-ro-*")
	require.NoError(t, err)
	t.Cleanup(func() {
		filepath.Walk(top, func(p string, _ os.FileInfo, _ error) error { os.Chmod(p, 0o700); return nil })
		os.RemoveAll(top)
	})
	require.NoError(t, os.Chmod(top, 0o755))
	if os.Geteuid() != 0 {
		return func(args ...string) (int, string, string) { return upRun(t, nil, bin, args...) }, top, os.Geteuid()
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root, which ignores permission bits, and setpriv (util-linux) is not there to run the binary as user nobody")
	}
	const nobody = 65534
	copyBin := filepath.Join(top, "pos")
	b, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(copyBin, b, 0o755))
	run = func(args ...string) (int, string, string) {
		return upRun(t, []string{"HOME=" + top}, setpriv, append([]string{fmt.Sprintf("--reuid=%d", nobody),
			fmt.Sprintf("--regid=%d", nobody), "--clear-groups", copyBin}, args...)...)
	}
	if code, out, errs := run("version"); code != 0 {
		t.Skipf("running as root, which ignores permission bits, and the binary cannot be run as user nobody: %d %s%s", code, out, errs)
	}
	return run, top, nobody
}

// upSetUpFolder makes a data folder with a database in it, owned by uid.
func upSetUpFolder(t *testing.T, parent, name string, uid int) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	require.NoError(t, os.Mkdir(dir, 0o755))
	db, err := localdb.Open(dbPath(dir))
	require.NoError(t, err)
	require.NoError(t, db.SetSetting(context.Background(), "printer.width", "80"))
	require.NoError(t, db.Close())
	if os.Geteuid() == 0 {
		require.NoError(t, filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Chown(p, uid, uid)
		}))
	}
	return dir
}

func TestReadOnlyDataFolderCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)

	// A folder on a read-only disk: a read-only bind mount of it in a
	// mount namespace of this test's own (gone when the command ends).
	t.Run("read-only disk", func(t *testing.T) {
		run := roDisk(t, bin)
		dir := upSetUpFolder(t, t.TempDir(), "data", os.Geteuid())
		before := upState(t, dir)
		for lang, want := range map[string]string{
			"en": "The data folder is not writable: " + dir,
			"zh": "数据目录不可写：" + dir,
		} {
			code, out, errs := run(dir, "--lang", lang, "--data-dir", dir, "config", "set", "printer.width", "58")
			assert.Equal(t, exitFailed, code, out+errs)
			assert.Contains(t, errs, want)
			assert.NotContains(t, errs, "read-only file system", "no raw system error")
		}
		assert.Equal(t, before, upState(t, dir))
	})

	run, top, owner := upAsNobody(t, bin)
	t.Run("folder 0555 and database 0444", func(t *testing.T) {
		dir := upSetUpFolder(t, top, "folder-ro", owner)
		require.NoError(t, os.Chmod(dbPath(dir), 0o444))
		require.NoError(t, os.Chmod(dir, 0o555))
		before := upState(t, dir)
		for lang, want := range map[string]string{
			"en": "The data folder is not writable: " + dir,
			"zh": "数据目录不可写：" + dir,
		} {
			code, out, errs := run("--lang", lang, "--data-dir", dir, "config", "set", "printer.width", "58")
			assert.Equal(t, exitFailed, code, out+errs)
			assert.Contains(t, errs, want)
			assert.NotContains(t, errs, "permission denied")
		}
		assert.Equal(t, before, upState(t, dir))
	})
	t.Run("database 0444 in a writable folder", func(t *testing.T) {
		dir := upSetUpFolder(t, top, "file-ro", owner)
		require.NoError(t, os.Chmod(dbPath(dir), 0o444))
		before := upState(t, dir)
		for lang, want := range map[string]string{
			"en": fmt.Sprintf("The database file can be read but not written: %s (data folder %s)", dbPath(dir), dir),
			"zh": fmt.Sprintf("数据库文件只能读、不能写：%s（数据目录 %s）", dbPath(dir), dir),
		} {
			code, out, errs := run("--lang", lang, "--data-dir", dir, "config", "set", "printer.width", "58")
			assert.Equal(t, exitFailed, code, out+errs)
			assert.Contains(t, errs, want)
			assert.NotContains(t, errs, "attempt to write a readonly database", "no raw SQLite error")
		}
		assert.Equal(t, before, upState(t, dir))
	})
}

// roDisk returns how to run the binary with a folder mounted read-only,
// in a private mount namespace (unshare); it skips where that cannot be
// done (no unshare, no user namespaces).
func roDisk(t *testing.T, bin string) func(dir string, args ...string) (int, string, string) {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) is not there to mount a folder read-only")
	}
	const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`
	run := func(dir string, args ...string) (int, string, string) {
		return upRun(t, nil, unshare, append([]string{"-rm", "sh", "-c", script, "sh", dir, bin}, args...)...)
	}
	probe := t.TempDir()
	if code, out, errs := upRun(t, nil, unshare, "-rm", "sh", "-c", script+` && ! touch "$1/x" 2>/dev/null`, "sh", probe, "true"); code != 0 {
		t.Skipf("cannot mount a folder read-only in a private namespace here (%d): %s%s", code, out, errs)
	}
	return run
}

// TestGUI_StartRefusalsShowTheirMessage: the GUI's start-up on a newer
// database and on a read-only disk shows the same words as the command
// line in its error window (and on stderr), and changes nothing.
func TestGUI_StartRefusalsShowTheirMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("real-window test")
	}
	needTool(t, "Xvfb", "xdotool", "import")
	bin := buildBinary(t)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) (dir string, cmd []string, want string)
	}{
		{"newer database", func(t *testing.T) (string, []string, string) {
			dir, backup, newer, latest := upNewerFolder(t, true)
			return dir, []string{bin, "--lang", "en", "--data-dir", dir},
				fmt.Sprintf("is at version %d, newer than this program supports (%d)", newer, latest) + ": a newer version of the app has upgraded it. This program does not open it; nothing was changed. Install that newer version again; or, if you must go back to this version, restore the backup taken before the upgrade with this program: pos db restore --from \"" + backup + "\""
		}},
		{"read-only disk", func(t *testing.T) (string, []string, string) {
			roDisk(t, bin) // skips where it cannot mount
			dir := upSetUpFolder(t, t.TempDir(), "data", os.Geteuid())
			return dir, []string{"unshare", "-rm", "sh", "-c", `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`,
				"sh", dir, bin, "--lang", "en", "--data-dir", dir}, "The data folder is not writable: " + dir
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, argv, want := tc.setup(t)
			before := upState(t, dir)
			display := startXvfb(t, 1024, 768)
			var stderr lockedBuffer
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = append(os.Environ(), "DISPLAY="+display)
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("the program's stderr:\n%s", stderr.String())
				}
			})
			eventually(t, 120*time.Second, "the error window", func() bool {
				id, err := xdo(display, "search", "--onlyvisible", "--name", "智能收银台 POS — Error")
				return err == nil && id != ""
			})
			assert.Contains(t, stderr.String(), want)
			shot := filepath.Join(screenshotDir(t), "start-refused-"+strings.ReplaceAll(tc.name, " ", "-")+".png")
			shotWhen(t, display, shot, "the error window is drawn", drawn)
			assert.Equal(t, before, upState(t, dir), "nothing changed")
		})
	}
}

// No --data-dir and no home folder to find the default in: the folder
// cannot be chosen, and the command says so in words.
func TestDataDir_NoHomeSaysWhatToDo(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the default folder comes from the user's config folder there")
	}
	t.Setenv("HOME", "")
	t.Setenv("XDG_DATA_HOME", "")
	for lang, want := range map[string]string{
		"en": "pos db: No home folder to keep the data folder in: choose one with --data-dir\n",
		"zh": "pos db: 找不到用户的主目录，无法确定数据目录：请用 --data-dir 指定数据目录\n",
	} {
		code, out, errs := runCmdLang(t, nil, lang, "db", "check")
		assert.Equal(t, exitFailed, code)
		assert.Empty(t, out)
		assert.Equal(t, want, errs)
	}
}
