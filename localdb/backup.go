package localdb

import (
	"context"
	"database/sql"
	"fmt"
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
		dest = filepath.Join(dir, fmt.Sprintf("%s-%s.db", base, time.Now().UTC().Format("20060102T150405.000000000Z")))
	}
	if fileExists(dest) {
		return "", fmt.Errorf("备份文件已存在，不覆盖 / backup file exists, not overwriting: %s", dest)
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
		return "", fmt.Errorf("备份失败 / backup failed: %w", err)
	}
	return dest, nil
}
