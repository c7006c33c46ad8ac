// Package lockboard drives cabinet lock boards on an RS-485 line: the
// 5-byte XOR protocol (8A open, 80 query, 82 unsolicited report) and the
// Kerong-style protocol (02 addr cmd 03 sum). Both sit behind Controller.
//
// # XOR protocol (9600 8N1, boards 1–32 by DIP address)
//
// Every frame is 5 bytes: head, board, lock, function, XOR of the first
// four.
//
//	open one lock   8A bb ll 11 xx   reply 8A bb ll ss xx  ss≠00: done, 00: failed
//	open all        8A bb 00 11 xx   reply 8A bb 00 ss xx
//	query one lock  80 bb ll 33 xx   reply 80 bb ll ss xx  ss 11 closed / 00 open
//	report          82 bb ll ss xx   sent by some boards when a door changes
//
// Some boards are wired the other way round (ss 11 = open): set
// BoardConfig.Inverted for them; it applies to query replies and reports.
// The reference defines no 5-byte "query all" reply, so States asks each
// lock in turn (BoardConfig.Locks, default 24).
//
// # Kerong-style protocol (19200 8N1, boards 0–15, locks 1–16)
//
// Requests are 5 bytes: 02 ADDR CMD 03 SUM, where
//
//	ADDR = board<<4 | (lock−1)    (lock-specific commands; 0 in the low nibble otherwise)
//	SUM  = (02 + ADDR + CMD + 03) mod 256   — the low byte of the arithmetic
//	       sum of every byte before it, STX and ETX included
//	CMD  = 0x30 status of one lock, 0x31 unlock one lock, 0x32 status of all
//	       locks of the board
//
// Status replies (to 0x30 and 0x32) are 7 bytes: 02 ADDR 35 D0 D1 03 SUM
// with ADDR = board<<4, D0 = locks 1–8 (bit 0 = lock 1), D1 = locks 9–16,
// a set bit meaning closed (Inverted: open), SUM as above over the six
// bytes before it. Unlock (0x31) has no reply of its own: the driver
// confirms with a status query, which also proves the board is there.
// OpenAll unlocks the board's locks one by one (BoardConfig.Locks, default
// 16) — the reference defines no "open all" command for these boards.
// There are no unsolicited reports.
package lockboard

import (
	"context"
	"errors"
	"fmt"
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
	Raw         byte // the state byte (XOR) or bit (Kerong) as received
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
	// Open pulses one lock and returns the state the board reports.
	Open(ctx context.Context, board, lock int) (LockState, error)
	// OpenAll opens every lock on a board.
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
	Locks    int  // number of locks (default 24 XOR, 16 Kerong)
	Inverted bool // state 11 / set bit means open instead of closed
}

// Options configure a Controller.
type Options struct {
	// Timeout for one reply (default 300 ms).
	Timeout time.Duration
	// Boards holds per-board settings by address; others use defaults.
	Boards map[int]BoardConfig
	// UnlockSettle (Kerong) is how long to wait after an unlock before
	// asking the board for its state (default 100 ms).
	UnlockSettle time.Duration
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
