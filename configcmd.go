package main

import (
	"context"
	"fmt"
	"sort"

	"cashier/app"
	"cashier/app/settings"
	"cashier/hardware/lockboard"
	"cashier/hardware/transport"
	"cashier/localdb"
	"cashier/ui/i18n"
)

// configKeys are the settings an installer may set from the command line:
// the translation key of their help and a check for each value. The device
// settings are checked by the parsers the devices start with. with checks
// a value against the stored settings it depends on (lock.boards and
// lock.protocol go together); get reads them.
var configKeys = map[string]struct {
	help  string
	check func(v string) error
	with  func(v string, get func(key string) (string, error)) error
}{
	SettingPrinterPort:      {help: i18n.Key("cli.config.printer_port"), check: checkSpec},
	SettingPrinterWidth:     {help: i18n.Key("cli.config.printer_width"), check: allowed(parsePaper, "58", "80")},
	SettingDrawer:           {help: i18n.Key("cli.config.drawer"), check: allowed(parseDrawerSetting, "none", "pin2", "pin5")},
	SettingSpeakerPort:      {help: i18n.Key("cli.config.speaker_port"), check: checkSpec},
	SettingSpeakerModule:    {help: i18n.Key("cli.config.speaker_module"), check: allowed(parseModule, "syn6288", "xfs5152")},
	SettingScannerPort:      {help: i18n.Key("cli.config.scanner_port"), check: checkSpec},
	SettingLockPort:         {help: i18n.Key("cli.config.lock_port"), check: checkSpec},
	SettingLockProtocol:     {help: i18n.Key("cli.config.lock_protocol"), check: allowed(parseProtocol, "xor", "kerong"), with: boardsSuitProtocol},
	SettingLockBoards:       {help: i18n.Key("cli.config.lock_boards"), check: checkBoards, with: protocolSuitsBoards},
	localdb.SettingLanguage: {help: i18n.Key("cli.config.language"), check: oneOf(i18n.Chinese, i18n.English, i18n.System)},
	SettingCustomerDisplay:  {help: i18n.Key("cli.config.customer_display"), check: oneOf(settings.CustomerDisplays...)},
}

// ErrConfigValue: a value a setting does not take; Allowed lists them.
var ErrConfigValue = app.NewError("config.value")

func checkSpec(v string) error {
	if v == "" {
		return nil
	}
	_, err := transport.ParseSpec(v)
	return err
}

// allowed checks a value with the parser the device starts with; a value
// it refuses is named with the values it takes.
func allowed[T any](parse func(string) (T, error), opts ...string) func(string) error {
	return func(v string) error {
		if _, err := parse(v); err != nil {
			return ErrConfigValue.With("Allowed", fmt.Sprint(opts))
		}
		return nil
	}
}

func oneOf(opts ...string) func(string) error {
	return func(v string) error {
		for _, o := range opts {
			if v == o {
				return nil
			}
		}
		return ErrConfigValue.With("Allowed", fmt.Sprint(opts))
	}
}

// checkBoards takes boards some protocol can address; which protocol is
// set up is checked with the stored settings (protocolSuitsBoards).
func checkBoards(v string) error {
	_, err := parseBoards(v, lockboard.XOR)
	if err == nil {
		return nil
	}
	if _, kerr := parseBoards(v, lockboard.Kerong); kerr == nil {
		return nil
	}
	return err
}

// protocolSuitsBoards takes boards the stored protocol can address.
func protocolSuitsBoards(v string, get func(string) (string, error)) error {
	proto, err := get(SettingLockProtocol)
	if err != nil {
		return err
	}
	p, err := parseProtocol(proto)
	if err != nil {
		return err
	}
	_, err = parseBoards(v, p)
	return err
}

// boardsSuitProtocol takes a protocol that can address the stored boards.
func boardsSuitProtocol(v string, get func(string) (string, error)) error {
	p, err := parseProtocol(v)
	if err != nil {
		return err
	}
	boards, err := get(SettingLockBoards)
	if err != nil {
		return err
	}
	_, err = parseBoards(boards, p)
	return err
}

func sortedConfigKeys() []string {
	keys := make([]string, 0, len(configKeys))
	for k := range configKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// runConfig is `pos config list | get KEY | set KEY VALUE`. list and get
// only read; set takes the folder's lock (it changes devices).
func runConfig(e env, args []string) int {
	fs := e.newFlags("config", "cli.config.usage")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, i18n.T("cli.config.usage"))
		for _, k := range sortedConfigKeys() {
			fmt.Fprintf(e.stderr, "  %-16s %s\n", k, i18n.T(configKeys[k].help))
		}
	}
	rest, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(rest) == 0 {
		fs.Usage()
		return exitUsage
	}
	ctx := context.Background()
	switch {
	case rest[0] == "list" && len(rest) == 1, rest[0] == "get" && len(rest) == 2:
		if rest[0] == "get" {
			if _, ok := configKeys[rest[1]]; !ok {
				return e.usageErr(fs, "config", "cli.config.unknown", "Key", rest[1])
			}
		}
		// Reading only: beside a running app, without the lock.
		s, code := e.open(ctx, "config", args, Options{})
		if s == nil {
			return code
		}
		defer s.Close()
		keys := sortedConfigKeys()
		if rest[0] == "get" {
			keys = rest[1:2]
		}
		for _, k := range keys {
			v, err := s.DB.GetSetting(ctx, k, "")
			if err != nil {
				return e.fail("config", err)
			}
			if rest[0] == "get" {
				fmt.Fprintln(e.stdout, v)
			} else {
				fmt.Fprintf(e.stdout, "%s=%s\n", k, v)
			}
		}
		return exitOK
	case rest[0] == "set" && len(rest) == 3:
		k, v := rest[1], rest[2]
		spec, ok := configKeys[k]
		if !ok {
			return e.usageErr(fs, "config", "cli.config.unknown", "Key", k)
		}
		// The value alone first: a bad one touches nothing.
		e.peekLanguage(ctx)
		if err := spec.check(v); err != nil {
			return e.usageErr(nil, "config", "cli.config.unchanged", "Key", k, "Err", err)
		}
		s, code := e.open(ctx, "config", args, Options{Lock: true})
		if s == nil {
			return code
		}
		defer s.Close()
		// Then against the settings it depends on.
		if spec.with != nil {
			var readErr error
			get := func(key string) (string, error) {
				v, err := s.DB.GetSetting(ctx, key, "")
				if err != nil && readErr == nil {
					readErr = err
				}
				return v, err
			}
			if err := spec.with(v, get); err != nil {
				if readErr != nil {
					return e.fail("config", readErr)
				}
				return e.usageErr(nil, "config", "cli.config.unchanged", "Key", k, "Err", err)
			}
		}
		// A device or language setting changed from the command line is a
		// settings change like any other: audited, with the old value.
		old, err := s.DB.GetSetting(ctx, k, "")
		if err != nil {
			return e.fail("config", err)
		}
		if old != v {
			err = s.DB.SetSettingAudited(ctx, k, v, app.AuditEntry{Action: "settings", Subject: k,
				Detail: localdb.AuditChanges(k, old, v) + " (pos config set)"})
		}
		if err != nil {
			return e.fail("config", err)
		}
		e.say("cli.config.set", "Key", k, "Value", v)
		return exitOK
	}
	fs.Usage()
	return exitUsage
}
