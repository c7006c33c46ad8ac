package lockboard

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// XOR protocol bytes.
const (
	HeadOpen    byte = 0x8A
	HeadQuery   byte = 0x80
	HeadReport  byte = 0x82
	FuncOpen    byte = 0x11
	FuncQuery   byte = 0x33
	StateOn     byte = 0x11 // query: closed (normal polarity)
	StateOff    byte = 0x00 // query: open (normal polarity)
	MaxXORBoard      = 32
	MaxXORLock       = 255
)

// XORFrame is one 5-byte frame (the checksum is implied).
type XORFrame struct {
	Head, Board, Lock, Func byte
}

// Bytes renders the frame with its XOR checksum.
func (f XORFrame) Bytes() []byte {
	b := []byte{f.Head, f.Board, f.Lock, f.Func, 0}
	b[4] = b[0] ^ b[1] ^ b[2] ^ b[3]
	return b
}

// XOROpen is 8A bb ll 11 xx.
func XOROpen(board, lock byte) []byte {
	return XORFrame{HeadOpen, board, lock, FuncOpen}.Bytes()
}

// XOROpenAll is 8A bb 00 11 xx.
func XOROpenAll(board byte) []byte { return XOROpen(board, 0) }

// XORQuery is 80 bb ll 33 xx.
func XORQuery(board, lock byte) []byte {
	return XORFrame{HeadQuery, board, lock, FuncQuery}.Bytes()
}

func isXORHead(b byte) bool { return b == HeadOpen || b == HeadQuery || b == HeadReport }

// ParseXOR reads one frame from the front of buf (see ParseFrame-style
// conventions in the package: incomplete → (_, 0, ErrIncomplete); bad →
// drop n ≥ 1 bytes).
func ParseXOR(buf []byte) (XORFrame, int, error) {
	if len(buf) == 0 {
		return XORFrame{}, 0, ErrIncomplete
	}
	if !isXORHead(buf[0]) {
		i := 1
		for i < len(buf) && !isXORHead(buf[i]) {
			i++
		}
		return XORFrame{}, i, fmt.Errorf("%w: %d byte(s) of noise", ErrBadFrame, i)
	}
	if len(buf) < 5 {
		return XORFrame{}, 0, ErrIncomplete
	}
	x := buf[0] ^ buf[1] ^ buf[2] ^ buf[3]
	if x != buf[4] {
		return XORFrame{}, 1, fmt.Errorf("%w: % X (want %02X)", ErrChecksum, buf[:5], x)
	}
	return XORFrame{buf[0], buf[1], buf[2], buf[3]}, 5, nil
}

// XORController drives XOR-protocol boards.
type XORController struct {
	e   *engine
	opt Options
}

// NewXOR starts a controller on port (it becomes the port's only reader).
func NewXOR(port Port, opt Options) *XORController {
	c := &XORController{opt: opt}
	c.e = newEngine(port, func(b []byte) (any, int, error) { return ParseXOR(b) })
	c.e.onFrm = func(f any) {
		fr := f.(XORFrame)
		if fr.Head == HeadReport {
			c.e.publish(Event{LockState: c.state(int(fr.Board), int(fr.Lock), fr.Func), At: time.Now()})
		}
	}
	return c
}

func (c *XORController) state(board, lock int, ss byte) LockState {
	open := ss == StateOff
	if c.opt.board(board, 24).Inverted {
		open = !open
	}
	return LockState{Board: board, Lock: lock, Open: open, Raw: ss}
}

func checkXOR(board, lock int, allowZeroLock bool) error {
	if board < 1 || board > MaxXORBoard {
		return fmt.Errorf("%w: 板号 %d 应为 1-%d / board %d must be 1-%d", ErrAddress, board, MaxXORBoard, board, MaxXORBoard)
	}
	if (lock == 0 && !allowZeroLock) || lock < 0 || lock > MaxXORLock {
		return fmt.Errorf("%w: 锁号 %d 应为 1-%d / lock %d must be 1-%d", ErrAddress, lock, MaxXORLock, lock, MaxXORLock)
	}
	return nil
}

func (c *XORController) do(ctx context.Context, frame []byte, board, lock int, retries int) (XORFrame, error) {
	head, bb, ll := frame[0], frame[1], frame[2]
	match := func(f any) bool {
		fr := f.(XORFrame)
		return fr.Head == head && fr.Board == bb && fr.Lock == ll
	}
	var err error
	for try := 0; try <= retries; try++ {
		var f any
		f, err = c.e.request(ctx, frame, match, []byte{head, bb, ll}, c.opt.timeout())
		if err == nil {
			return f.(XORFrame), nil
		}
		if !errors.Is(err, ErrNoAnswer) && !errors.Is(err, ErrChecksum) {
			break
		}
	}
	return XORFrame{}, &BoardError{Board: board, Lock: lock, Err: err}
}

// Open sends 8A bb ll 11 and reads the reply. It is not repeated on
// silence (a second pulse is not what the customer asked for).
func (c *XORController) Open(ctx context.Context, board, lock int) (LockState, error) {
	if err := checkXOR(board, lock, false); err != nil {
		return LockState{}, err
	}
	r, err := c.do(ctx, XOROpen(byte(board), byte(lock)), board, lock, 0)
	if err != nil {
		return LockState{}, err
	}
	if r.Func == 0x00 {
		return LockState{Board: board, Lock: lock, Raw: r.Func}, &BoardError{Board: board, Lock: lock, Err: ErrOpenFailed}
	}
	return LockState{Board: board, Lock: lock, Open: true, Raw: r.Func}, nil
}

// OpenAll sends 8A bb 00 11.
func (c *XORController) OpenAll(ctx context.Context, board int) error {
	if err := checkXOR(board, 0, true); err != nil {
		return err
	}
	r, err := c.do(ctx, XOROpenAll(byte(board)), board, 0, 0)
	if err != nil {
		return err
	}
	if r.Func == 0x00 {
		return &BoardError{Board: board, Err: ErrOpenFailed}
	}
	return nil
}

// State sends 80 bb ll 33 (retried once on silence or a bad checksum).
func (c *XORController) State(ctx context.Context, board, lock int) (LockState, error) {
	if err := checkXOR(board, lock, false); err != nil {
		return LockState{}, err
	}
	r, err := c.do(ctx, XORQuery(byte(board), byte(lock)), board, lock, 1)
	if err != nil {
		return LockState{}, err
	}
	return c.state(board, lock, r.Func), nil
}

// States queries locks 1..BoardConfig.Locks one by one.
func (c *XORController) States(ctx context.Context, board int) ([]LockState, error) {
	if err := checkXOR(board, 1, false); err != nil {
		return nil, err
	}
	n := c.opt.board(board, 24).Locks
	out := make([]LockState, 0, n)
	for l := 1; l <= n; l++ {
		s, err := c.State(ctx, board, l)
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Subscribe receives 82 reports.
func (c *XORController) Subscribe() (<-chan Event, func()) { return c.e.subscribe() }

// Garbage counts noise bytes skipped on the line.
func (c *XORController) Garbage() int { return c.e.Garbage() }

// Close stops the reader.
func (c *XORController) Close() error { return c.e.close() }
