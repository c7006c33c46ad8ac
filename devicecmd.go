package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"cashier/hardware"
	"cashier/hardware/devicemsg"
	"cashier/hardware/lockboard"
	"cashier/hardware/scanner"
	"cashier/hardware/speaker"
	"cashier/hardware/transport"
	"cashier/ui/i18n"
)

// The installer's device commands talk to a port directly (--port takes a
// transport spec: /dev/ttyUSB0, serial:/dev/ttyS1?baud=19200,
// usb:1A86:7523, tcp:HOST:PORT) to try a device before it is set up; they
// record nothing and take no data-folder lock. Exit 0 done, 1 the device
// or port failed, 2 bad usage.

// portOpener opens ports for the device commands; tests replace it.
var portOpener = transport.DefaultOpener

// portLister lists ports for `devices list`; tests replace it.
var portLister transport.Enumerator = transport.SystemEnumerator{}

// runDevices is `pos devices list|test-print|speak|unlock|lock-state`.
// `unlock` without --port opens a door of this data folder's cabinet
// through the cabinet use case (permission checked, opening audited).
func runDevices(e env, args []string) int {
	sub := map[string]func(env, []string) int{
		"list":       runDevicesList,
		"speak":      runSpeak,
		"unlock":     runUnlockPort,
		"lock-state": runLockState,
		"test-print": runTestPrint,
	}
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, i18n.T("cli.devices.usage"))
		return exitUsage
	}
	fn, ok := sub[args[0]]
	if !ok {
		fmt.Fprintln(e.stderr, i18n.T("cli.unknown_action", "Action", args[0]))
		fmt.Fprintln(e.stderr, i18n.T("cli.devices.usage"))
		return exitUsage
	}
	if args[0] == "unlock" && !hasFlag(args[1:], "port") {
		return runUnlockDoor(e, args[1:])
	}
	return fn(e, args[1:])
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && n == name {
			return true
		}
	}
	return false
}

// deviceFail prints a device's error in the person's language.
func (e env) deviceFail(cmd string, err error) int {
	return e.fail(cmd, devicemsg.Err(err))
}

// noArgs parses fs and refuses positional arguments.
func (e env) noArgs(fs *flag.FlagSet, cmd string, args []string) (int, bool) {
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code, false
	}
	if len(pos) > 0 {
		return e.usageErr(fs, cmd, "cli.unexpected_arg", "Arg", pos[0]), false
	}
	return 0, true
}

// badValue is a usage error naming the flag and the value refused.
func (e env) badValue(fs *flag.FlagSet, cmd, flagName string, value any) int {
	return e.usageErr(fs, cmd, "cli.bad_value", "Flag", flagName, "Value", value)
}

// openPort opens a parsed --port spec: --baud when given, else the spec's
// own speed, else the device's usual one.
func openPort(sp transport.Spec, defBaud, baud int) (hardware.Port, error) {
	if baud > 0 {
		sp.Settings.Baud = baud
	}
	return portOpener.Open(sp.WithDefaultBaud(defBaud))
}

