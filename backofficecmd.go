package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
	"cashier/ui/i18n"
)

// runBackoffice is `pos backoffice serve|enrol`: the back office the
// terminals push to and pull from (docs/sync.md), for one shop on a
// SQLite file or for a chain on PostgreSQL.
func runBackoffice(e env, args []string) int {
	for i, a := range args {
		rest := append(append([]string{}, args[:i]...), args[i+1:]...)
		switch a {
		case "serve":
			return runBackofficeServe(e, rest)
		case "enrol":
			return runBackofficeEnrol(e, rest)
		case "publish":
			return runBackofficePublish(e, rest)
		}
	}
	fmt.Fprintln(e.stderr, i18n.T("cli.backoffice.usage"))
	return exitUsage
}

// backofficeFlags are the database and the seal key every subcommand needs.
type backofficeFlags struct{ db, key *string }

func addBackofficeFlags(fs *flag.FlagSet) backofficeFlags {
	return backofficeFlags{db: fs.String("db", "", i18n.T("cli.flag.backoffice_db")),
		key: fs.String("key", "", i18n.T("cli.flag.backoffice_key"))}
}

// openBackoffice opens the back office's database. The seal key (32
// bytes that encrypt the terminals' secrets) lives outside the database:
// for a SQLite file it is made beside it at first use (FILE.key, 0600);
// every PostgreSQL server of a chain must be given the same one (--key).
func (e env) openBackoffice(ctx context.Context, f backofficeFlags) (server.Store, int) {
	db := strings.TrimSpace(*f.db)
	if db == "" {
		return nil, e.usageErr(nil, "backoffice", "cli.flag_required", "Flag", "--db")
	}
	pg := strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
	keyFile := *f.key
	if keyFile == "" {
		if pg {
			return nil, e.usageErr(nil, "backoffice", "cli.backoffice.key_needed")
		}
		keyFile = db + ".key"
	}
	key, err := sealKey(keyFile, !pg)
	if err != nil {
		return nil, e.usageErr(nil, "backoffice", "cli.backoffice.bad_key", "File", keyFile, "Err", err)
	}
	var s server.Store
	if pg {
		s, err = server.OpenPostgres(ctx, db, key)
	} else {
		s, err = server.OpenSQLite(ctx, db, key)
	}
	if err != nil {
		return nil, e.fail("backoffice", err)
	}
	return s, exitOK
}

// sealKey reads the 32-byte key from file, making it when create is set
// and the file is not there.
func sealKey(file string, create bool) ([]byte, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && create {
		b = make([]byte, 32)
		if _, err = rand.Read(b); err != nil {
			return nil, err
		}
		// O_EXCL: two servers starting at once on one file keep one key.
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return sealKey(file, false)
		}
		if err != nil {
			return nil, err
		}
		if _, err = f.Write(b); err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return b, err
	}
	if err != nil {
		return nil, err
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("%d bytes, want 32", len(b))
	}
	return b, nil
}

