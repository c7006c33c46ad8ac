package lockboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/hardware/lockboard"
	"cashier/hardware/ptytest"
	"cashier/hardware/sim"
	"cashier/hardware/transport"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func line(t *testing.T, p lockboard.Protocol, boards map[int]sim.LockBoardConfig, opt lockboard.Options) (*sim.LockBus, lockboard.Controller) {
	t.Helper()
	bus := sim.NewLockBus(p)
	for a, c := range boards {
		bus.AddBoard(a, c)
	}
	path, err := bus.ServePTY()
	require.NoError(t, err)
	t.Cleanup(func() { bus.Close() })
	port, err := transport.Open(transport.MustParseSpec(path).WithDefaultBaud(p.DefaultBaud()))
	require.NoError(t, err)
	t.Cleanup(func() { port.Close() })
	if opt.Timeout == 0 {
		opt.Timeout = 400 * time.Millisecond // generous: the test machine is shared and loaded
	}
	if opt.OpenTimeout == 0 {
		opt.OpenTimeout = 800 * time.Millisecond
	}
	c, err := lockboard.New(p, port, opt)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return bus, c
}

func TestXOROpenAndQueryManyBoards(t *testing.T) {
	boards := map[int]sim.LockBoardConfig{}
	for a := 1; a <= 32; a++ {
		boards[a] = sim.LockBoardConfig{Locks: 12}
	}
	bus, c := line(t, lockboard.XOR, boards, lockboard.Options{Boards: map[int]lockboard.BoardConfig{5: {Locks: 12}}})
	for _, a := range []int{1, 7, 32} {
		s, err := c.State(ctx(t), a, 3)
		require.NoError(t, err)
		require.False(t, s.Open)
		s, err = c.Open(ctx(t), a, 3)
		require.NoError(t, err)
		require.True(t, s.Open)
		require.True(t, bus.DoorOpen(a, 3))
		require.False(t, bus.DoorOpen(a, 4))
		s, err = c.State(ctx(t), a, 3)
		require.NoError(t, err)
		require.True(t, s.Open)
		require.Equal(t, byte(0x00), s.Raw)
	}
	// the golden open frame goes over the wire
	_, err := c.Open(ctx(t), 1, 1)
	require.NoError(t, err)
	require.Contains(t, bus.Received(), []byte{0x8A, 0x01, 0x01, 0x11, 0x9B})
	found := false
	for _, f := range bus.Received() {
		if string(f) == string([]byte{0x8A, 0x07, 0x03, 0x11, 0x9F}) {
			found = true
		}
	}
	require.True(t, found)

	bus.CloseDoor(7, 3)
	s, err := c.State(ctx(t), 7, 3)
	require.NoError(t, err)
	require.False(t, s.Open)

	require.NoError(t, c.OpenAll(ctx(t), 5))
	all, err := c.States(ctx(t), 5)
	require.NoError(t, err)
	require.Len(t, all, 12)
	for _, s := range all {
		require.True(t, s.Open)
	}
}

func TestXORPolarityPerBoard(t *testing.T) {
	bus, c := line(t, lockboard.XOR,
		map[int]sim.LockBoardConfig{1: {Locks: 4}, 2: {Locks: 4, Inverted: true}},
		lockboard.Options{Boards: map[int]lockboard.BoardConfig{1: {Locks: 4}, 2: {Locks: 4, Inverted: true}}})
	bus.ForceOpen(1, 2)
	bus.ForceOpen(2, 2)
	for _, b := range []int{1, 2} {
		st, err := c.States(ctx(t), b)
		require.NoError(t, err)
		require.Len(t, st, 4)
		for _, s := range st {
			require.Equal(t, s.Lock == 2, s.Open, "board %d lock %d", b, s.Lock)
		}
	}
	// Raw bytes differ, meaning is the same.
	s1, _ := c.State(ctx(t), 1, 1)
	s2, _ := c.State(ctx(t), 2, 1)
	require.Equal(t, byte(0x11), s1.Raw)
	require.Equal(t, byte(0x00), s2.Raw)
	require.False(t, s1.Open)
	require.False(t, s2.Open)

	// The open reply follows the same polarity.
	for _, b := range []int{1, 2} {
		s, err := c.Open(ctx(t), b, 3)
		require.NoError(t, err, "board %d", b)
		require.True(t, s.Open)
		require.True(t, bus.DoorOpen(b, 3))
		bus.Jam(b, 4, true)
		s, err = c.Open(ctx(t), b, 4)
		require.ErrorIs(t, err, lockboard.ErrOpenFailed, "board %d", b)
		require.False(t, s.Open)
		require.False(t, bus.DoorOpen(b, 4))
	}
	s1, _ = c.Open(ctx(t), 1, 1)
	s2, _ = c.Open(ctx(t), 2, 1)
	require.Equal(t, byte(0x00), s1.Raw, "normal board: 00 = opened")
	require.Equal(t, byte(0x11), s2.Raw, "inverted board: 11 = opened")
}

