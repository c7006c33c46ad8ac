// Package lockboard drives cabinet lock boards on an RS-485 line: the
// 5-byte XOR protocol (8A open, 80 query, 82 unsolicited report) and the
// Kerong KR-CU16 protocol (02 addr cmd 03 sum). Both sit behind Controller.
//
// # XOR protocol (9600 8N1, boards 1–32 by DIP address)
//
// Every frame is 5 bytes: head, board, lock, function, XOR of the first
// four.
//
//	open one lock   8A bb ll 11 xx   reply 8A bb ll ss xx  ss: the lock's state after the pulse
//	open all        8A bb 00 11 xx   reply 8A bb 00 ss xx  an acknowledgement only
//	query one lock  80 bb ll 33 xx   reply 80 bb ll ss xx  ss 11 closed / 00 open
//	report          82 bb ll ss xx   sent by some boards when a door changes
//
// The state byte means the same in the open reply, the query reply and the
// report: 00 open, 11 closed on boards whose feedback is "closed when
// locked" (8A 01 01 00 8A answers 8A 01 01 11 9B when lock 1 opened, and
// 8A 01 01 11 9B when it did not). Boards wired the other way report the
// opposite: set BoardConfig.Inverted for them. Any other state byte is not a
// reply.
// The reference defines no 5-byte "query all" reply, so States asks each
// lock in turn (BoardConfig.Locks, default 24).
//
// # Kerong KR-CU16 (19200 8N1 factory default, boards 0–9, locks 1–16)
//
// Requests are 5 bytes: 02 ADDR CMD 03 SUM, where
//
//	ADDR = board<<4 | (lock−1)    (0x31 unlock); board<<4 for a board-wide command;
//	       F0 addresses every board on the bus (0x32)
//	SUM  = low byte of the arithmetic sum of every byte before it
//	CMD  = 0x30 status of one board, 0x31 unlock one lock, 0x32 status of
//	       every board on the bus
//
// Status replies are 9 bytes: 02 ADDR CMD H1 H2 I1 I2 03 SUM, CMD 0x35 for
// 0x30 and 0x36 (one frame from each board) for 0x32; H1 = lock hooks 1–8
// (bit 0 = lock 1), H2 = hooks 9–16, I1/I2 = the infrared item sensors of
// the same locks, SUM over the eight bytes before it. A set hook bit means
// locked (Inverted: open). 0x31 has no reply: the driver confirms with 0x30
// after UnlockSettle. OpenAll pulses the locks one by one (BoardConfig.Locks,
// default 16). There are no unsolicited reports.
//
// # Replies that do not answer the request
//
// A frame with a wrong checksum, from another board or lock, or with a state
// byte the protocol does not define is logged (Options.Logger) and ignored:
// the request keeps waiting for its own reply until its timeout. If none
// comes, the error names what was seen instead (ErrChecksum, ErrBadFrame)
// or says the board did not answer (ErrNoAnswer).
//
// Many RS-485 adapters echo what they send, and an XOR answer can equal
// its request byte for byte (8A bb ll 11 xx: "did not open", or "opened"
// on an inverted board; the open-all acknowledgement). The echo comes
// first, before any answer, so the driver learns from every request
// whether the line echoes and then drops the first frame equal to each
// request as its echo; until it knows, such a frame is held back, and if
// nothing follows it the question is settled with a query (whose answer
// never equals it). See echoMode in engine.go.
package lockboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Protocol selects the board family.
type Protocol string

const (
	XOR    Protocol = "xor"
	Kerong Protocol = "kerong"
)

// ParseProtocol reads "xor" or "kerong".
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "xor", "":
		return XOR, nil
	case "kerong":
		return Kerong, nil
	}
	return "", fmt.Errorf("未知的锁控板协议 %q / unknown lock board protocol %q (use xor or kerong)", s, s)
}

// DefaultBaud is the protocol's usual line speed.
func (p Protocol) DefaultBaud() int {
	if p == Kerong {
		return 19200
	}
	return 9600
}

// LockState is one lock's door.
type LockState struct {
	Board, Lock int
	Open        bool
	Raw         byte // the state byte (XOR: 00 or 11) or hook bit (Kerong: 0 or 1) as received
}

func (s LockState) String() string {
	st := "closed 关"
	if s.Open {
		st = "open 开"
	}
	return fmt.Sprintf("board %d lock %d: %s", s.Board, s.Lock, st)
}

// Event is an unsolicited door report (XOR head 82).
type Event struct {
	LockState
	At time.Time
}