// runBackofficeServe is `pos backoffice serve --listen ADDR --db FILE|URL`:
// it serves until interrupted (Ctrl+C, SIGTERM), with TLS when given a
// certificate and its key.
func runBackofficeServe(e env, args []string) int {
	fs := e.newFlags("backoffice", "cli.backoffice.usage")
	listen := fs.String("listen", "127.0.0.1:8700", i18n.T("cli.flag.backoffice_listen"))
	cert := fs.String("cert", "", i18n.T("cli.flag.backoffice_cert"))
	certKey := fs.String("cert-key", "", i18n.T("cli.flag.backoffice_cert_key"))
	viewPass := fs.String("view-password-file", "", i18n.T("cli.flag.backoffice_view_password_file"))
	viewZone := fs.String("view-zone", "", i18n.T("cli.flag.backoffice_view_zone"))
	bf := addBackofficeFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "backoffice", "cli.unexpected_arg", "Arg", pos[0])
	}
	if (*cert == "") != (*certKey == "") {
		return e.usageErr(fs, "backoffice", "cli.backoffice.cert_pair")
	}
	// The chain view (docs/sync.md): this machine only, unless given a password.
	var opts server.Options
	if *viewPass != "" {
		pw, err := server.ReadViewPassword(*viewPass)
		if errors.Is(err, server.ErrEmptyViewPassword) {
			return e.usageErr(fs, "backoffice", "cli.backoffice.view_password_empty", "File", *viewPass)
		}
		if err != nil {
			return e.usageErr(fs, "backoffice", "cli.backoffice.bad_view_password", "File", *viewPass, "Err", err)
		}
		opts.ViewPassword = pw
	}
	if *viewZone != "" {
		loc, err := time.LoadLocation(*viewZone)
		if err != nil {
			return e.usageErr(fs, "backoffice", "cli.backoffice.bad_zone", "Zone", *viewZone)
		}
		opts.Zone = loc
	}
	ctx, stop := serveContext()
	defer stop()
	s, code := e.openBackoffice(ctx, bf)
	if s == nil {
		return code
	}
	defer s.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return e.fail("backoffice", err)
	}
	srv := &http.Server{Handler: server.New(s, opts), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	// The address actually bound (a port 0 is chosen by the system).
	e.say("cli.backoffice.serving", "URL", scheme+"://"+ln.Addr().String())
	if opts.ViewPassword != nil {
		e.say("cli.backoffice.view_password", "URL", scheme+"://"+ln.Addr().String()+"/")
	} else {
		e.say("cli.backoffice.view_local", "URL", scheme+"://"+ln.Addr().String()+"/")
	}
	done := make(chan error, 1)
	go func() {
		if *cert != "" {
			done <- srv.ServeTLS(ln, *cert, *certKey)
		} else {
			done <- srv.Serve(ln)
		}
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return e.fail("backoffice", err)
	}
	return exitOK
}

// serveContext ends pos backoffice serve: Ctrl+C or SIGTERM (a test
// cancels it instead).
var serveContext = signalContext

// EnrolQR is what the enrolment QR holds (defined with the protocol, as the
// terminal's client reads it).
type EnrolQR = protocol.EnrolQR

// runBackofficeEnrol is `pos backoffice enrol --store S --db … --url URL
// [--qr FILE.png] [--valid 24h]`: a one-time enrolment code for a new
// terminal of store S, printed and written as a QR.
func runBackofficeEnrol(e env, args []string) int {
	fs := e.newFlags("backoffice", "cli.backoffice.usage")
	store := fs.String("store", "", i18n.T("cli.flag.backoffice_store"))
	url := fs.String("url", "", i18n.T("cli.flag.backoffice_url"))
	qrFile := fs.String("qr", "", i18n.T("cli.flag.backoffice_qr"))
	valid := fs.Duration("valid", 24*time.Hour, i18n.T("cli.flag.backoffice_valid"))
	bf := addBackofficeFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	switch {
	case len(pos) > 0:
		return e.usageErr(fs, "backoffice", "cli.unexpected_arg", "Arg", pos[0])
	case strings.TrimSpace(*store) == "":
		return e.usageErr(fs, "backoffice", "cli.flag_required", "Flag", "--store")
	case !strings.HasPrefix(*url, "http://") && !strings.HasPrefix(*url, "https://"):
		return e.usageErr(fs, "backoffice", "cli.backoffice.bad_url", "URL", *url)
	case *valid <= 0 || *valid > 30*24*time.Hour:
		return e.usageErr(fs, "backoffice", "cli.backoffice.bad_valid", "Valid", valid.String())
	}
	if *qrFile != "" && strings.ToLower(filepath.Ext(*qrFile)) != ".png" {
		return e.usageErr(fs, "backoffice", "cli.backoffice.qr_png", "File", *qrFile)
	}
	ctx := context.Background()
	s, code := e.openBackoffice(ctx, bf)
	if s == nil {
		return code
	}
	defer s.Close()
	now := time.Now()
	c, err := s.NewEnrolCode(ctx, strings.TrimSpace(*store), now, now.Add(*valid))
	if err != nil {
		return e.fail("backoffice", err)
	}
	e.say("cli.backoffice.code", "Code", c, "Store", *store, "Until", now.Add(*valid).Format("2006-01-02 15:04"))
	if *qrFile != "" {
		body, _ := json.Marshal(EnrolQR{V: 1, URL: *url, Code: c})
		if err := qrcode.WriteFile(string(body), qrcode.Medium, 320, *qrFile); err != nil {
			return e.fail("backoffice", err)
		}
		e.say("cli.backoffice.qr_written", "File", *qrFile)
	}
	return exitOK
}
