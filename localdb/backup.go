package localdb

import (
	"cashier/app"

	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// BackupDir is where backups of path are kept: <data>/backups.
func BackupDir(dbPath string) string { return filepath.Join(filepath.Dir(dbPath), "backups") }

// LatestBackup returns the newest backup file of dbPath, or "".
func LatestBackup(dbPath string) string {
	base := strings.TrimSuffix(filepath.Base(dbPath), filepath.Ext(dbPath))
	matches, _ := filepath.Glob(filepath.Join(BackupDir(dbPath), base+"-*.db"))
	if len(matches) == 0 {
		return ""
	}
	sort.Strings(matches) // names carry a sortable timestamp
	return matches[len(matches)-1]
}

// Backup copies the live database with SQLite's online backup API (readers
// and the writer may keep working) to dest, or to a timestamped file in
// BackupDir when dest is "". It returns the file written.
func (db *DB) Backup(ctx context.Context, dest string) (string, error) {
	if dest == "" {
		dir := BackupDir(db.path)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
		base := strings.TrimSuffix(filepath.Base(db.path), filepath.Ext(db.path))
		dest = filepath.Join(dir, fmt.Sprintf("%s-%s.db", base, time.Now().UTC().Format(backupStamp)))
	} else if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		// pos db backup --out onto a folder not made yet (a USB stick's subfolder).
		return "", err
	}
	if fileExists(dest) {
		return "", ErrBackupExists.With("Path", dest)
	}
	dst, err := sql.Open("sqlite3", "file:"+uriPath(dest)+"?_sync=FULL")
	if err != nil {
		return "", err
	}
	defer dst.Close()
	dconn, err := dst.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer dconn.Close()
	sconn, err := db.writer.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer sconn.Close()
	err = dconn.Raw(func(d any) error {
		return sconn.Raw(func(s any) error {
			dc, ok1 := d.(*sqlite3.SQLiteConn)
			sc, ok2 := s.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return fmt.Errorf("unexpected driver connection types")
			}
			b, err := dc.Backup("main", sc, "main")
			if err != nil {
				return err
			}
			for {
				done, err := b.Step(256)
				if err != nil {
					b.Finish()
					return err
				}
				if done {
					break
				}
			}
			return b.Finish()
		})
	})
	if err != nil {
		os.Remove(dest)
		return "", ErrBackupFailed.Wrap(err)
	}
	return dest, nil
}

// Errors of backups and restores.
var (
	ErrBackupExists     = app.NewError("db.backup_exists")
	ErrBackupFailed     = app.NewError("db.backup_failed")
	ErrNoBackup         = app.NewError("db.no_backup")
	ErrBackupUnreadable = app.NewError("db.backup_unreadable")
	ErrBackupNotDB      = app.NewError("db.backup_not_db")
	ErrMoveAside        = app.NewError("db.move_aside")
)

// RestoreBackup puts backup in place of the database at dbPath without
// destroying anything: the current file (and its -wal/-shm) is renamed to
// <name>.damaged-<time>, then the backup is copied in and checked. It
// returns the name the old file was moved to. The app must not have the
// database open.
func RestoreBackup(dbPath, backup string) (string, error) {
	if backup == "" {
		return "", ErrNoBackup.With("Dir", BackupDir(dbPath))
	}
	src, err := os.Open(backup)
	if err != nil {
		return "", ErrBackupUnreadable.With("Path", backup).Wrap(err)
	}
	defer src.Close()
	if err := checkHeader(backup); err != nil {
		return "", ErrBackupNotDB.With("Path", backup).Wrap(err)
	}
	moved := ""
	if fileExists(dbPath) {
		moved = fmt.Sprintf("%s.damaged-%s", dbPath, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(dbPath, moved); err != nil {
			return "", ErrMoveAside.With("Path", dbPath).Wrap(err)
		}
		for _, ext := range []string{"-wal", "-shm"} {
			if fileExists(dbPath + ext) {
				_ = os.Rename(dbPath+ext, moved+ext)
			}
		}
	}
	tmp := dbPath + ".restoring"
	dst, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return moved, err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		os.Remove(tmp)
		return moved, err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return moved, err
	}
	dst.Close()
	if err := os.Rename(tmp, dbPath); err != nil {
		return moved, err
	}
	db, err := OpenExisting(dbPath)
	if err != nil {
		return moved, err
	}
	defer db.Close()
	res, err := db.IntegrityCheck(context.Background())
	if err != nil || res != "ok" {
		return moved, fmt.Errorf("恢复后的数据库检查未通过 / the restored database failed its check: %v %s", err, res)
	}
	return moved, nil
}
