package main

import (
	"context"

	"cashier/ui/i18n"
)

// runUnlockDoor is `pos devices unlock --board B --lock L --staff NO`: a
// door of this data folder's cabinet, through the cabinet use case
// (permission checked, opening audited). The person logs in before any
// device starts, and only the lock boards start: nothing is printed,
// spoken or requeued for a door.
func runUnlockDoor(e env, args []string) int {
	const cmd = "devices unlock"
	fs := e.newFlags(cmd, "cli.unlock.usage")
	board := fs.Int("board", -1, i18n.T("cli.flag.board"))
	lock := fs.Int("lock", 0, i18n.T("cli.flag.lock"))
	who := addStaffFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, cmd, "cli.unexpected_arg", "Arg", pos[0])
	}
	if *board < 0 || *lock < 1 {
		return e.usageErr(fs, cmd, "cli.flag_required", "Flag", "--board, --lock")
	}
	ctx := context.Background()
	s, staff, exit := e.openAs(ctx, cmd, args, Options{Seed: true, Cabinet: true}, who)
	if s == nil {
		return exit
	}
	defer s.Close()
	if s.Cabinet == nil {
		return e.fail(cmd, ErrDeviceSetting.With("Key", SettingLockPort))
	}
	if err := s.Cabinet.OpenDoor(ctx, staff.ID, *board, *lock); err != nil {
		return e.fail(cmd, err)
	}
	e.say("cli.unlock.opened", "Board", *board, "Lock", *lock)
	return exitOK
}
