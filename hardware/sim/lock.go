package sim

import (
	"errors"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"cashier/hardware/lockboard"
	"cashier/hardware/ptytest"
)

// LockBoardConfig describes one simulated board on the line.
type LockBoardConfig struct {
	Locks int // default 24 (XOR) / 16 (Kerong)
	// Inverted: feedback wired the other way, so state 11 / a set hook bit
	// means open — in open replies, query replies and reports alike.
	Inverted bool
	Reports  bool // XOR: send 82 reports when a door changes
}

// LockDoorEvent tells the UI a simulated door changed.
type LockDoorEvent struct {
	Board, Lock int
	Open        bool
	At          time.Time
}

type lockBoardSim struct {
	cfg    LockBoardConfig
	doors  map[int]bool // true = open
	jammed map[int]bool // the latch does not release on command
	items  map[int]bool // Kerong: the infrared strip sees an item
}

// LockBus is a simulated RS-485 line with lock boards of one protocol.
// Boards answer only to their own address; an absent board is silence.
// Doors open on command and stay open until CloseDoor (the test or the
// UI shuts them).
//
// XOR boards answer an open with the lock's state after the pulse, under
// the board's polarity (normal: 8A bb ll 00 xx opened, 8A bb ll 11 xx not);
// open-all is acknowledged with 8A bb 00 11 xx. KR-CU16 boards answer 0x30
// with a 9-byte 0x35 frame, 0x32 sent to F0 with one 0x36 frame from every
// board in address order, 0x33 with 0x35, and 0x31 not at all.
type LockBus struct {
	proto lockboard.Protocol

	mu       sync.Mutex
	wmu      sync.Mutex
	w        io.Writer
	boards   map[int]*lockBoardSim
	subs     map[chan LockDoorEvent]struct{}
	corruptN int
	silentN  int
	echo     bool
	received [][]byte
	pair     *ptytest.Pair
	closed   bool
	closers  []func() error
}

// NewLockBus makes an empty line; add boards with AddBoard.
func NewLockBus(p lockboard.Protocol) *LockBus {
	if p == "" {
		p = lockboard.XOR
	}
	return &LockBus{proto: p, boards: map[int]*lockBoardSim{}, subs: map[chan LockDoorEvent]struct{}{}}
}

// Protocol is the line's protocol.
func (b *LockBus) Protocol() lockboard.Protocol { return b.proto }

// AddBoard puts a board with address addr on the line, all doors closed.
func (b *LockBus) AddBoard(addr int, cfg LockBoardConfig) {
	if cfg.Locks <= 0 {
		cfg.Locks = 24
		if b.proto == lockboard.Kerong {
			cfg.Locks = 16
		}
	}
	b.mu.Lock()
	b.boards[addr] = &lockBoardSim{cfg: cfg, doors: map[int]bool{}, jammed: map[int]bool{}, items: map[int]bool{}}
	b.mu.Unlock()
}

// Boards lists the board addresses on the line.
func (b *LockBus) Boards() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []int
	for a := range b.boards {
		out = append(out, a)
	}
	sort.Ints(out)
	return out
}

// Locks is the number of locks on a board (0 if absent).
func (b *LockBus) Locks(board int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bd := b.boards[board]; bd != nil {
		return bd.cfg.Locks
	}
	return 0
}

// DoorOpen reports whether a door is open.
func (b *LockBus) DoorOpen(board, lock int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bd := b.boards[board]; bd != nil {
		return bd.doors[lock]
	}
	return false
}

// CloseDoor shuts a door (someone pushed it closed).
func (b *LockBus) CloseDoor(board, lock int) { b.setDoor(board, lock, false) }

// ForceOpen opens a door without a command (e.g. with a key).
func (b *LockBus) ForceOpen(board, lock int) { b.setDoor(board, lock, true) }

func (b *LockBus) setDoor(board, lock int, open bool) {
	b.mu.Lock()
	bd := b.boards[board]
	if bd == nil || lock < 1 || lock > bd.cfg.Locks || bd.doors[lock] == open {
		b.mu.Unlock()
		return
	}
	bd.doors[lock] = open
	report := bd.cfg.Reports && b.proto == lockboard.XOR
	ev := LockDoorEvent{Board: board, Lock: lock, Open: open, At: time.Now()}
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
	ss := b.xorStateLocked(bd, lock)
	b.mu.Unlock()
	if report {
		b.send(lockboard.XORFrame{Head: lockboard.HeadReport, Board: byte(board), Lock: byte(lock), Func: ss}.Bytes())
	}
}

// Jam makes a lock's latch stick (true) or work again (false): commands no
// longer open its door, and the board says so in its reply.
func (b *LockBus) Jam(board, lock int, jammed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bd := b.boards[board]; bd != nil {
		bd.jammed[lock] = jammed
	}
}