// The same over a line whose adapter echoes every request.
func TestXOREchoingLine(t *testing.T) {
	bus, c := line(t, lockboard.XOR,
		map[int]sim.LockBoardConfig{1: {Locks: 4, Reports: true}, 2: {Locks: 4, Inverted: true}},
		lockboard.Options{OpenAllTimeout: time.Second,
			Boards: map[int]lockboard.BoardConfig{1: {Locks: 4}, 2: {Locks: 4, Inverted: true}}})
	bus.SetEcho(true)
	ev, cancel := c.Subscribe()
	defer cancel()
	for _, b := range []int{1, 2} {
		s, err := c.Open(ctx(t), b, 3)
		require.NoError(t, err, "board %d", b)
		require.True(t, s.Open)
		bus.Jam(b, 4, true)
		s, err = c.Open(ctx(t), b, 4)
		require.ErrorIs(t, err, lockboard.ErrOpenFailed, "board %d", b)
		require.False(t, s.Open)
		require.False(t, bus.DoorOpen(b, 4))
		st, err := c.States(ctx(t), b)
		require.NoError(t, err)
		for _, s := range st {
			require.Equal(t, s.Lock == 3, s.Open, "board %d lock %d", b, s.Lock)
		}
	}
	require.NoError(t, c.OpenAll(ctx(t), 2))
	require.True(t, bus.DoorOpen(2, 1))
	_, err := c.Open(ctx(t), 9, 1)
	require.ErrorIs(t, err, lockboard.ErrNoAnswer, "an absent board: the echo is not its answer")
	require.ErrorIs(t, c.OpenAll(ctx(t), 9), lockboard.ErrNoAnswer)

	bus.CloseDoor(1, 3)
	e := <-ev
	require.Equal(t, 1, e.Board)
	require.Equal(t, 3, e.Lock)
	require.False(t, e.Open)
}

func TestXORUnsolicitedReports(t *testing.T) {
	bus, c := line(t, lockboard.XOR,
		map[int]sim.LockBoardConfig{3: {Locks: 8, Reports: true}, 4: {Locks: 8, Reports: true, Inverted: true}},
		lockboard.Options{Boards: map[int]lockboard.BoardConfig{4: {Inverted: true}}})
	ev, cancel := c.Subscribe()
	defer cancel()
	_, err := c.Open(ctx(t), 3, 5)
	require.NoError(t, err)
	bus.CloseDoor(3, 5)
	e := <-ev
	require.Equal(t, 3, e.Board)
	require.Equal(t, 5, e.Lock)
	require.False(t, e.Open)

	bus.ForceOpen(4, 1)
	e = <-ev
	require.Equal(t, 4, e.Board)
	require.True(t, e.Open, "inverted board's report read with its polarity")

	// A report arriving while a request waits does not confuse the reply.
	go bus.ForceOpen(3, 6)
	s, err := c.State(ctx(t), 3, 6)
	require.NoError(t, err)
	_ = s
	e = <-ev
	require.Equal(t, 6, e.Lock)
}

