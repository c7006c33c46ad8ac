package main

import (
	"context"
	"fmt"
	"sort"

	"cashier/app"
	"cashier/hardware/transport"
	"cashier/localdb"
	"cashier/ui/i18n"
)

// configKeys are the settings an installer may set from the command line:
// the translation key of their help and a check for each value.
var configKeys = map[string]struct {
	help  string
	check func(string) error
}{
	SettingPrinterPort:      {i18n.Key("cli.config.printer_port"), checkSpec},
	SettingPrinterWidth:     {i18n.Key("cli.config.printer_width"), oneOf("58", "80")},
	SettingSpeakerPort:      {i18n.Key("cli.config.speaker_port"), checkSpec},
	SettingSpeakerModule:    {i18n.Key("cli.config.speaker_module"), oneOf("syn6288", "xfs5152")},
	SettingScannerPort:      {i18n.Key("cli.config.scanner_port"), checkSpec},
	SettingLockPort:         {i18n.Key("cli.config.lock_port"), checkSpec},
	SettingLockProtocol:     {i18n.Key("cli.config.lock_protocol"), oneOf("xor", "kerong")},
	SettingLockBoards:       {i18n.Key("cli.config.lock_boards"), func(v string) error { _, err := parseBoards(v); return err }},
	localdb.SettingLanguage: {i18n.Key("cli.config.language"), oneOf("zh", "en", "system")},
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
	d, err := e.dir()
	if err != nil {
		return e.fail("config", err)
	}
	ctx := context.Background()
	switch {
	case rest[0] == "list" && len(rest) == 1, rest[0] == "get" && len(rest) == 2:
		if rest[0] == "get" {
			if _, ok := configKeys[rest[1]]; !ok {
				return e.usageErr(fs, "config", "cli.config.unknown", "Key", rest[1])
			}
		}
		db, err := localdb.OpenExisting(dbPath(d))
		if err != nil {
			return e.fail("config", err)
		}
		defer db.Close()
		if rest[0] == "get" {
			v, err := db.GetSetting(ctx, rest[1], "")
			if err != nil {
				return e.fail("config", err)
			}
			fmt.Fprintln(e.stdout, v)
			return exitOK
		}
		for _, k := range sortedConfigKeys() {
			v, _ := db.GetSetting(ctx, k, "")
			fmt.Fprintf(e.stdout, "%s=%s\n", k, v)
		}
		return exitOK
	case rest[0] == "set" && len(rest) == 3:
		k, v := rest[1], rest[2]
		spec, ok := configKeys[k]
		if !ok {
			return e.usageErr(fs, "config", "cli.config.unknown", "Key", k)
		}
		if err := spec.check(v); err != nil {
			return e.usageErr(nil, "config", "cli.config.unchanged", "Key", k, "Err", err)
		}
		lock, err := localdb.LockDir(d, commandLine("config", args))
		if err != nil {
			return e.fail("config", err)
		}
		defer lock.Release()
		db, err := localdb.Open(dbPath(d))
		if err != nil {
			return e.fail("config", err)
		}
		defer db.Close()
		if err := db.SetSetting(ctx, k, v); err != nil {
			return e.fail("config", err)
		}
		e.say("cli.config.set", "Key", k, "Value", v)
		return exitOK
	}
	fs.Usage()
	return exitUsage
}
