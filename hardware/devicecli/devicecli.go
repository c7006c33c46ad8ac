// Package devicecli implements the `pos devices ...` and `pos scan-image`
// commands for installers and support staff:
//
//	pos devices list
//	pos devices speak --port P --text T [--module syn6288|xfs5152] [--baud N] [--volume 0-9]
//	pos devices unlock --port P --board B --lock L [--protocol xor|kerong] [--baud N] [--inverted]
//	pos devices lock-state --port P --board B [--lock L] [--protocol xor|kerong] [--locks N] [--inverted]
//	pos scan-image FILE          (prints the code; its format goes to stderr)
//
// --port takes a transport spec (/dev/ttyUSB0, serial:/dev/ttyS1?baud=19200,
// usb:1A86:7523, tcp:HOST:PORT). Each function returns the exit code: 0
// success, 2 bad usage, 1 device error (with a clear message on stderr).
// main.go dispatches to them; the printer's test-print lives beside.
package devicecli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"cashier/hardware"
	"cashier/hardware/lockboard"
	"cashier/hardware/scanner"
	"cashier/hardware/speaker"
	"cashier/hardware/transport"
)

// Opener opens ports for the commands; tests replace it.
var Opener = transport.DefaultOpener

// Enumerator lists ports for `devices list`; tests replace it.
var Enumerator transport.Enumerator = transport.SystemEnumerator{}

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "用法 / usage: %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

func usageErr(stderr io.Writer, fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(stderr, "错误 / error: "+format+"\n", a...)
	if fs != nil {
		fs.Usage()
	}
	return exitUsage
}

func deviceErr(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "错误 / error: %v\n", err)
	return exitError
}

// parse runs fs.Parse and rejects stray positional arguments.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		return usageErr(stderr, fs, "多余的参数 / unexpected arguments: %s", strings.Join(fs.Args(), " ")), false
	}
	return 0, true
}

func openPort(spec string, defBaud int, baud int) (hardware.Port, transport.Spec, error) {
	sp, err := transport.ParseSpec(spec)
	if err != nil {
		return nil, sp, err
	}
	if baud > 0 {
		sp.Settings.Baud = baud
	}
	sp = sp.WithDefaultBaud(defBaud)
	p, err := Opener.Open(sp)
	return p, sp, err
}