// runDevicesList is `pos devices list [--json]`: the serial ports with
// their USB VID/PID/serial number and the spec that names each.
func runDevicesList(e env, args []string) int {
	const cmd = "devices list"
	fs := e.newFlags(cmd, "cli.list.usage")
	asJSON := fs.Bool("json", false, i18n.T("cli.flag.json"))
	if code, ok := e.noArgs(fs, cmd, args); !ok {
		return code
	}
	ports, err := portLister.Ports()
	if err != nil {
		return e.deviceFail(cmd, err)
	}
	if *asJSON {
		if ports == nil {
			ports = []transport.PortInfo{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ports); err != nil {
			return e.fail(cmd, err)
		}
		return exitOK
	}
	if len(ports) == 0 {
		e.say("cli.list.none")
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, i18n.T("cli.list.header"))
	for _, p := range ports {
		spec := p.Name
		if p.IsUSB && p.VID != "" && p.PID != "" {
			spec = "usb:" + p.VID + ":" + p.PID
			if p.SerialNumber != "" {
				spec += ":" + p.SerialNumber
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, dash(p.VID), dash(p.PID), dash(p.SerialNumber),
			dash(p.Manufacturer), dash(p.Product), spec)
	}
	tw.Flush()
	return exitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runSpeak is `pos devices speak --port P --text T`: says the text on a
// voice module and waits until the module reports it spoken.
func runSpeak(e env, args []string) int {
	const cmd = "devices speak"
	fs := e.newFlags(cmd, "cli.speak.usage")
	port := fs.String("port", "", i18n.T("cli.flag.port"))
	text := fs.String("text", "", i18n.T("cli.flag.text"))
	module := fs.String("module", "syn6288", i18n.T("cli.flag.module"))
	baud := fs.Int("baud", 0, i18n.T("cli.flag.baud"))
	volume := fs.Int("volume", -1, i18n.T("cli.flag.volume"))
	encName := fs.String("encoding", "gbk", i18n.T("cli.flag.encoding"))
	timeout := fs.Duration("timeout", 30*time.Second, i18n.T("cli.flag.timeout"))
	if code, ok := e.noArgs(fs, cmd, args); !ok {
		return code
	}
	if *port == "" {
		return e.usageErr(fs, cmd, "cli.flag_required", "Flag", "--port")
	}
	if strings.TrimSpace(*text) == "" {
		return e.usageErr(fs, cmd, "cli.flag_required", "Flag", "--text")
	}
	m, err := speaker.ParseModule(*module)
	if err != nil {
		return e.badValue(fs, cmd, "--module", *module)
	}
	enc := speaker.GBK
	switch strings.ToLower(*encName) {
	case "gbk":
	case "utf16", "utf-16", "utf16le":
		if m != speaker.XFS5152 {
			return e.usageErr(fs, cmd, "cli.speak.utf16_only")
		}
		enc = speaker.UTF16LE
	default:
		return e.badValue(fs, cmd, "--encoding", *encName)
	}
	if *volume > 9 || *volume < -1 {
		return e.badValue(fs, cmd, "--volume", *volume)
	}
	if *baud < 0 {
		return e.badValue(fs, cmd, "--baud", *baud)
	}
	if *timeout <= 0 {
		return e.badValue(fs, cmd, "--timeout", *timeout)
	}
	sp, err := transport.ParseSpec(*port)
	if err != nil {
		return e.badValue(fs, cmd, "--port", *port)
	}
	p, err := openPort(sp, 9600, *baud)
	if err != nil {
		return e.deviceFail(cmd, err)
	}
	defer p.Close()
	drv := speaker.New(p, speaker.Options{Module: m, Encoding: enc, MaxAge: *timeout})
	defer drv.Close()
	if *volume >= 0 {
		if err := drv.SetVolume(*volume); err != nil {
			return e.usageErr(nil, cmd, "cli.nothing_done_because", "Err", i18n.Err(devicemsg.Err(err)))
		}
	}
	if err := drv.Check(*text); err != nil {
		return e.usageErr(nil, cmd, "cli.nothing_done_because", "Err", i18n.Err(devicemsg.Err(err)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := drv.SayWait(ctx, *text); err != nil {
		return e.deviceFail(cmd, err)
	}
	e.say("cli.speak.spoken", "Text", *text)
	return exitOK
}

// lockFlags are the flags of unlock --port and lock-state.
type lockFlags struct {
	fs       *flag.FlagSet
	cmd      string
	port     *string
	board    *int
	lock     *int
	protocol *string
	baud     *int
	inverted *bool
	locks    *int
	timeout  *time.Duration
}

func (e env) newLockFlags(cmd, usageKey, lockHelpKey string) *lockFlags {
	fs := e.newFlags(cmd, usageKey)
	return &lockFlags{
		fs:       fs,
		cmd:      cmd,
		port:     fs.String("port", "", i18n.T("cli.flag.lock_port")),
		board:    fs.Int("board", -1, i18n.T("cli.flag.board")),
		lock:     fs.Int("lock", 0, i18n.T(lockHelpKey)),
		protocol: fs.String("protocol", "xor", i18n.T("cli.flag.protocol")),
		baud:     fs.Int("baud", 0, i18n.T("cli.flag.lock_baud")),
		inverted: fs.Bool("inverted", false, i18n.T("cli.flag.inverted")),
		locks:    fs.Int("locks", 0, i18n.T("cli.flag.locks")),
		timeout:  fs.Duration("timeout", 500*time.Millisecond, i18n.T("cli.flag.reply_timeout")),
	}
}

// openBoard checks the flags and opens the board; code >= 0 ends the command.
func (e env) openBoard(lf *lockFlags, needLock bool) (lockboard.Controller, hardware.Port, int) {
	fs, cmd := lf.fs, lf.cmd
	switch {
	case *lf.port == "":
		return nil, nil, e.usageErr(fs, cmd, "cli.flag_required", "Flag", "--port")
	case *lf.board < 0:
		return nil, nil, e.usageErr(fs, cmd, "cli.flag_required", "Flag", "--board")
	case needLock && *lf.lock <= 0:
		return nil, nil, e.usageErr(fs, cmd, "cli.flag_required", "Flag", "--lock")
	case *lf.lock < 0:
		return nil, nil, e.badValue(fs, cmd, "--lock", *lf.lock)
	case *lf.locks < 0:
		return nil, nil, e.badValue(fs, cmd, "--locks", *lf.locks)
	case *lf.baud < 0:
		return nil, nil, e.badValue(fs, cmd, "--baud", *lf.baud)
	case *lf.timeout <= 0:
		return nil, nil, e.badValue(fs, cmd, "--timeout", *lf.timeout)
	}
	proto, err := lockboard.ParseProtocol(*lf.protocol)
	if err != nil {
		return nil, nil, e.badValue(fs, cmd, "--protocol", *lf.protocol)
	}
	minBoard, maxBoard := 1, lockboard.MaxXORBoard
	if proto == lockboard.Kerong {
		minBoard, maxBoard = 0, lockboard.MaxKerongBoard
	}
	if *lf.board < minBoard || *lf.board > maxBoard {
		return nil, nil, e.usageErr(fs, cmd, "cli.board_range", "Protocol", string(proto), "Min", minBoard, "Max", maxBoard)
	}
	sp, err := transport.ParseSpec(*lf.port)
	if err != nil {
		return nil, nil, e.badValue(fs, cmd, "--port", *lf.port)
	}
	p, err := openPort(sp, proto.DefaultBaud(), *lf.baud)
	if err != nil {
		return nil, nil, e.deviceFail(cmd, err)
	}
	opt := lockboard.Options{Timeout: *lf.timeout, Boards: map[int]lockboard.BoardConfig{
		*lf.board: {Locks: *lf.locks, Inverted: *lf.inverted},
	}}
	c, err := lockboard.New(proto, p, opt)
	if err != nil {
		p.Close()
		return nil, nil, e.usageErr(fs, cmd, "cli.nothing_done_because", "Err", i18n.Err(devicemsg.Err(err)))
	}
	return c, p, -1
}

func (e env) lockFail(cmd string, err error) int {
	if errors.Is(err, lockboard.ErrAddress) {
		return e.usageErr(nil, cmd, "cli.nothing_done_because", "Err", i18n.Err(devicemsg.Err(err)))
	}
	return e.deviceFail(cmd, err)
}

// runUnlockPort is `pos devices unlock --port P --board B --lock L`: opens
// one lock and exits 0 only when the board answers that it opened.
func runUnlockPort(e env, args []string) int {
	lf := e.newLockFlags("devices unlock", "cli.unlock.usage", "cli.flag.lock")
	if code, ok := e.noArgs(lf.fs, lf.cmd, args); !ok {
		return code
	}
	c, p, code := e.openBoard(lf, true)
	if code >= 0 {
		return code
	}
	defer p.Close()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.Open(ctx, *lf.board, *lf.lock)
	if err != nil {
		return e.lockFail(lf.cmd, err)
	}
	e.say("cli.unlock.opened", "Board", st.Board, "Lock", st.Lock)
	return exitOK
}

// runLockState is `pos devices lock-state --port P --board B [--lock L]`:
// one lock's state, or every lock's on the board.
func runLockState(e env, args []string) int {
	lf := e.newLockFlags("devices lock-state", "cli.lockstate.usage", "cli.flag.lock_or_all")
	if code, ok := e.noArgs(lf.fs, lf.cmd, args); !ok {
		return code
	}
	c, p, code := e.openBoard(lf, false)
	if code >= 0 {
		return code
	}
	defer p.Close()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if *lf.lock > 0 {
		st, err := c.State(ctx, *lf.board, *lf.lock)
		if err != nil {
			return e.lockFail(lf.cmd, err)
		}
		e.sayLock(st)
		return exitOK
	}
	all, err := c.States(ctx, *lf.board)
	for _, st := range all {
		e.sayLock(st)
	}
	if err != nil {
		return e.lockFail(lf.cmd, err)
	}
	return exitOK
}

func (e env) sayLock(st lockboard.LockState) {
	if st.Open {
		e.say("cli.lock.open", "Board", st.Board, "Lock", st.Lock)
	} else {
		e.say("cli.lock.closed", "Board", st.Board, "Lock", st.Lock)
	}
}

// runScanImage is `pos scan-image FILE`: the code alone on stdout, so
// scripts can capture it; its format on stderr.
func runScanImage(e env, args []string) int {
	const cmd = "scan-image"
	fs := e.newFlags(cmd, "cli.scan.usage")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageErr(fs, cmd, "cli.scan.one_file")
	}
	r, err := scanner.DecodeFile(pos[0])
	if err != nil {
		return e.deviceFail(cmd, err)
	}
	fmt.Fprintln(e.stdout, r.Text)
	fmt.Fprintln(e.stderr, i18n.T("cli.scan.format", "Format", r.Format))
	return exitOK
}
