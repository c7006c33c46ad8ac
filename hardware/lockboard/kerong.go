package lockboard

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kerong-style bytes.
const (
	KSTX           byte = 0x02
	KETX           byte = 0x03
	KCmdStatus     byte = 0x30
	KCmdUnlock     byte = 0x31
	KCmdStatusAll  byte = 0x32
	KReplyStatus   byte = 0x35
	MaxKerongBoard      = 15
	MaxKerongLock       = 16
)

func ksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

// KerongAddr is board<<4 | (lock−1); lock 0 means "the whole board".
func KerongAddr(board, lock int) byte {
	a := byte(board) << 4
	if lock > 0 {
		a |= byte(lock-1) & 0x0F
	}
	return a
}

// KerongRequest is 02 ADDR CMD 03 SUM.
func KerongRequest(addr, cmd byte) []byte {
	b := []byte{KSTX, addr, cmd, KETX, 0}
	b[4] = ksum(b[:4])
	return b
}

// KerongStatusReply is 02 ADDR 35 D0 D1 03 SUM; bits: bit i = lock i+1 set.
func KerongStatusReply(board int, bits uint16) []byte {
	b := []byte{KSTX, KerongAddr(board, 0), KReplyStatus, byte(bits), byte(bits >> 8), KETX, 0}
	b[6] = ksum(b[:6])
	return b
}

// KerongFrame is a parsed request (Data nil) or status reply.
type KerongFrame struct {
	Addr, Cmd byte
	Bits      uint16 // status replies
	Reply     bool
}

// Board is the high nibble of the address.
func (f KerongFrame) Board() int { return int(f.Addr >> 4) }

// Lock is the low nibble + 1 (requests for one lock).
func (f KerongFrame) Lock() int { return int(f.Addr&0x0F) + 1 }

func skipTo(buf []byte, b byte) int {
	i := 1
	for i < len(buf) && buf[i] != b {
		i++
	}
	return i
}

// ParseKerongRequest reads a 5-byte request (the simulator's side).
func ParseKerongRequest(buf []byte) (KerongFrame, int, error) {
	if len(buf) == 0 {
		return KerongFrame{}, 0, ErrIncomplete
	}
	if buf[0] != KSTX {
		i := skipTo(buf, KSTX)
		return KerongFrame{}, i, fmt.Errorf("%w: %d byte(s) of noise", ErrBadFrame, i)
	}
	if len(buf) < 5 {
		return KerongFrame{}, 0, ErrIncomplete
	}
	if buf[3] != KETX {
		return KerongFrame{}, 1, fmt.Errorf("%w: no ETX in % X", ErrBadFrame, buf[:5])
	}
	if s := ksum(buf[:4]); s != buf[4] {
		return KerongFrame{}, 1, fmt.Errorf("%w: % X (want %02X)", ErrChecksum, buf[:5], s)
	}
	switch buf[2] {
	case KCmdStatus, KCmdUnlock, KCmdStatusAll:
	default:
		return KerongFrame{}, 5, fmt.Errorf("%w: unknown command %02X", ErrBadFrame, buf[2])
	}
	return KerongFrame{Addr: buf[1], Cmd: buf[2]}, 5, nil
}

// ParseKerongReply reads a 7-byte status reply (the driver's side).
func ParseKerongReply(buf []byte) (KerongFrame, int, error) {
	if len(buf) == 0 {
		return KerongFrame{}, 0, ErrIncomplete
	}
	if buf[0] != KSTX {
		i := skipTo(buf, KSTX)
		return KerongFrame{}, i, fmt.Errorf("%w: %d byte(s) of noise", ErrBadFrame, i)
	}
	if len(buf) >= 3 && buf[2] != KReplyStatus {
		return KerongFrame{}, 1, fmt.Errorf("%w: unexpected reply command %02X", ErrBadFrame, buf[2])
	}
	if len(buf) < 7 {
		return KerongFrame{}, 0, ErrIncomplete
	}
	if buf[5] != KETX {
		return KerongFrame{}, 1, fmt.Errorf("%w: no ETX in % X", ErrBadFrame, buf[:7])
	}
	if s := ksum(buf[:6]); s != buf[6] {
		return KerongFrame{}, 1, fmt.Errorf("%w: % X (want %02X)", ErrChecksum, buf[:7], s)
	}
	return KerongFrame{Addr: buf[1], Cmd: buf[2], Bits: uint16(buf[3]) | uint16(buf[4])<<8, Reply: true}, 7, nil
}

// KerongController drives Kerong-style boards.
type KerongController struct {
	e   *engine
	opt Options
}

// NewKerong starts a controller on port (it becomes the port's only reader).
func NewKerong(port Port, opt Options) *KerongController {
	c := &KerongController{opt: opt}
	c.e = newEngine(port, func(b []byte) (any, int, error) { return ParseKerongReply(b) })
	return c
}