// List prints the serial ports with their USB VID/PID/serial number.
func List(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("devices list", "pos devices list [--json]", stderr)
	asJSON := fs.Bool("json", false, "JSON output")
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	ports, err := Enumerator.Ports()
	if err != nil {
		return deviceErr(stderr, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if ports == nil {
			ports = []transport.PortInfo{}
		}
		if err := enc.Encode(ports); err != nil {
			return deviceErr(stderr, err)
		}
		return exitOK
	}
	if len(ports) == 0 {
		fmt.Fprintln(stdout, "没有找到串口 / no serial ports found")
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PORT\tVID\tPID\tSERIAL\tMANUFACTURER\tPRODUCT\tSPEC")
	for _, p := range ports {
		spec := p.Name
		vid, pid := p.VID, p.PID
		if p.IsUSB && vid != "" && pid != "" {
			spec = "usb:" + vid + ":" + pid
			if p.SerialNumber != "" {
				spec += ":" + p.SerialNumber
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, dash(vid), dash(pid), dash(p.SerialNumber),
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

// Speak says a text on a voice module and waits until it is spoken.
func Speak(args []string, stdout, stderr io.Writer) int {
	const usage = "pos devices speak --port P --text T [--module syn6288|xfs5152] [--baud N] [--volume 0-9] [--encoding gbk|utf16]"
	fs := newFlags("devices speak", usage, stderr)
	port := fs.String("port", "", "port spec of the voice module (e.g. /dev/ttyUSB0, usb:1A86:7523)")
	text := fs.String("text", "", "text to speak, e.g. 收款12.50元")
	module := fs.String("module", "syn6288", "voice module: syn6288 or xfs5152")
	baud := fs.Int("baud", 0, "baud rate (default 9600)")
	volume := fs.Int("volume", -1, "volume 0-9 (XFS5152 only)")
	encName := fs.String("encoding", "gbk", "text encoding: gbk, or utf16 (XFS5152 only)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after")
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	if *port == "" {
		return usageErr(stderr, fs, "缺少 --port / --port is required")
	}
	if strings.TrimSpace(*text) == "" {
		return usageErr(stderr, fs, "缺少 --text / --text is required")
	}
	m, err := speaker.ParseModule(*module)
	if err != nil {
		return usageErr(stderr, fs, "%v", err)
	}
	enc := speaker.GBK
	switch strings.ToLower(*encName) {
	case "gbk":
	case "utf16", "utf-16", "utf16le":
		if m != speaker.XFS5152 {
			return usageErr(stderr, fs, "只有 XFS5152 支持 UTF-16 / only XFS5152 takes UTF-16")
		}
		enc = speaker.UTF16LE
	default:
		return usageErr(stderr, fs, "未知编码 %q / unknown encoding %q (gbk or utf16)", *encName, *encName)
	}
	if *volume > 9 || *volume < -1 {
		return usageErr(stderr, fs, "%v", speaker.ErrBadVolume)
	}
	if *baud < 0 {
		return usageErr(stderr, fs, "波特率无效 / invalid baud rate %d", *baud)
	}
	if _, err := transport.ParseSpec(*port); err != nil {
		return usageErr(stderr, fs, "%v", err)
	}
	p, _, err := openPort(*port, 9600, *baud)
	if err != nil {
		return deviceErr(stderr, err)
	}
	defer p.Close()
	drv := speaker.New(p, speaker.Options{Module: m, Encoding: enc, MaxAge: *timeout})
	defer drv.Close()
	if *volume >= 0 {
		if err := drv.SetVolume(*volume); err != nil {
			return usageErr(stderr, nil, "%v", err)
		}
	}
	if err := drv.Check(*text); err != nil {
		return usageErr(stderr, nil, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := drv.SayWait(ctx, *text); err != nil {
		return deviceErr(stderr, err)
	}
	fmt.Fprintf(stdout, "已播报 / spoken: %s\n", *text)
	return exitOK
}

type lockFlags struct {
	fs       *flag.FlagSet
	port     *string
	board    *int
	lock     *int
	protocol *string
	baud     *int
	inverted *bool
	locks    *int
	timeout  *time.Duration
}

func newLockFlags(name, usage string, stderr io.Writer, lockHelp string) *lockFlags {
	fs := newFlags(name, usage, stderr)
	return &lockFlags{
		fs:       fs,
		port:     fs.String("port", "", "port spec of the RS-485 line (e.g. /dev/ttyUSB0)"),
		board:    fs.Int("board", -1, "board address (xor 1-32, kerong 0-15)"),
		lock:     fs.Int("lock", 0, lockHelp),
		protocol: fs.String("protocol", "xor", "board protocol: xor or kerong"),
		baud:     fs.Int("baud", 0, "baud rate (default 9600 xor, 19200 kerong)"),
		inverted: fs.Bool("inverted", false, "board wired the other way (state 11 / set bit = open)"),
		locks:    fs.Int("locks", 0, "number of locks on the board (default 24 xor, 16 kerong)"),
		timeout:  fs.Duration("timeout", 500*time.Millisecond, "reply timeout"),
	}
}

func (lf *lockFlags) open(stderr io.Writer, needLock bool) (lockboard.Controller, hardware.Port, int) {
	if *lf.port == "" {
		return nil, nil, usageErr(stderr, lf.fs, "缺少 --port / --port is required")
	}
	if *lf.board < 0 {
		return nil, nil, usageErr(stderr, lf.fs, "缺少 --board / --board is required")
	}
	if needLock && *lf.lock <= 0 {
		return nil, nil, usageErr(stderr, lf.fs, "缺少 --lock / --lock is required (1 or more)")
	}
	if *lf.lock < 0 || *lf.locks < 0 || *lf.baud < 0 || *lf.timeout <= 0 {
		return nil, nil, usageErr(stderr, lf.fs, "参数无效 / invalid --lock, --locks, --baud or --timeout")
	}
	proto, err := lockboard.ParseProtocol(*lf.protocol)
	if err != nil {
		return nil, nil, usageErr(stderr, lf.fs, "%v", err)
	}
	maxBoard := lockboard.MaxXORBoard
	minBoard := 1
	if proto == lockboard.Kerong {
		maxBoard, minBoard = lockboard.MaxKerongBoard, 0
	}
	if *lf.board < minBoard || *lf.board > maxBoard {
		return nil, nil, usageErr(stderr, lf.fs, "板号必须是 %d-%d / --board must be %d-%d for %s boards", minBoard, maxBoard, minBoard, maxBoard, proto)
	}
	if _, err := transport.ParseSpec(*lf.port); err != nil {
		return nil, nil, usageErr(stderr, lf.fs, "%v", err)
	}
	p, _, err := openPort(*lf.port, proto.DefaultBaud(), *lf.baud)
	if err != nil {
		return nil, nil, deviceErr(stderr, err)
	}
	opt := lockboard.Options{Timeout: *lf.timeout, Boards: map[int]lockboard.BoardConfig{
		*lf.board: {Locks: *lf.locks, Inverted: *lf.inverted},
	}}
	c, err := lockboard.New(proto, p, opt)
	if err != nil {
		p.Close()
		return nil, nil, usageErr(stderr, lf.fs, "%v", err)
	}
	return c, p, -1
}

func lockErr(stderr io.Writer, err error) int {
	if errors.Is(err, lockboard.ErrAddress) {
		return usageErr(stderr, nil, "%v", err)
	}
	return deviceErr(stderr, err)
}

// Unlock opens one lock (--lock L) on a board.
func Unlock(args []string, stdout, stderr io.Writer) int {
	lf := newLockFlags("devices unlock",
		"pos devices unlock --port P --board B --lock L [--protocol xor|kerong] [--baud N] [--inverted]",
		stderr, "lock number (1 or more)")
	if code, ok := parse(lf.fs, args, stderr); !ok {
		return code
	}
	c, p, code := lf.open(stderr, true)
	if code >= 0 {
		return code
	}
	defer p.Close()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.Open(ctx, *lf.board, *lf.lock)
	if err != nil {
		return lockErr(stderr, err)
	}
	fmt.Fprintf(stdout, "已开锁 / unlocked: %s\n", st)
	return exitOK
}

// LockState prints one lock's state (--lock L) or the whole board's.
func LockState(args []string, stdout, stderr io.Writer) int {
	lf := newLockFlags("devices lock-state",
		"pos devices lock-state --port P --board B [--lock L] [--protocol xor|kerong] [--locks N] [--inverted]",
		stderr, "lock number; omit for every lock on the board")
	if code, ok := parse(lf.fs, args, stderr); !ok {
		return code
	}
	c, p, code := lf.open(stderr, false)
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
			return lockErr(stderr, err)
		}
		fmt.Fprintln(stdout, st)
		return exitOK
	}
	all, err := c.States(ctx, *lf.board)
	for _, st := range all {
		fmt.Fprintln(stdout, st)
	}
	if err != nil {
		return lockErr(stderr, err)
	}
	return exitOK
}

// ScanImage decodes a barcode or QR code from an image file.
func ScanImage(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("scan-image", "pos scan-image FILE", stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		return usageErr(stderr, fs, "需要一个图片文件 / exactly one image FILE is required")
	}
	r, err := scanner.DecodeFile(fs.Arg(0))
	if err != nil {
		return deviceErr(stderr, err)
	}
	// The code alone on stdout, so scripts can capture it; the format on stderr.
	fmt.Fprintln(stdout, r.Text)
	fmt.Fprintf(stderr, "格式 / format: %s\n", r.Format)
	return exitOK
}
