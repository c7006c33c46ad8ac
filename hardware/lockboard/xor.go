package lockboard

import (
	"bytes"
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
	StateOn     byte = 0x11 // closed (normal polarity), in open replies, queries and reports alike
	StateOff    byte = 0x00 // open (normal polarity)
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

func (f XORFrame) String() string { return fmt.Sprintf("% X", f.Bytes()) }

// XORDoorOpen reads a state byte — of an open reply, a query reply or a
// report, which all use the board's polarity — as open or closed. Only 00
// and 11 are states; anything else is ErrBadFrame.
func XORDoorOpen(ss byte, inverted bool) (bool, error) {
	switch ss {
	case StateOff:
		return !inverted, nil
	case StateOn:
		return inverted, nil
	}
	return false, fmt.Errorf("%w: 状态字节 %02X 不是 00 或 11 / state byte %02X is neither 00 nor 11", ErrBadFrame, ss, ss)
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
	c.e = newEngine(port, func(b []byte) (any, int, error) { return ParseXOR(b) }, c.report, opt.logger())
	return c
}

// report publishes 82 frames; other unclaimed frames are left to the
// engine to log.
func (c *XORController) report(f any) bool {
	fr := f.(XORFrame)
	if fr.Head != HeadReport {
		return false
	}
	st, err := c.state(int(fr.Board), int(fr.Lock), fr.Func)
	if err != nil {
		c.e.log.Warn("锁控板: 忽略无效的状态上报 / lock board: ignored a report", "frame", fr, "err", err)
		return true
	}
	c.e.publish(Event{LockState: st, At: time.Now()})
	return true
}

func (c *XORController) inverted(board int) bool { return c.opt.board(board, 24).Inverted }

func (c *XORController) state(board, lock int, ss byte) (LockState, error) {
	open, err := XORDoorOpen(ss, c.inverted(board))
	if err != nil {
		return LockState{}, err
	}
	return LockState{Board: board, Lock: lock, Open: open, Raw: ss}, nil
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

// do sends frame and waits for the frame with the same head, board and
// lock that valid accepts (nil: any). Frames from other boards or locks
// are ignored, so a stray reply never answers the wrong request.
func (c *XORController) do(ctx context.Context, frame []byte, board, lock, retries int, timeout time.Duration, valid func(XORFrame) error) (XORFrame, error) {
	head, bb, ll := frame[0], frame[1], frame[2]
	match := func(f any) (bool, error) {
		fr := f.(XORFrame)
		if fr.Head != head || fr.Board != bb || fr.Lock != ll {
			return false, nil
		}
		if valid != nil {
			if err := valid(fr); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	looks := func(b []byte) bool { return bytes.HasPrefix(b, frame[:3]) }
	var err error
	for try := 0; try <= retries; try++ {
		var f any
		f, err = c.e.request(ctx, frame, match, looks, timeout)
		if errors.Is(err, errEchoOrReply) {
			f, err = c.settleEcho(ctx, board, lock, f)
		}
		if err == nil {
			return f.(XORFrame), nil
		}
		if !errors.Is(err, ErrNoAnswer) && !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrBadFrame) {
			break
		}
	}
	return XORFrame{}, &BoardError{Board: board, Lock: lock, Err: err}
}

// settleEcho decides what f was — the only frame that came after a
// request, equal to it, on a line whose echo the engine does not know yet
// (see echoMode): the board's answer, or the adapter's echo of a request
// the board did not answer. It asks the board a query, whose reply never
// equals the request, and the engine learns from it whether the line
// echoes; the query's own answer does not matter.
func (c *XORController) settleEcho(ctx context.Context, board, lock int, f any) (any, error) {
	c.learnEcho(ctx, board, lock)
	switch c.e.echoes() {
	case echoNo:
		return f, nil
	case echoYes:
		c.e.log.Debug(logEcho, "frame", f)
		return nil, ErrNoAnswer
	}
	return nil, errEchoOrReply
}

// learnEcho sends one query (lock 1 for the board-wide lock 0) so that the
// engine learns whether the line echoes.
func (c *XORController) learnEcho(ctx context.Context, board, lock int) {
	lock = max(lock, 1)
	q := XORQuery(byte(board), byte(lock))
	valid := c.stateByte(board) // rejects 33: the query's echo is never its reply
	match := func(f any) (bool, error) {
		fr := f.(XORFrame)
		if fr.Head != HeadQuery || fr.Board != q[1] || fr.Lock != q[2] {
			return false, nil
		}
		err := valid(fr)
		return err == nil, err
	}
	c.e.request(ctx, q, match, nil, c.opt.timeout())
}

// stateByte accepts replies whose state byte is a state of this board.
func (c *XORController) stateByte(board int) func(XORFrame) error {
	return func(fr XORFrame) error {
		_, err := XORDoorOpen(fr.Func, c.inverted(board))
		return err
	}
}

// Open sends 8A bb ll 11 and reads the lock's state from the reply with
// the board's polarity (see Controller.Open for the result). It is not
// repeated on silence: a second pulse is not what the customer asked for.
//
// The board's answer may equal the request (8A bb ll 11: "did not open",
// or "opened" on an inverted board). On a line whose echo is not known
// yet, such an answer is waited on for the whole OpenTimeout (a reply
// after it would show it was the echo), then settled with a query.
func (c *XORController) Open(ctx context.Context, board, lock int) (LockState, error) {
	if err := checkXOR(board, lock, false); err != nil {
		return LockState{}, err
	}
	r, err := c.do(ctx, XOROpen(byte(board), byte(lock)), board, lock, 0, c.opt.openTimeout(), c.stateByte(board))
	if err != nil {
		return LockState{}, err
	}
	st, err := c.state(board, lock, r.Func)
	if err != nil { // stateByte let only states through
		return LockState{}, &BoardError{Board: board, Lock: lock, Err: err}
	}
	if !st.Open {
		return st, &BoardError{Board: board, Lock: lock, Err: ErrOpenFailed}
	}
	return st, nil
}

// OpenAll sends 8A bb 00 11. Its reply only acknowledges: lock 00 has no
// door, and boards observed in public captures answer 8A bb 00 11 after
// opening every lock, which as a door state would read "closed". That
// answer always equals the request, so on a line whose echo is not known
// yet a query goes first (see echoMode).
func (c *XORController) OpenAll(ctx context.Context, board int) error {
	if err := checkXOR(board, 0, true); err != nil {
		return err
	}
	if c.e.echoes() == echoUnknown {
		c.learnEcho(ctx, board, 1)
	}
	_, err := c.do(ctx, XOROpenAll(byte(board)), board, 0, 0, c.opt.openAllTimeout(), nil)
	return err
}

// State sends 80 bb ll 33 (retried once on silence or a bad reply).
func (c *XORController) State(ctx context.Context, board, lock int) (LockState, error) {
	if err := checkXOR(board, lock, false); err != nil {
		return LockState{}, err
	}
	r, err := c.do(ctx, XORQuery(byte(board), byte(lock)), board, lock, 1, c.opt.timeout(), c.stateByte(board))
	if err != nil {
		return LockState{}, err
	}
	st, err := c.state(board, lock, r.Func)
	if err != nil {
		return LockState{}, &BoardError{Board: board, Lock: lock, Err: err}
	}
	return st, nil
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