func TestXORUnknownBoardAndBadLock(t *testing.T) {
	_, c := line(t, lockboard.XOR, map[int]sim.LockBoardConfig{1: {Locks: 4}}, lockboard.Options{})
	_, err := c.Open(ctx(t), 9, 1)
	require.ErrorIs(t, err, lockboard.ErrNoAnswer)
	require.Contains(t, err.Error(), "锁控板 9")
	require.Contains(t, err.Error(), "board 9")
	require.Contains(t, err.Error(), "address switches")

	_, err = c.Open(ctx(t), 1, 9) // the board answers 00: no such lock
	require.ErrorIs(t, err, lockboard.ErrOpenFailed)

	_, err = c.Open(ctx(t), 33, 1)
	require.ErrorIs(t, err, lockboard.ErrAddress)
	_, err = c.State(ctx(t), 1, 0)
	require.ErrorIs(t, err, lockboard.ErrAddress)
}

func TestXORWrongChecksumAndGarbage(t *testing.T) {
	bus, c := line(t, lockboard.XOR, map[int]sim.LockBoardConfig{1: {Locks: 4}}, lockboard.Options{})
	// One corrupt reply: the query is asked again and succeeds.
	bus.CorruptNextReplies(1)
	s, err := c.State(ctx(t), 1, 1)
	require.NoError(t, err)
	require.False(t, s.Open)
	// Every reply corrupt: after the timeout, a clear checksum error, not
	// "no answer".
	bus.CorruptNextReplies(2)
	_, err = c.State(ctx(t), 1, 1)
	require.ErrorIs(t, err, lockboard.ErrChecksum)
	require.Contains(t, err.Error(), "校验错误")
	// An open is not repeated; its corrupt reply is reported.
	bus.CorruptNextReplies(1)
	_, err = c.Open(ctx(t), 1, 2)
	require.ErrorIs(t, err, lockboard.ErrChecksum)
	require.True(t, bus.DoorOpen(1, 2), "the door did open; only the reply was garbled")

	// Noise on the line between frames is skipped.
	bus.Noise([]byte{0x00, 0x8A, 0xFF, 0x80, 0x13, 0x11, 0x0D})
	time.Sleep(30 * time.Millisecond)
	s, err = c.State(ctx(t), 1, 2)
	require.NoError(t, err)
	require.True(t, s.Open)
	require.Greater(t, c.(*lockboard.XORController).Garbage(), 0)
}

func TestKerongOverPty(t *testing.T) {
	bus, c := line(t, lockboard.Kerong,
		map[int]sim.LockBoardConfig{0: {}, 1: {}, 9: {Locks: 8, Inverted: true}},
		lockboard.Options{UnlockSettle: 20 * time.Millisecond,
			Boards: map[int]lockboard.BoardConfig{9: {Locks: 8, Inverted: true}}})
	s, err := c.State(ctx(t), 1, 16)
	require.NoError(t, err)
	require.False(t, s.Open)
	s, err = c.Open(ctx(t), 1, 16)
	require.NoError(t, err)
	require.True(t, s.Open)
	require.True(t, bus.DoorOpen(1, 16))
	require.Contains(t, bus.Received(), []byte{0x02, 0x1F, 0x31, 0x03, 0x55})

	st, err := c.States(ctx(t), 1)
	require.NoError(t, err)
	require.Len(t, st, 16)
	for _, s := range st {
		require.Equal(t, s.Lock == 16, s.Open)
	}

	require.NoError(t, c.OpenAll(ctx(t), 9))
	st, err = c.States(ctx(t), 9)
	require.NoError(t, err)
	require.Len(t, st, 8)
	for _, s := range st {
		require.True(t, s.Open)
	}
	bus.CloseDoor(9, 3)
	s, err = c.State(ctx(t), 9, 3)
	require.NoError(t, err)
	require.False(t, s.Open)

	// A latch that does not release: the board's hooks say so.
	bus.Jam(0, 5, true)
	s, err = c.Open(ctx(t), 0, 5)
	require.ErrorIs(t, err, lockboard.ErrOpenFailed)
	require.False(t, s.Open)
	require.Equal(t, 5, s.Lock)

	_, err = c.Open(ctx(t), 7, 1)
	require.ErrorIs(t, err, lockboard.ErrNoAnswer)
	require.Contains(t, err.Error(), "board 7")
	// F0 is the bus-wide address, so boards stop at 9 (ADDR 0x00-0x9F).
	for _, b := range []int{10, 15, 16} {
		_, err = c.State(ctx(t), b, 1)
		require.ErrorIs(t, err, lockboard.ErrAddress, "board %d", b)
	}

	bus.CorruptNextReplies(2)
	_, err = c.State(ctx(t), 0, 1)
	require.ErrorIs(t, err, lockboard.ErrChecksum)
	_, err = c.State(ctx(t), 0, 1)
	require.NoError(t, err)
}

