package ptytest_test

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.bug.st/serial"

	"cashier/hardware/ptytest"
)

var tricky = []byte{0x0A, 0x0D, 0x11, 0x13, 0xFF, 0x00, 0x03, 0x04, 0x1A, 0x7F, 0x0D, 0x0A, 0x1B, 0x40}

func readN(t *testing.T, p serial.Port, n int) []byte {
	t.Helper()
	require.NoError(t, p.SetReadTimeout(50*time.Millisecond))
	var out []byte
	deadline := time.Now().Add(3 * time.Second)
	buf := make([]byte, 64)
	for len(out) < n && time.Now().Before(deadline) {
		k, err := p.Read(buf)
		require.NoError(t, err)
		out = append(out, buf[:k]...)
	}
	return out
}

func TestBytesPassUnchangedBothWays(t *testing.T) {
	pair := ptytest.New(t)
	port, err := serial.Open(pair.Path, &serial.Mode{BaudRate: 9600})
	require.NoError(t, err)
	defer port.Close()

	// master → app
	_, err = pair.Master.Write(tricky)
	require.NoError(t, err)
	require.Equal(t, tricky, readN(t, port, len(tricky)))

	// app → master
	_, err = port.Write(tricky)
	require.NoError(t, err)
	got, err := pair.ReadFull(len(tricky), 3*time.Second)
	require.NoError(t, err)
	require.Equal(t, tricky, got)

	// no echo came back to the app
	require.NoError(t, port.SetReadTimeout(30*time.Millisecond))
	buf := make([]byte, 16)
	n, err := port.Read(buf)
	require.NoError(t, err)
	require.Zero(t, n, "echo: % X", buf[:n])
}

func TestBytesPassBeforeAppConfiguresPort(t *testing.T) {
	// Raw mode is set by ptytest itself, not only by the serial library.
	pair := ptytest.New(t)
	_, err := pair.Master.Write(tricky)
	require.NoError(t, err)
	port, err := serial.Open(pair.Path, &serial.Mode{BaudRate: 9600})
	require.NoError(t, err)
	defer port.Close()
	require.Equal(t, tricky, readN(t, port, len(tricky)))
}

func TestAllByteValues(t *testing.T) {
	pair := ptytest.New(t)
	port, err := serial.Open(pair.Path, &serial.Mode{BaudRate: 115200})
	require.NoError(t, err)
	defer port.Close()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	_, err = port.Write(all)
	require.NoError(t, err)
	got, err := pair.ReadFull(256, 3*time.Second)
	require.NoError(t, err)
	require.True(t, bytes.Equal(all, got))
}

func TestAppReopenDoesNotKillMaster(t *testing.T) {
	pair := ptytest.New(t)
	for i := 0; i < 3; i++ {
		port, err := serial.Open(pair.Path, &serial.Mode{BaudRate: 9600})
		require.NoError(t, err)
		_, err = port.Write([]byte{byte(i)})
		require.NoError(t, err)
		got, err := pair.ReadFull(1, 2*time.Second)
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i)}, got)
		require.NoError(t, port.Close())
	}
}

func TestUnplugAndReplug(t *testing.T) {
	pair := ptytest.New(t)
	port, err := serial.Open(pair.Path, &serial.Mode{BaudRate: 9600})
	require.NoError(t, err)
	defer port.Close()

	np := ptytest.Replug(t, pair)
	require.True(t, pair.Unplugged())
	require.NotEqual(t, pair.Path, np.Path)

	require.NoError(t, port.SetReadTimeout(time.Second))
	_, err = port.Read(make([]byte, 8))
	require.Error(t, err)
	var pe *serial.PortError
	require.True(t, errors.Is(err, syscall.EIO) || errors.As(err, &pe), "got %v", err)

	port2, err := serial.Open(np.Path, &serial.Mode{BaudRate: 9600})
	require.NoError(t, err)
	defer port2.Close()
	_, err = np.Master.Write([]byte("ok\r"))
	require.NoError(t, err)
	require.Equal(t, []byte("ok\r"), readN(t, port2, 3))
}

func TestMasterCloseUnblocksRead(t *testing.T) {
	pair, err := ptytest.Open()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := pair.Master.Read(make([]byte, 4))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	pair.Unplug()
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(3 * time.Second):
		t.Fatal("Read on master not interrupted by Close")
	}
}