// SetItem puts an item in a locker (true) or takes it out, as a KR-CU16's
// infrared strip sees it.
func (b *LockBus) SetItem(board, lock int, present bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bd := b.boards[board]; bd != nil {
		bd.items[lock] = present
	}
}

// Subscribe receives door changes (for the UI's cabinet view).
func (b *LockBus) Subscribe() (<-chan LockDoorEvent, func()) {
	ch := make(chan LockDoorEvent, 64)
	b.mu.Lock()
	if b.closed {
		close(ch)
		b.mu.Unlock()
		return ch, func() {}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
		b.mu.Unlock()
	}
}

// CorruptNextReplies sends the next n replies with a wrong checksum.
func (b *LockBus) CorruptNextReplies(n int) {
	b.mu.Lock()
	b.corruptN = n
	b.mu.Unlock()
}

// DropNextReplies leaves the next n requests unanswered.
func (b *LockBus) DropNextReplies(n int) {
	b.mu.Lock()
	b.silentN = n
	b.mu.Unlock()
}

// SetEcho makes the line's adapter echo every byte the app sends, before
// any board answers, as many RS-485 adapters do.
func (b *LockBus) SetEcho(on bool) {
	b.mu.Lock()
	b.echo = on
	b.mu.Unlock()
}

// Noise writes raw bytes onto the line (interference, a half frame).
func (b *LockBus) Noise(p []byte) { b.send(p) }

// Received lists every good request frame seen on the line.
func (b *LockBus) Received() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.received...)
}

// ServePTY creates a pseudo-terminal, serves the line on its master side
// and returns the path the app opens.
func (b *LockBus) ServePTY() (string, error) {
	p, err := ptytest.Open()
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	b.pair = p
	b.mu.Unlock()
	go b.Serve(p.Master)
	return p.Path, nil
}

// Close stops the simulator and its pseudo-terminal.
func (b *LockBus) Close() error {
	b.mu.Lock()
	b.closed = true
	p := b.pair
	for ch := range b.subs {
		close(ch)
	}
	b.subs = map[chan LockDoorEvent]struct{}{}
	closers := b.closers
	b.closers = nil
	b.mu.Unlock()
	if p != nil {
		p.Unplug()
	}
	for _, c := range closers {
		c()
	}
	return nil
}

func (b *LockBus) send(p []byte) {
	b.mu.Lock()
	w := b.w
	b.mu.Unlock()
	if w == nil {
		return
	}
	b.wmu.Lock()
	w.Write(p)
	b.wmu.Unlock()
}

func (b *LockBus) reply(p []byte) {
	b.mu.Lock()
	if b.silentN > 0 {
		b.silentN--
		b.mu.Unlock()
		return
	}
	if b.corruptN > 0 {
		b.corruptN--
		p = append([]byte(nil), p...)
		p[len(p)-1] ^= 0x5A
	}
	b.mu.Unlock()
	b.send(p)
}

// Serve answers requests on rw until it fails or the simulator closes.
func (b *LockBus) Serve(rw io.ReadWriter) error {
	b.mu.Lock()
	b.w = rw
	b.mu.Unlock()
	var buf []byte
	tmp := make([]byte, 256)
	for {
		n, err := rw.Read(tmp)
		buf = append(buf, tmp[:n]...)
		b.mu.Lock()
		echo := b.echo
		b.mu.Unlock()
		if echo && n > 0 {
			b.send(tmp[:n])
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return err
		}
		for len(buf) > 0 {
			var k int
			var perr error
			if b.proto == lockboard.Kerong {
				var f lockboard.KerongFrame
				f, k, perr = lockboard.ParseKerongRequest(buf)
				if perr == nil {
					b.record(buf[:k])
					b.handleKerong(f)
				}
			} else {
				var f lockboard.XORFrame
				f, k, perr = lockboard.ParseXOR(buf)
				if perr == nil {
					b.record(buf[:k])
					b.handleXOR(f)
				}
			}
			if errors.Is(perr, lockboard.ErrIncomplete) {
				break
			}
			buf = buf[k:] // bad bytes are skipped silently, as boards do
		}
		buf = append(buf[:0:0], buf...)
	}
}

func (b *LockBus) record(p []byte) {
	b.mu.Lock()
	b.received = append(b.received, append([]byte(nil), p...))
	b.mu.Unlock()
}

// xorStateLocked is the query state byte for a door under the board's polarity.
func (b *LockBus) xorStateLocked(bd *lockBoardSim, lock int) byte {
	closed := !bd.doors[lock]
	if bd.cfg.Inverted {
		closed = !closed
	}
	if closed {
		return lockboard.StateOn
	}
	return lockboard.StateOff
}