// Controller is one RS-485 line with up to 32 lock boards.
type Controller interface {
	// Open pulses one lock and reports whether the board says it opened:
	//
	//	err == nil                       the board reported the lock open (st.Open is true)
	//	errors.Is(err, ErrOpenFailed)    the board answered that it did not open;
	//	                                 st holds that answer (st.Open false, st.Raw)
	//	any other error                  no usable answer (ErrNoAnswer, ErrChecksum,
	//	                                 ErrBadFrame, ErrAddress, ctx): whether the
	//	                                 door opened is unknown; st is zero
	//
	// An open is never repeated by the driver.
	Open(ctx context.Context, board, lock int) (st LockState, err error)
	// OpenAll opens every lock on a board; nil means the board acknowledged.
	OpenAll(ctx context.Context, board int) error
	// State queries one lock.
	State(ctx context.Context, board, lock int) (LockState, error)
	// States queries every lock of a board.
	States(ctx context.Context, board int) ([]LockState, error)
	// Subscribe receives unsolicited reports (XOR boards that send them).
	Subscribe() (<-chan Event, func())
	// Close stops the reader; the port is left to its owner.
	Close() error
}

// BoardConfig is per-board wiring.
type BoardConfig struct {
	Locks int // number of locks (default 24 XOR, 16 Kerong)
	// Inverted: the board's feedback is wired the other way, so state 11 /
	// a set hook bit means open instead of closed. It applies to every
	// reply of that board: open replies, queries and reports alike.
	Inverted bool
}

// Options configure a Controller.
type Options struct {
	// Timeout for one reply (default 300 ms).
	Timeout time.Duration
	// OpenTimeout (XOR) is how long Open waits for the board's reply. The
	// board answers after it has pulsed the lock, which public clients
	// measured at about 500 ms, so it defaults to 1.5 s and is never
	// shorter than Timeout.
	OpenTimeout time.Duration
	// OpenAllTimeout (XOR) is how long OpenAll waits: the board answers
	// once it has pulsed every lock in turn (default 10 s).
	OpenAllTimeout time.Duration
	// Boards holds per-board settings by address; others use defaults.
	Boards map[int]BoardConfig
	// UnlockSettle (Kerong) is how long to wait after an unlock before
	// asking the board for its state (default 100 ms).
	UnlockSettle time.Duration
	// Logger receives the frames the driver ignores (wrong checksum,
	// another board's reply, a late reply). Nil means slog.Default().
	Logger *slog.Logger
}

var (
	ErrNoAnswer   = errors.New("锁控板无应答 / lock board does not answer")
	ErrChecksum   = errors.New("锁控板应答校验错误 / lock board reply has a wrong checksum")
	ErrBadFrame   = errors.New("锁控板数据帧无效 / invalid lock board frame")
	ErrIncomplete = errors.New("帧不完整 / incomplete frame")
	ErrAddress    = errors.New("板号或锁号无效 / invalid board or lock number")
	ErrOpenFailed = errors.New("开锁失败 / the board reports the lock did not open")
	ErrClosed     = errors.New("锁控板连接已关闭 / lock board controller closed")
)

// BoardError adds which board (and lock) failed to an error.
type BoardError struct {
	Board, Lock int
	Err         error
}

func (e *BoardError) Error() string {
	var where string
	if e.Lock > 0 {
		where = fmt.Sprintf("锁控板 %d 锁 %d / board %d lock %d", e.Board, e.Lock, e.Board, e.Lock)
	} else {
		where = fmt.Sprintf("锁控板 %d / board %d", e.Board, e.Board)
	}
	msg := where + ": " + e.Err.Error()
	if errors.Is(e.Err, ErrNoAnswer) {
		msg += "。请检查板地址拨码、RS-485 接线和波特率 / check the board's address switches, the RS-485 wiring and the baud rate"
	}
	return msg
}

func (e *BoardError) Unwrap() error { return e.Err }

// New makes a controller for protocol p on port.
func New(p Protocol, port Port, opt Options) (Controller, error) {
	switch p {
	case XOR, "":
		return NewXOR(port, opt), nil
	case Kerong:
		return NewKerong(port, opt), nil
	}
	return nil, fmt.Errorf("未知的锁控板协议 / unknown lock board protocol %q", p)
}

func (o Options) board(addr, defLocks int) BoardConfig {
	c := o.Boards[addr]
	if c.Locks <= 0 {
		c.Locks = defLocks
	}
	return c
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return 300 * time.Millisecond
	}
	return o.Timeout
}

func (o Options) openTimeout() time.Duration {
	d := o.OpenTimeout
	if d <= 0 {
		d = 1500 * time.Millisecond
	}
	return max(d, o.timeout())
}

func (o Options) openAllTimeout() time.Duration {
	d := o.OpenAllTimeout
	if d <= 0 {
		d = 10 * time.Second
	}
	return max(d, o.timeout())
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.Default()
	}
	return o.Logger
}
