package lockboard

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kerong KR-CU16 bytes (Kerong "KR-CU16 Communication Protocol
// Specification" V1.6).
const (
	KSTX            byte = 0x02
	KETX            byte = 0x03
	KCmdStatus      byte = 0x30 // status of one board → 0x35
	KCmdUnlock      byte = 0x31 // unlock one lock, no reply
	KCmdStatusAll   byte = 0x32 // status of every board on the bus (ADDR F0) → one 0x36 per board
	KCmdUnlockAll   byte = 0x33 // unlock every lock of a board → 0x35
	KReplyStatus    byte = 0x35
	KReplyStatusAll byte = 0x36
	// Replies to commands the driver does not send (0x37 unlock time,
	// 0x39 delayed unlock, 0x40 baud rate), all 9 bytes with the hooks:
	KReplyUnlockTime byte = 0x38 // unlock time and hooks
	KReplyDelay      byte = 0x39 // delayed-unlock time, hooks and sensors
	KReplyBaud       byte = 0x40 // hooks and baud rate
	// KAddrAll addresses every board on the bus.
	KAddrAll byte = 0xF0
	// MaxKerongBoard: the specification gives ADDR 0x00–0x9F (at most 10
	// boards in series); F0 is the bus-wide address, so board 15 cannot exist.
	MaxKerongBoard = 9
	MaxKerongLock  = 16
	// KerongReplyLen is the length of every CU16 reply.
	KerongReplyLen = 9
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

// KerongReply is the 9-byte reply 02 ADDR CMD H1 H2 I1 I2 03 SUM a board
// sends for 0x30 (cmd 0x35) and 0x32 (cmd 0x36): hooks and ir hold one bit
// per lock, bit 0 = lock 1.
func KerongReply(board int, cmd byte, hooks, ir uint16) []byte {
	return KerongFrame{Addr: KerongAddr(board, 0), Cmd: cmd, Reply: true,
		Data: [4]byte{byte(hooks), byte(hooks >> 8), byte(ir), byte(ir >> 8)}}.Bytes()
}

// KerongFrame is a parsed request (Reply false) or 9-byte reply.
type KerongFrame struct {
	Addr, Cmd byte
	Reply     bool
	// Data holds a reply's four data bytes. For 0x35/0x36: lock hooks 1–8,
	// hooks 9–16, infrared sensors 1–8, sensors 9–16.
	Data [4]byte
}

// Board is the high nibble of the address.
func (f KerongFrame) Board() int { return int(f.Addr >> 4) }

// Lock is the low nibble + 1 (requests for one lock).
func (f KerongFrame) Lock() int { return int(f.Addr&0x0F) + 1 }

// Hooks are the lock-hook bits of a status reply (bit 0 = lock 1; set =
// locked on boards wired normally).
func (f KerongFrame) Hooks() uint16 { return uint16(f.Data[0]) | uint16(f.Data[1])<<8 }

// IR are the infrared item-sensor bits of a 0x35/0x36 reply (bit 0 = lock
// 1; set = an item is in the locker).
func (f KerongFrame) IR() uint16 { return uint16(f.Data[2]) | uint16(f.Data[3])<<8 }

// Bytes renders the frame with its checksum.
func (f KerongFrame) Bytes() []byte {
	if !f.Reply {
		return KerongRequest(f.Addr, f.Cmd)
	}
	b := []byte{KSTX, f.Addr, f.Cmd, f.Data[0], f.Data[1], f.Data[2], f.Data[3], KETX, 0}
	b[8] = ksum(b[:8])
	return b
}

func (f KerongFrame) String() string { return fmt.Sprintf("% X", f.Bytes()) }

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
	case KCmdStatus, KCmdUnlock, KCmdStatusAll, KCmdUnlockAll:
	default:
		return KerongFrame{}, 5, fmt.Errorf("%w: unknown command %02X", ErrBadFrame, buf[2])
	}
	return KerongFrame{Addr: buf[1], Cmd: buf[2]}, 5, nil
}

