package main

import (
	"context"
	"errors"

	"cashier/localdb"
	"cashier/ui/i18n"
)

// runDB is `pos db migrate|check|backup|restore`. migrate and restore
// change the schema or the file and take the folder's lock; check and
// backup only read and work beside a running app. They speak the folder's
// language setting when its database can be read (restore's is the damaged
// one: it speaks --lang or the default).
func runDB(e env, args []string) int {
	fs := e.newFlags("db", "cli.db.usage")
	out := fs.String("out", "", i18n.T("cli.flag.backup_out"))
	from := fs.String("from", "", i18n.T("cli.flag.restore_from"))
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	action := pos[0]
	d, err := e.dir()
	if err != nil {
		return e.fail("db", err)
	}
	ctx := context.Background()
	path := dbPath(d)
	switch action {
	case "migrate":
		lock, err := localdb.LockDir(d, commandLine("db", args))
		if err != nil {
			return e.fail("db", err)
		}
		defer lock.Release()
		// Migrating is what this command is for: the database is opened
		// without the composition root, which would migrate it unasked.
		db, err := localdb.OpenExisting(path)
		if errors.Is(err, localdb.ErrDBMissing) {
			// a new folder: create and migrate
			if db, err = localdb.Open(path); err != nil {
				return e.fail("db", err)
			}
			v, err := db.Version(ctx)
			db.Close()
			if err != nil {
				return e.fail("db", err)
			}
			e.say("cli.db.created", "Path", path, "Version", v)
			return exitOK
		}
		if err != nil {
			return e.fail("db", err)
		}
		defer db.Close()
		e.useDBLanguage(ctx, db)
		res, err := db.Migrate(ctx, localdb.Migrations(), true)
		if err != nil {
			return e.fail("db", err)
		}
		if len(res.Applied) == 0 {
			e.say("cli.db.current", "Version", res.To, "Path", path)
			return exitOK
		}
		e.say("cli.db.migrated", "Path", path, "From", res.From, "To", res.To)
		if res.Backup != "" {
			e.say("cli.db.backup_before", "Path", res.Backup)
		}
		return exitOK
	case "check":
		s, code := e.open(ctx, "db", args, Options{})
		if s == nil {
			return code
		}
		defer s.Close()
		db := s.DB
		v, err := db.Version(ctx)
		if err != nil {
			return e.fail("db", err)
		}
		res, err := db.IntegrityCheck(ctx)
		if err != nil {
			return e.fail("db", err)
		}
		latest, _ := localdb.LoadMigrations(localdb.Migrations())
		want := 0
		if len(latest) > 0 {
			want = latest[len(latest)-1].Version
		}
		e.say("cli.db.check", "Path", path, "Version", v, "Latest", want, "Result", res)
		if res != "ok" {
			if b := localdb.LatestBackup(path); b != "" {
				e.say("cli.db.last_backup", "Path", b)
			}
			return exitFailed
		}
		return exitOK
	case "backup":
		s, code := e.open(ctx, "db", args, Options{})
		if s == nil {
			return code
		}
		defer s.Close()
		p, err := s.DB.Backup(ctx, *out)
		if err != nil {
			return e.fail("db", err)
		}
		e.say("cli.db.backup_written", "Path", p)
		return exitOK
	case "restore":
		lock, err := localdb.LockDir(d, commandLine("db", args))
		if err != nil {
			return e.fail("db", err)
		}
		defer lock.Release()
		b := *from
		if b == "" {
			b = localdb.LatestBackup(path)
		}
		if b == "" {
			return e.fail("db", localdb.ErrNoBackup.With("Dir", localdb.BackupDir(path)))
		}
		moved, err := localdb.RestoreBackup(path, b)
		if err != nil {
			return e.fail("db", err)
		}
		e.say("cli.db.restored", "Path", path, "From", b)
		if moved != "" {
			e.say("cli.db.kept_as", "Path", moved)
		}
		return exitOK
	}
	return e.usageErr(fs, "db", "cli.unknown_action", "Action", action)
}