func checkKerong(board, lock int, allowZero bool) error {
	if board < 0 || board > MaxKerongBoard {
		return fmt.Errorf("%w: 板号 %d 应为 0-%d / board %d must be 0-%d", ErrAddress, board, MaxKerongBoard, board, MaxKerongBoard)
	}
	if (lock == 0 && !allowZero) || lock < 0 || lock > MaxKerongLock {
		return fmt.Errorf("%w: 锁号 %d 应为 1-%d / lock %d must be 1-%d", ErrAddress, lock, MaxKerongLock, lock, MaxKerongLock)
	}
	return nil
}

func (c *KerongController) status(ctx context.Context, board, lock int, cmd byte) (uint16, error) {
	want := KerongAddr(board, 0)
	match := func(f any) bool { return f.(KerongFrame).Addr == want }
	var err error
	for try := 0; try < 2; try++ {
		var f any
		f, err = c.e.request(ctx, KerongRequest(KerongAddr(board, lock), cmd), match, []byte{KSTX, want, KReplyStatus}, c.opt.timeout())
		if err == nil {
			return f.(KerongFrame).Bits, nil
		}
		if !errors.Is(err, ErrNoAnswer) && !errors.Is(err, ErrChecksum) {
			break
		}
	}
	return 0, &BoardError{Board: board, Lock: lock, Err: err}
}

func (c *KerongController) lockState(board, lock int, bits uint16) LockState {
	set := bits&(1<<(lock-1)) != 0
	open := !set
	if c.opt.board(board, 16).Inverted {
		open = set
	}
	var raw byte
	if set {
		raw = 1
	}
	return LockState{Board: board, Lock: lock, Open: open, Raw: raw}
}

// Open sends 0x31 for the lock, waits UnlockSettle, then reads the
// board's state with 0x30 (which also proves the board answered).
func (c *KerongController) Open(ctx context.Context, board, lock int) (LockState, error) {
	if err := checkKerong(board, lock, false); err != nil {
		return LockState{}, err
	}
	if _, err := c.e.request(ctx, KerongRequest(KerongAddr(board, lock), KCmdUnlock), nil, nil, 0); err != nil {
		return LockState{}, &BoardError{Board: board, Lock: lock, Err: err}
	}
	settle := c.opt.UnlockSettle
	if settle <= 0 {
		settle = 100 * time.Millisecond
	}
	if err := c.e.sleep(ctx, settle); err != nil {
		return LockState{}, err
	}
	bits, err := c.status(ctx, board, lock, KCmdStatus)
	if err != nil {
		return LockState{}, err
	}
	return c.lockState(board, lock, bits), nil
}

// OpenAll unlocks locks 1..BoardConfig.Locks one after another (a short
// gap keeps the power supply from sagging), then confirms with 0x32.
func (c *KerongController) OpenAll(ctx context.Context, board int) error {
	if err := checkKerong(board, 1, false); err != nil {
		return err
	}
	// Ask first, so an absent board fails fast instead of after N pulses.
	if _, err := c.status(ctx, board, 0, KCmdStatusAll); err != nil {
		return err
	}
	n := c.opt.board(board, 16).Locks
	if n > MaxKerongLock {
		n = MaxKerongLock
	}
	for l := 1; l <= n; l++ {
		if _, err := c.e.request(ctx, KerongRequest(KerongAddr(board, l), KCmdUnlock), nil, nil, 0); err != nil {
			return &BoardError{Board: board, Lock: l, Err: err}
		}
		if err := c.e.sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	_, err := c.status(ctx, board, 0, KCmdStatusAll)
	return err
}

// State sends 0x30 for one lock.
func (c *KerongController) State(ctx context.Context, board, lock int) (LockState, error) {
	if err := checkKerong(board, lock, false); err != nil {
		return LockState{}, err
	}
	bits, err := c.status(ctx, board, lock, KCmdStatus)
	if err != nil {
		return LockState{}, err
	}
	return c.lockState(board, lock, bits), nil
}

// States sends 0x32 and returns locks 1..BoardConfig.Locks.
func (c *KerongController) States(ctx context.Context, board int) ([]LockState, error) {
	if err := checkKerong(board, 1, false); err != nil {
		return nil, err
	}
	bits, err := c.status(ctx, board, 0, KCmdStatusAll)
	if err != nil {
		return nil, err
	}
	n := c.opt.board(board, 16).Locks
	if n > MaxKerongLock {
		n = MaxKerongLock
	}
	out := make([]LockState, n)
	for l := 1; l <= n; l++ {
		out[l-1] = c.lockState(board, l, bits)
	}
	return out, nil
}

// Subscribe: Kerong-style boards send no reports; the channel only closes
// with the controller.
func (c *KerongController) Subscribe() (<-chan Event, func()) { return c.e.subscribe() }

// Garbage counts noise bytes skipped on the line.
func (c *KerongController) Garbage() int { return c.e.Garbage() }

// Close stops the reader.
func (c *KerongController) Close() error { return c.e.close() }
