package main

import (
	"context"
	"os"

	"cashier/app"
	"cashier/app/auth"
	"cashier/localdb"
	"cashier/ui/i18n"
)

// runInit is `pos init --store NAME --terminal NAME --admin NO --admin-name
// NAME` with the administrator's PIN in POS_PIN (or --pin): it sets up a
// new data folder for real use (no demo data). The same form appears in the
// GUI on first start when the folder has a channels.json.
func runInit(e env, args []string) int {
	fs := e.newFlags("init", "cli.init.usage")
	store := fs.String("store", "", i18n.T("cli.flag.store"))
	terminal := fs.String("terminal", "", i18n.T("cli.flag.terminal"))
	admin := fs.String("admin", "", i18n.T("cli.flag.admin"))
	adminName := fs.String("admin-name", "", i18n.T("cli.flag.admin_name"))
	pin := fs.String("pin", "", i18n.T("cli.flag.pin"))
	mode := fs.String("mode", string(app.ModeSale), i18n.T("cli.flag.mode"))
	merchant := fs.String("merchant", "", i18n.T("cli.flag.merchant"))
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "init", "cli.unexpected_arg", "Arg", pos[0])
	}
	if *pin == "" {
		*pin = os.Getenv("POS_PIN")
	}
	language := e.lang
	if language == "" {
		language = i18n.Current()
	}
	setup := localdb.LiveSetup{Merchant: *merchant, Store: *store, Terminal: *terminal, AdminCode: *admin,
		AdminName: *adminName, PIN: *pin, CashierMode: app.CashierMode(*mode), Language: language}
	if err := setup.Validate(); err != nil {
		return e.usageErr(fs, "init", "cli.nothing_written_because", "Err", err)
	}
	dir, err := e.dir()
	if err != nil {
		return e.fail("init", err)
	}
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: commandLine("init", args), Lock: true})
	if err != nil {
		return e.fail("init", err)
	}
	defer s.Close()
	term, err := s.DB.InitLive(ctx, auth.DefaultPINHasher, s.Clock.Now(), setup)
	if err != nil {
		return e.fail("init", err)
	}
	e.say("cli.init.done", "Dir", dir, "Store", *store, "Terminal", term.Name, "Code", term.Code, "Admin", *admin)
	return exitOK
}
