// Command pos is the cashier application. With no arguments it opens the
// GUI; with a subcommand it serves installers, support staff and tests.
// Every command builds its services through the one composition root
// (services.go) and speaks the language setting.
package main

import (
	// First: fixes the locale environment before Fyne reads it (see the package).
	_ "cashier/ui/i18n/locale"

	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"cashier/app/settings"
	"cashier/localdb"
	"cashier/ui/i18n"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	exitLocked = 3 // another process drives the data folder
	exitNewer  = 4 // the database is a newer version's: install that version or restore its backup
)

// env is what every command gets: the global flags, resolved.
type env struct {
	dataDir string // --data-dir, "" for the per-user default (see dir)
	lang    string // --lang, "" when not given
	stdout  io.Writer
	stderr  io.Writer
}

type command struct {
	summary string // translation key
	run     func(e env, args []string) int
}

func commands() map[string]command {
	return map[string]command{
		"version": {i18n.Key("cli.cmd.version"), func(e env, _ []string) int {
			fmt.Fprintf(e.stdout, "pos %s\n", version)
			return exitOK
		}},
		"init":       {i18n.Key("cli.cmd.init"), runInit},
		"audit":      {i18n.Key("cli.cmd.audit"), runAudit},
		"backoffice": {i18n.Key("cli.cmd.backoffice"), runBackoffice},
		"db":         {i18n.Key("cli.cmd.db"), runDB},
		"config":     {i18n.Key("cli.cmd.config"), runConfig},
		"devices":    {i18n.Key("cli.cmd.devices"), runDevices},
		"pay":        {i18n.Key("cli.cmd.pay"), runPay},
		"refund":     {i18n.Key("cli.cmd.refund"), runRefund},
		"deposit":    {i18n.Key("cli.cmd.deposit"), runDeposit},
		"payments":   {i18n.Key("cli.cmd.payments"), runPayments},
		"jobs":       {i18n.Key("cli.cmd.jobs"), runJobs},
		"products":   {i18n.Key("cli.cmd.products"), runProducts},
		"reconcile":  {i18n.Key("cli.cmd.reconcile"), runReconcile},
		"report":     {i18n.Key("cli.cmd.report"), runReport},
		"shift":      {i18n.Key("cli.cmd.shift"), runShift},
		"sync":       {i18n.Key("cli.sync.summary"), runSync},
		"sandbox":    {i18n.Key("cli.cmd.sandbox"), runSandbox},
		"scan-image": {i18n.Key("cli.cmd.scan_image"), runScanImage},
		"gui":        {i18n.Key("cli.cmd.gui"), runGUI},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, i18n.T("cli.usage"))
	fmt.Fprintln(w)
	fmt.Fprintln(w, i18n.T("cli.commands"))
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, i18n.T(cmds[n].summary))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, i18n.T("cli.usage.gui"))
}

// splitGlobal takes the global flags (--data-dir DIR, --lang zh|en) out of
// args wherever they stand, before or after the command.
func splitGlobal(args []string) (dataDir, lang string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "data-dir" && name != "lang") {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				err = fmt.Errorf("--%s", name)
				continue
			}
			i++
			value = args[i]
		}
		if name == "data-dir" {
			dataDir = value
		} else {
			lang = value
		}
	}
	return dataDir, lang, rest, err
}