// isKerongReplyCmd lists the reply codes of the specification; all their
// frames are 9 bytes long. Knowing them lets the parser resynchronise at
// once on a stray 02.
func isKerongReplyCmd(c byte) bool {
	switch c {
	case KReplyStatus, KReplyStatusAll, KReplyUnlockTime, KReplyDelay, KReplyBaud:
		return true
	}
	return false
}

// ParseKerongReply reads a 9-byte reply (the driver's side).
func ParseKerongReply(buf []byte) (KerongFrame, int, error) {
	if len(buf) == 0 {
		return KerongFrame{}, 0, ErrIncomplete
	}
	if buf[0] != KSTX {
		i := skipTo(buf, KSTX)
		return KerongFrame{}, i, fmt.Errorf("%w: %d byte(s) of noise", ErrBadFrame, i)
	}
	if len(buf) >= 3 && !isKerongReplyCmd(buf[2]) {
		return KerongFrame{}, 1, fmt.Errorf("%w: unexpected reply command %02X", ErrBadFrame, buf[2])
	}
	if len(buf) < KerongReplyLen {
		return KerongFrame{}, 0, ErrIncomplete
	}
	if buf[7] != KETX {
		return KerongFrame{}, 1, fmt.Errorf("%w: no ETX in % X", ErrBadFrame, buf[:KerongReplyLen])
	}
	if s := ksum(buf[:8]); s != buf[8] {
		return KerongFrame{}, 1, fmt.Errorf("%w: % X (want %02X)", ErrChecksum, buf[:KerongReplyLen], s)
	}
	return KerongFrame{Addr: buf[1], Cmd: buf[2], Reply: true, Data: [4]byte{buf[3], buf[4], buf[5], buf[6]}}, KerongReplyLen, nil
}

// KerongController drives Kerong KR-CU16 boards.
type KerongController struct {
	e   *engine
	opt Options
}

