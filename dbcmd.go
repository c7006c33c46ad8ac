package main

import (
	"context"
	"fmt"
	"io"

	"cashier/localdb"
)

func runDB(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("db", stderr)
	dir := dataDirFlag(fs)
	out := fs.String("out", "", "backup: 备份文件路径 / backup file (default: <data>/backups/pos-<time>.db)")
	from := fs.String("from", "", "restore: 备份文件 / backup file to restore (default: the newest in <data>/backups)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "用法 / usage: pos db [--data-dir DIR] migrate|check|backup [--out FILE]|restore [--from FILE]")
	}
	// Allow flags before and after the action.
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	action := rest[0]
	if err := fs.Parse(rest[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	d, err := resolveDataDir(*dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx := context.Background()
	path := dbPath(d)
	switch action {
	case "migrate":
		db, err := localdb.OpenExisting(path)
		if err != nil {
			// a new folder: create and migrate
			db, err = localdb.Open(path)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			v, _ := db.Version(ctx)
			db.Close()
			fmt.Fprintf(stdout, "已创建数据库 / created %s at version %d\n", path, v)
			return 0
		}
		defer db.Close()
		res, err := db.Migrate(ctx, localdb.Migrations(), true)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if len(res.Applied) == 0 {
			fmt.Fprintf(stdout, "已是最新版本 / already at version %d: %s\n", res.To, path)
			return 0
		}
		fmt.Fprintf(stdout, "迁移完成 / migrated %s from %d to %d (%v)\n", path, res.From, res.To, res.Applied)
		if res.Backup != "" {
			fmt.Fprintf(stdout, "迁移前备份 / backup before migrating: %s\n", res.Backup)
		}
		return 0
	case "check":
		db, err := localdb.OpenExisting(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer db.Close()
		v, err := db.Version(ctx)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		res, err := db.IntegrityCheck(ctx)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		latest, _ := localdb.LoadMigrations(localdb.Migrations())
		want := 0
		if len(latest) > 0 {
			want = latest[len(latest)-1].Version
		}
		fmt.Fprintf(stdout, "数据库 / database: %s\n版本 / version: %d (最新 / latest %d)\n完整性 / integrity: %s\n", path, v, want, res)
		if res != "ok" {
			if b := localdb.LatestBackup(path); b != "" {
				fmt.Fprintf(stdout, "最近的备份 / last backup: %s\n", b)
			}
			return 1
		}
		return 0
	case "backup":
		db, err := localdb.OpenExisting(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer db.Close()
		p, err := db.Backup(ctx, *out)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "已备份 / backup written: %s\n", p)
		return 0
	case "restore":
		b := *from
		if b == "" {
			b = localdb.LatestBackup(path)
		}
		if b == "" {
			fmt.Fprintf(stderr, "没有找到备份 / no backup found in %s\n", localdb.BackupDir(path))
			return 1
		}
		moved, err := localdb.RestoreBackup(path, b)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "已恢复 / restored %s from %s\n", path, b)
		if moved != "" {
			fmt.Fprintf(stdout, "原文件已保留为 / the previous file was kept as %s\n", moved)
		}
		return 0
	}
	fmt.Fprintf(stderr, "未知操作 / unknown action %q\n", action)
	fs.Usage()
	return 2
}
