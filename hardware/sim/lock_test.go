package sim_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/hardware/lockboard"
	"cashier/hardware/sim"
)

// wire serves bus on one end of an in-memory pipe and returns a function
// that sends a request and reads exactly n reply bytes.
func wire(t *testing.T, bus *sim.LockBus) func(req []byte, n int) []byte {
	t.Helper()
	app, dev := net.Pipe()
	go bus.Serve(dev)
	t.Cleanup(func() { app.Close(); dev.Close(); bus.Close() })
	return func(req []byte, n int) []byte {
		t.Helper()
		require.NoError(t, app.SetDeadline(time.Now().Add(5*time.Second)))
		_, err := app.Write(req)
		require.NoError(t, err)
		got := make([]byte, n)
		_, err = io.ReadFull(app, got)
		require.NoError(t, err, "% X", req)
		return got
	}
}

func hex(s ...byte) []byte { return s }

// The simulated XOR boards answer like the documented boards: the open
// reply carries the lock's state with the board's polarity.
func TestLockBusXORGoldenReplies(t *testing.T) {
	bus := sim.NewLockBus(lockboard.XOR)
	bus.AddBoard(1, sim.LockBoardConfig{Locks: 4})
	bus.AddBoard(2, sim.LockBoardConfig{Locks: 4, Inverted: true})
	ask := wire(t, bus)

	// Normal board: opened → 00; the query agrees.
	require.Equal(t, hex(0x8A, 0x01, 0x01, 0x00, 0x8A), ask(hex(0x8A, 0x01, 0x01, 0x11, 0x9B), 5))
	require.True(t, bus.DoorOpen(1, 1))
	require.Equal(t, hex(0x80, 0x01, 0x01, 0x00, 0x80), ask(hex(0x80, 0x01, 0x01, 0x33, 0xB3), 5))
	require.Equal(t, hex(0x80, 0x01, 0x02, 0x11, 0x92), ask(hex(0x80, 0x01, 0x02, 0x33, 0xB0), 5))

	// Normal board, stuck latch: not opened → 11.
	bus.Jam(1, 2, true)
	require.Equal(t, hex(0x8A, 0x01, 0x02, 0x11, 0x98), ask(hex(0x8A, 0x01, 0x02, 0x11, 0x98), 5))
	require.False(t, bus.DoorOpen(1, 2))
	// No such lock: not opened either.
	require.Equal(t, hex(0x8A, 0x01, 0x09, 0x11, 0x93), ask(hex(0x8A, 0x01, 0x09, 0x11, 0x93), 5))

	// Inverted board: opened → 11, not opened → 00.
	require.Equal(t, hex(0x8A, 0x02, 0x01, 0x11, 0x98), ask(hex(0x8A, 0x02, 0x01, 0x11, 0x98), 5))
	require.True(t, bus.DoorOpen(2, 1))
	require.Equal(t, hex(0x80, 0x02, 0x01, 0x11, 0x92), ask(hex(0x80, 0x02, 0x01, 0x33, 0xB0), 5))
	bus.Jam(2, 2, true)
	require.Equal(t, hex(0x8A, 0x02, 0x02, 0x00, 0x8A), ask(hex(0x8A, 0x02, 0x02, 0x11, 0x9B), 5))

	// Open all is acknowledged with the request's bytes; jammed locks stay shut.
	require.Equal(t, hex(0x8A, 0x01, 0x00, 0x11, 0x9A), ask(hex(0x8A, 0x01, 0x00, 0x11, 0x9A), 5))
	require.True(t, bus.DoorOpen(1, 3))
	require.True(t, bus.DoorOpen(1, 4))
	require.False(t, bus.DoorOpen(1, 2))
}

// The simulated KR-CU16 boards send the 9-byte replies of Kerong's
// specification, down to its printed examples.
func TestLockBusKerongGoldenReplies(t *testing.T) {
	bus := sim.NewLockBus(lockboard.Kerong)
	bus.AddBoard(0, sim.LockBoardConfig{})
	bus.AddBoard(1, sim.LockBoardConfig{})
	ask := wire(t, bus)

	// Board 0: only lock 1 locked, an item in locker 1.
	for l := 2; l <= 16; l++ {
		bus.ForceOpen(0, l)
	}
	bus.SetItem(0, 1, true)
	require.Equal(t, hex(0x02, 0x00, 0x35, 0x01, 0x00, 0x01, 0x00, 0x03, 0x3C), ask(hex(0x02, 0x00, 0x30, 0x03, 0x35), 9))

	// 0x32 to F0: every board answers 0x36, in address order. Board 0:
	// locks 9 and 10 locked, item in 1; board 1: lock 1 locked, item in 12.
	bus.CloseDoor(0, 9)
	bus.CloseDoor(0, 10)
	bus.ForceOpen(0, 1)
	for l := 2; l <= 16; l++ {
		bus.ForceOpen(1, l)
	}
	bus.SetItem(1, 12, true)
	require.Equal(t, hex(
		0x02, 0x00, 0x36, 0x00, 0x03, 0x01, 0x00, 0x03, 0x3F,
		0x02, 0x10, 0x36, 0x01, 0x00, 0x00, 0x08, 0x03, 0x54,
	), ask(hex(0x02, 0xF0, 0x32, 0x03, 0x27), 18))

	// 0x31 has no reply: the next bytes on the line answer the 0x30 after
	// it, and show lock 2 unlocked.
	bus.CloseDoor(1, 2)
	require.Equal(t, hex(0x02, 0x10, 0x35, 0x03, 0x00, 0x00, 0x08, 0x03, 0x55), ask(hex(0x02, 0x10, 0x30, 0x03, 0x45), 9))
	require.Equal(t, hex(0x02, 0x10, 0x35, 0x01, 0x00, 0x00, 0x08, 0x03, 0x53),
		ask(append(hex(0x02, 0x11, 0x31, 0x03, 0x47), 0x02, 0x10, 0x30, 0x03, 0x45), 9))
	require.True(t, bus.DoorOpen(1, 2))

	// 0x33 opens every lock of the board and answers 0x35.
	require.Equal(t, hex(0x02, 0x10, 0x35, 0x00, 0x00, 0x00, 0x08, 0x03, 0x52), ask(hex(0x02, 0x10, 0x33, 0x03, 0x48), 9))
}

// An inverted KR-CU16 sets the hook bit of an open lock.
func TestLockBusKerongInverted(t *testing.T) {
	bus := sim.NewLockBus(lockboard.Kerong)
	bus.AddBoard(3, sim.LockBoardConfig{Locks: 8, Inverted: true})
	ask := wire(t, bus)
	require.Equal(t, lockboard.KerongReply(3, lockboard.KReplyStatus, 0x0000, 0), ask(lockboard.KerongRequest(0x30, lockboard.KCmdStatus), 9))
	bus.ForceOpen(3, 8)
	require.Equal(t, lockboard.KerongReply(3, lockboard.KReplyStatus, 0x0080, 0), ask(lockboard.KerongRequest(0x30, lockboard.KCmdStatus), 9))
}