func TestMissingPortAndDeadLine(t *testing.T) {
	_, err := transport.OpenString("/dev/ttyNOPE0")
	require.ErrorIs(t, err, transport.ErrNotFound)

	pair := ptytest.New(t)
	port, err := transport.OpenString(pair.Path)
	require.NoError(t, err)
	defer port.Close()
	c := lockboard.NewXOR(port, lockboard.Options{Timeout: 50 * time.Millisecond})
	defer c.Close()
	pair.Unplug()
	_, err = c.Open(ctx(t), 1, 1)
	require.Error(t, err)
	require.Contains(t, err.Error(), "/")
}

func TestXOROverTCP(t *testing.T) {
	bus := sim.NewLockBus(lockboard.XOR)
	bus.AddBoard(2, sim.LockBoardConfig{Locks: 4})
	addr, err := bus.ServeTCP("127.0.0.1:0")
	require.NoError(t, err)
	defer bus.Close()
	p, err := transport.OpenString("tcp:" + addr)
	require.NoError(t, err)
	defer p.Close()
	c := lockboard.NewXOR(p, lockboard.Options{})
	defer c.Close()
	s, err := c.Open(ctx(t), 2, 4)
	require.NoError(t, err)
	require.True(t, s.Open)
	require.True(t, bus.DoorOpen(2, 4))
}

// 0x32 goes to every board at once (ADDR F0); each answers with a 0x36
// frame and the controller gathers them by address.
func TestKerongBusStates(t *testing.T) {
	bus, c := line(t, lockboard.Kerong,
		map[int]sim.LockBoardConfig{0: {}, 2: {Locks: 8}, 9: {Locks: 4, Inverted: true}},
		lockboard.Options{Timeout: 5 * time.Second, // ends early: every configured board answers
			Boards: map[int]lockboard.BoardConfig{0: {}, 2: {Locks: 8}, 9: {Locks: 4, Inverted: true}}})
	bus.ForceOpen(0, 16)
	bus.ForceOpen(2, 3)
	bus.ForceOpen(9, 4)
	start := time.Now()
	all, err := c.(*lockboard.KerongController).BusStates(ctx(t))
	require.NoError(t, err)
	require.Less(t, time.Since(start), 4*time.Second, "stops once the configured boards answered")
	require.Len(t, all, 3)
	require.Len(t, all[0], 16)
	require.Len(t, all[2], 8)
	require.Len(t, all[9], 4)
	for b, sts := range all {
		for _, s := range sts {
			want := (b == 0 && s.Lock == 16) || (b == 2 && s.Lock == 3) || (b == 9 && s.Lock == 4)
			require.Equal(t, want, s.Open, "board %d lock %d", b, s.Lock)
			require.Equal(t, b, s.Board)
		}
	}
	require.Contains(t, bus.Received(), []byte{0x02, 0xF0, 0x32, 0x03, 0x27})

	// With no board list it listens for the whole timeout window.
	bus2, c2 := line(t, lockboard.Kerong, map[int]sim.LockBoardConfig{4: {}}, lockboard.Options{})
	bus2.ForceOpen(4, 1)
	all, err = c2.(*lockboard.KerongController).BusStates(ctx(t))
	require.NoError(t, err)
	require.Len(t, all, 1)
	require.True(t, all[4][0].Open)

	// Nobody on the line.
	_, c3 := line(t, lockboard.Kerong, nil, lockboard.Options{Timeout: 100 * time.Millisecond})
	_, err = c3.(*lockboard.KerongController).BusStates(ctx(t))
	require.ErrorIs(t, err, lockboard.ErrNoAnswer)
}