func run(args []string, stdout, stderr io.Writer) int {
	dataDir, lang, args, err := splitGlobal(args)
	_ = i18n.Use(lang)
	if err != nil {
		fmt.Fprintln(stderr, i18n.T("cli.flag_needs_value", "Flag", err.Error()))
		return exitUsage
	}
	if lang != "" && lang != i18n.Chinese && lang != i18n.English {
		fmt.Fprintln(stderr, i18n.T("cli.bad_lang", "Value", lang))
		return exitUsage
	}
	e := env{dataDir: dataDir, lang: lang, stdout: stdout, stderr: stderr}
	name := "gui"
	if len(args) > 0 {
		switch args[0] {
		case "-h", "--help", "-help", "help":
			usage(stdout)
			return exitOK
		}
		if strings.HasPrefix(args[0], "-") {
			fmt.Fprintln(stderr, i18n.T("cli.unknown_flag", "Flag", args[0]))
			usage(stderr)
			return exitUsage
		}
		name, args = args[0], args[1:]
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintln(stderr, i18n.T("cli.unknown_command", "Name", name))
		fmt.Fprintln(stderr)
		usage(stderr)
		return exitUsage
	}
	return cmd.run(e, args)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// dir is the data folder: --data-dir, else the per-user default.
func (e env) dir() (string, error) { return resolveDataDir(e.dataDir) }

// open opens the data folder for cmd through the composition root (o
// says how; the folder and the command line are filled in here) and
// applies its language setting. On failure it has printed why and returns
// the exit code.
func (e env) open(ctx context.Context, cmd string, args []string, o Options) (*Services, int) {
	dir, err := e.dir()
	if err != nil {
		return nil, e.fail(cmd, err)
	}
	o.DataDir, o.Command = dir, commandLine(cmd, args)
	if testOptions != nil {
		testOptions(&o)
	}
	s, err := Open(ctx, o)
	if err != nil {
		return nil, e.fail(cmd, err)
	}
	e.useLanguage(s)
	return s, exitOK
}

// start builds what s was opened for; on failure it closes s, prints why
// and returns the exit code.
func (e env) start(ctx context.Context, cmd string, s *Services) int {
	if err := s.Start(ctx); err != nil {
		s.Close()
		return e.fail(cmd, err)
	}
	return exitOK
}

// useLanguage applies the folder's language setting unless --lang chose.
func (e env) useLanguage(s *Services) {
	if s != nil {
		e.useLanguageOf(s.ctx, s.Settings)
	}
}

// useDBLanguage is useLanguage for a command that opens the database
// alone (db migrate).
func (e env) useDBLanguage(ctx context.Context, db *localdb.DB) {
	e.useLanguageOf(ctx, settings.Service{Store: db})
}

// peekLanguage applies the language setting of the data folder's
// database, when there is one, before a command opens the folder: its
// usage errors speak the folder's language too.
func (e env) peekLanguage(ctx context.Context) {
	if e.lang != "" {
		return
	}
	dir, err := e.dir()
	if err != nil {
		return
	}
	db, err := localdb.OpenExisting(dbPath(dir))
	if err != nil {
		return
	}
	defer db.Close()
	e.useDBLanguage(ctx, db)
}

func (e env) useLanguageOf(ctx context.Context, st settings.Service) {
	if e.lang != "" {
		return
	}
	// A database too old or damaged to say keeps the default language.
	if l, err := st.Language(ctx); err == nil {
		_ = i18n.Use(l)
	}
}

// fail prints err in the current language and returns its exit code.
func (e env) fail(cmd string, err error) int {
	fmt.Fprintf(e.stderr, "pos %s: %s\n", cmd, i18n.Err(err))
	if errors.Is(err, localdb.ErrDirLocked) {
		return exitLocked
	}
	if errors.Is(err, localdb.ErrSchemaNewer) {
		return exitNewer
	}
	return exitFailed
}

// usageErr prints a usage problem: nothing was done.
func (e env) usageErr(fs *flag.FlagSet, cmd, key string, kv ...any) int {
	fmt.Fprintf(e.stderr, "pos %s: %s\n", cmd, i18n.T(key, kv...))
	if fs != nil {
		fs.Usage()
	}
	return exitUsage
}

// say prints a translated line on stdout.
func (e env) say(key string, kv ...any) { fmt.Fprintln(e.stdout, i18n.T(key, kv...)) }

// newFlags makes a command's flag set whose usage line is translated.
func (e env) newFlags(name, usageKey string) *flag.FlagSet {
	fs := flag.NewFlagSet("pos "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, i18n.T(usageKey))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args (flags may come before or after positional
// arguments) and returns the positional ones; ok is false when the command
// must end with code.
func parseFlags(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