func (b *LockBus) handleXOR(f lockboard.XORFrame) {
	board, lock := int(f.Board), int(f.Lock)
	b.mu.Lock()
	bd := b.boards[board]
	b.mu.Unlock()
	if bd == nil {
		return // nobody at that address
	}
	switch {
	case f.Head == lockboard.HeadOpen && f.Func == lockboard.FuncOpen:
		if lock == 0 {
			for l := 1; l <= bd.cfg.Locks; l++ {
				b.pulse(board, l)
			}
			// Public captures show open-all answered with the request's bytes.
			b.reply(lockboard.XORFrame{Head: lockboard.HeadOpen, Board: f.Board, Lock: 0, Func: lockboard.FuncOpen}.Bytes())
			return
		}
		b.pulse(board, lock)
		b.mu.Lock()
		var ss byte
		if lock > bd.cfg.Locks {
			ss = xorClosedByte(bd) // no such lock: nothing opened
		} else {
			ss = b.xorStateLocked(bd, lock)
		}
		b.mu.Unlock()
		b.reply(lockboard.XORFrame{Head: lockboard.HeadOpen, Board: f.Board, Lock: f.Lock, Func: ss}.Bytes())
	case f.Head == lockboard.HeadQuery && f.Func == lockboard.FuncQuery:
		if lock < 1 || lock > bd.cfg.Locks {
			return
		}
		b.mu.Lock()
		ss := b.xorStateLocked(bd, lock)
		b.mu.Unlock()
		b.reply(lockboard.XORFrame{Head: lockboard.HeadQuery, Board: f.Board, Lock: f.Lock, Func: ss}.Bytes())
	}
}

// xorClosedByte is what a board says for a closed door under its polarity.
func xorClosedByte(bd *lockBoardSim) byte {
	if bd.cfg.Inverted {
		return lockboard.StateOff
	}
	return lockboard.StateOn
}

// pulse is one unlock command: the door opens unless the lock is jammed
// or does not exist.
func (b *LockBus) pulse(board, lock int) {
	b.mu.Lock()
	bd := b.boards[board]
	ok := bd != nil && lock >= 1 && lock <= bd.cfg.Locks && !bd.jammed[lock]
	b.mu.Unlock()
	if ok {
		b.setDoorQuiet(board, lock)
	}
}

// setDoorQuiet opens a door on command: subscribers hear of it, but no 82
// report goes out (the command's reply says it).
func (b *LockBus) setDoorQuiet(board, lock int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bd := b.boards[board]
	if bd == nil || bd.doors[lock] {
		return
	}
	bd.doors[lock] = true
	ev := LockDoorEvent{Board: board, Lock: lock, Open: true, At: time.Now()}
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// kerongBitsLocked renders a board's hook bits (set = locked, or open on
// an inverted board) and infrared bits (set = item present).
func (b *LockBus) kerongBitsLocked(bd *lockBoardSim) (hooks, ir uint16) {
	for l := 1; l <= bd.cfg.Locks && l <= lockboard.MaxKerongLock; l++ {
		set := !bd.doors[l] // set = locked
		if bd.cfg.Inverted {
			set = !set
		}
		if set {
			hooks |= 1 << (l - 1)
		}
		if bd.items[l] {
			ir |= 1 << (l - 1)
		}
	}
	return hooks, ir
}

func (b *LockBus) kerongReply(board int, bd *lockBoardSim, cmd byte) {
	b.mu.Lock()
	hooks, ir := b.kerongBitsLocked(bd)
	b.mu.Unlock()
	b.reply(lockboard.KerongReply(board, cmd, hooks, ir))
}

func (b *LockBus) handleKerong(f lockboard.KerongFrame) {
	if f.Cmd == lockboard.KCmdStatusAll {
		// Only the bus-wide form is documented: every board answers, in turn.
		if f.Addr != lockboard.KAddrAll {
			return
		}
		for _, a := range b.Boards() {
			b.mu.Lock()
			bd := b.boards[a]
			b.mu.Unlock()
			b.kerongReply(a, bd, lockboard.KReplyStatusAll)
		}
		return
	}
	board := f.Board()
	b.mu.Lock()
	bd := b.boards[board]
	b.mu.Unlock()
	if bd == nil {
		return
	}
	switch f.Cmd {
	case lockboard.KCmdUnlock:
		b.pulse(board, f.Lock()) // no reply, as the specification shows
	case lockboard.KCmdUnlockAll:
		for l := 1; l <= bd.cfg.Locks; l++ {
			b.pulse(board, l)
		}
		b.kerongReply(board, bd, lockboard.KReplyStatus)
	case lockboard.KCmdStatus:
		b.kerongReply(board, bd, lockboard.KReplyStatus)
	}
}
