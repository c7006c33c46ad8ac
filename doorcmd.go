package main

import (
	"context"
	"errors"

	"cashier/ui/i18n"
)

// runUnlockDoor is `pos devices unlock --board B --lock L --staff NO`.
func runUnlockDoor(e env, args []string) int {
	fs := e.newFlags("devices unlock", "cli.unlock.usage")
	board := fs.Int("board", -1, i18n.T("cli.flag.board"))
	lock := fs.Int("lock", 0, i18n.T("cli.flag.lock"))
	staffCode := fs.String("staff", "", i18n.T("cli.flag.staff"))
	pin := fs.String("pin", "", i18n.T("cli.flag.pin"))
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "devices unlock", "cli.unexpected_arg", "Arg", pos[0])
	}
	if *board < 0 || *lock < 1 {
		return e.usageErr(fs, "devices unlock", "cli.flag_required", "Flag", "--board, --lock")
	}
	dir, err := e.dir()
	if err != nil {
		return e.fail("devices unlock", err)
	}
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: commandLine("devices unlock", args), Lock: true, Seed: true, Devices: true})
	if err != nil {
		return e.fail("devices unlock", err)
	}
	defer s.Close()
	e.useLanguage(s)
	if err := s.Start(ctx); err != nil {
		return e.fail("devices unlock", err)
	}
	if s.Cabinet == nil {
		return e.fail("devices unlock", ErrDeviceSetting.With("Key", SettingLockPort))
	}
	staff, err := e.login(ctx, s, *staffCode, *pin)
	if err != nil {
		if errors.Is(err, ErrStaffNeeded) || errors.Is(err, ErrPINNeeded) {
			return e.usageErr(nil, "devices unlock", "cli.nothing_done_because", "Err", err)
		}
		return e.fail("devices unlock", err)
	}
	if err := s.Cabinet.OpenDoor(ctx, staff.ID, *board, *lock); err != nil {
		return e.fail("devices unlock", err)
	}
	e.say("cli.unlock.opened", "Board", *board, "Lock", *lock)
	return exitOK
}