// NewKerong starts a controller on port (it becomes the port's only reader).
func NewKerong(port Port, opt Options) *KerongController {
	c := &KerongController{opt: opt}
	c.e = newEngine(port, func(b []byte) (any, int, error) { return ParseKerongReply(b) }, nil, opt.logger())
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

// status asks one board (0x30) for its 0x35 reply. Only the high nibble
// of the reply's address is compared, for the reply and for a corrupt
// frame that looks like it alike: it names the board, and the
// specification's examples leave the low nibble 0.
func (c *KerongController) status(ctx context.Context, board, lock int) (KerongFrame, error) {
	want := KerongAddr(board, 0)
	ours := func(addr, cmd byte) bool { return cmd == KReplyStatus && addr&0xF0 == want }
	match := func(f any) (bool, error) {
		fr := f.(KerongFrame)
		return ours(fr.Addr, fr.Cmd), nil
	}
	looks := func(b []byte) bool { return len(b) >= 3 && b[0] == KSTX && ours(b[1], b[2]) }
	var err error
	for try := 0; try < 2; try++ {
		var f any
		f, err = c.e.request(ctx, KerongRequest(want, KCmdStatus), match, looks, c.opt.timeout())
		if err == nil {
			return f.(KerongFrame), nil
		}
		if !errors.Is(err, ErrNoAnswer) && !errors.Is(err, ErrChecksum) {
			break
		}
	}
	return KerongFrame{}, &BoardError{Board: board, Lock: lock, Err: err}
}

func (c *KerongController) lockState(board, lock int, hooks uint16) LockState {
	set := hooks&(1<<(lock-1)) != 0
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

func (c *KerongController) lockCount(board int) int {
	return min(c.opt.board(board, 16).Locks, MaxKerongLock)
}

func (c *KerongController) boardStates(board int, hooks uint16) []LockState {
	n := c.lockCount(board)
	out := make([]LockState, n)
	for l := 1; l <= n; l++ {
		out[l-1] = c.lockState(board, l, hooks)
	}
	return out
}

// Open sends 0x31 for the lock (the board does not reply to it), waits
// UnlockSettle, then reads the board's hooks with 0x30; see Controller.Open
// for the result.
func (c *KerongController) Open(ctx context.Context, board, lock int) (LockState, error) {
	if err := checkKerong(board, lock, false); err != nil {
		return LockState{}, err
	}
	if err := c.e.send(KerongRequest(KerongAddr(board, lock), KCmdUnlock)); err != nil {
		return LockState{}, &BoardError{Board: board, Lock: lock, Err: err}
	}
	settle := c.opt.UnlockSettle
	if settle <= 0 {
		settle = 100 * time.Millisecond
	}
	if err := c.e.sleep(ctx, settle); err != nil {
		return LockState{}, err
	}
	fr, err := c.status(ctx, board, lock)
	if err != nil {
		return LockState{}, err
	}
	st := c.lockState(board, lock, fr.Hooks())
	if !st.Open {
		return st, &BoardError{Board: board, Lock: lock, Err: ErrOpenFailed}
	}
	return st, nil
}

// OpenAll unlocks locks 1..BoardConfig.Locks one after another (a short
// gap keeps the power supply from sagging), then confirms with 0x30. The
// board's own 0x33 is not used: the specification does not say when its
// reply comes, so a timeout could not be chosen.
func (c *KerongController) OpenAll(ctx context.Context, board int) error {
	if err := checkKerong(board, 1, false); err != nil {
		return err
	}
	// Ask first, so an absent board fails fast instead of after N pulses.
	if _, err := c.status(ctx, board, 0); err != nil {
		return err
	}
	for l := 1; l <= c.lockCount(board); l++ {
		if err := c.e.send(KerongRequest(KerongAddr(board, l), KCmdUnlock)); err != nil {
			return &BoardError{Board: board, Lock: l, Err: err}
		}
		if err := c.e.sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	_, err := c.status(ctx, board, 0)
	return err
}

// State reads one lock from the board's 0x35 reply.
func (c *KerongController) State(ctx context.Context, board, lock int) (LockState, error) {
	if err := checkKerong(board, lock, false); err != nil {
		return LockState{}, err
	}
	fr, err := c.status(ctx, board, lock)
	if err != nil {
		return LockState{}, err
	}
	return c.lockState(board, lock, fr.Hooks()), nil
}

// States reads locks 1..BoardConfig.Locks from one 0x35 reply.
func (c *KerongController) States(ctx context.Context, board int) ([]LockState, error) {
	if err := checkKerong(board, 1, false); err != nil {
		return nil, err
	}
	fr, err := c.status(ctx, board, 0)
	if err != nil {
		return nil, err
	}
	return c.boardStates(board, fr.Hooks()), nil
}

// BusStates sends 0x32 to every board (02 F0 32 03 27) and gathers the
// 0x36 replies, one per board, keyed by board address. The number of
// boards on the line is not known in advance, so it listens for Timeout,
// or until every board in Options.Boards has answered.
func (c *KerongController) BusStates(ctx context.Context) (map[int][]LockState, error) {
	match := func(f any) (bool, error) {
		return f.(KerongFrame).Cmd == KReplyStatusAll, nil
	}
	enough := func(got []any) bool {
		if len(c.opt.Boards) == 0 {
			return false
		}
		seen := map[int]bool{}
		for _, f := range got {
			seen[f.(KerongFrame).Board()] = true
		}
		for b := range c.opt.Boards {
			if !seen[b] {
				return false
			}
		}
		return true
	}
	got, err := c.e.collect(ctx, KerongRequest(KAddrAll, KCmdStatusAll), match, nil, c.opt.timeout(), enough)
	if err != nil {
		return nil, fmt.Errorf("锁控板总线 / lock board bus (0x32 to every board): %w", err)
	}
	out := map[int][]LockState{}
	for _, f := range got {
		fr := f.(KerongFrame)
		out[fr.Board()] = c.boardStates(fr.Board(), fr.Hooks())
	}
	return out, nil
}

// Subscribe: KR-CU16 boards send no reports; the channel only closes with
// the controller.
func (c *KerongController) Subscribe() (<-chan Event, func()) { return c.e.subscribe() }

// Garbage counts noise bytes skipped on the line.
func (c *KerongController) Garbage() int { return c.e.Garbage() }

// Close stops the reader.
func (c *KerongController) Close() error { return c.e.close() }
