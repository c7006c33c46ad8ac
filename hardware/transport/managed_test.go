package transport

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/hardware"
	"cashier/hardware/ptytest"
)

// fakeUSB is an enumerator whose one device can be moved or removed.
type fakeUSB struct {
	mu   sync.Mutex
	path string // "" = unplugged
}

func (f *fakeUSB) set(p string) { f.mu.Lock(); f.path = p; f.mu.Unlock() }
func (f *fakeUSB) Ports() ([]PortInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []PortInfo{{Name: "/dev/ttyS0"}}
	if f.path != "" {
		out = append(out, PortInfo{Name: f.path, IsUSB: true, VID: "1A86", PID: "7523", SerialNumber: "SN42", Product: "USB Serial"})
	}
	return out, nil
}

func waitState(t *testing.T, ch <-chan State, want hardware.DeviceState) State {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case s, ok := <-ch:
			require.True(t, ok, "subscription closed while waiting for %s", want)
			if s.State == want {
				return s
			}
		case <-timeout:
			t.Fatalf("timed out waiting for state %s", want)
		}
	}
}

func waitWaiters(t *testing.T, c *app.ManualClock) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Waiters() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("reconnect loop never waited on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestManagedRediscoversUSBDeviceUnderNewName(t *testing.T) {
	pair := ptytest.New(t)
	enum := &fakeUSB{path: pair.Path}
	clock := app.NewManualClock(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC))
	m := NewManaged("scanner", MustParseSpec("usb:1A86:7523:SN42?baud=9600"), ManagedOptions{
		Opener:  &Opener{Enumerator: enum},
		Clock:   clock,
		Backoff: ExponentialBackoff{Initial: time.Second, Max: 8 * time.Second},
	})
	states, cancel := m.Subscribe()
	defer cancel()
	m.Start()
	defer m.Close()

	s := waitState(t, states, hardware.StateReady)
	require.Equal(t, pair.Path, s.Port)
	port := m.Port()
	require.NoError(t, port.SetReadTimeout(50*time.Millisecond))

	// A driver-like reader.
	got := make(chan []byte, 16)
	readErrs := make(chan error, 16)
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := port.Read(buf)
			if errors.Is(err, ErrManagedClosed) {
				return
			}
			if err != nil {
				readErrs <- err
				continue
			}
			if n > 0 {
				got <- append([]byte(nil), buf[:n]...)
			}
		}
	}()
	_, err := pair.Master.Write([]byte("A1"))
	require.NoError(t, err)
	require.Equal(t, "A1", string(<-got))

	// Unplug: the enumerator no longer lists it.
	// The new pty is created before the old one goes, so it gets another
	// /dev/pts number (as a real adapter coming back as ttyUSB1).
	enum.set("")
	np := ptytest.Replug(t, pair)
	require.ErrorIs(t, <-readErrs, hardware.ErrPortClosed)
	waitState(t, states, hardware.StateDisconnected)
	_, err = port.Write([]byte("x"))
	require.ErrorIs(t, err, ErrNotConnected)

	// The immediate retry finds nothing and waits for the backoff.
	waitWaiters(t, clock)
	s = m.State()
	require.Equal(t, hardware.StateDisconnected, s.State)
	require.ErrorIs(t, s.Err, ErrNotFound)

	// Device comes back under another name.
	require.NotEqual(t, pair.Path, np.Path)
	enum.set(np.Path)
	clock.Advance(time.Second)
	s = waitState(t, states, hardware.StateReady)
	require.Equal(t, np.Path, s.Port)

	_, err = np.Master.Write([]byte("B2"))
	require.NoError(t, err)
	require.Equal(t, "B2", string(<-got))
	_, err = port.Write([]byte("ok"))
	require.NoError(t, err)
	b, err := np.ReadFull(2, 2*time.Second)
	require.NoError(t, err)
	require.Equal(t, "ok", string(b))
}

func TestManagedBackoffGrows(t *testing.T) {
	enum := &fakeUSB{}
	clock := app.NewManualClock(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC))
	m := NewManaged("speaker", MustParseSpec("usb:1A86:7523"), ManagedOptions{
		Opener:  &Opener{Enumerator: enum},
		Clock:   clock,
		Backoff: ExponentialBackoff{Initial: time.Second, Max: 4 * time.Second},
	})
	m.Start()
	defer m.Close()
	// Attempts wait 1 s, 2 s, 4 s, 4 s: advancing less than the wait does not retry.
	for i, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		waitWaiters(t, clock)
		st := m.State()
		require.Equal(t, i+1, st.Attempt)
		require.Contains(t, st.Message, wait.String())
		clock.Advance(wait - time.Millisecond)
		require.Equal(t, 1, clock.Waiters())
		clock.Advance(time.Millisecond)
	}
	waitWaiters(t, clock)
	m.Reconnect() // skip the wait
	deadline := time.Now().Add(3 * time.Second)
	for m.State().Attempt < 6 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	require.GreaterOrEqual(t, m.State().Attempt, 6)
}

func TestManagedWaitReadyAndClose(t *testing.T) {
	pair := ptytest.New(t)
	m := NewManaged("lock", MustParseSpec(pair.Path), ManagedOptions{})
	m.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	require.NoError(t, m.WaitReady(ctx))
	m.Report(hardware.StateBusy, "正在播报 / speaking")
	require.Equal(t, hardware.StateBusy, m.State().State)
	require.NoError(t, m.Close())
	_, err := m.Port().Read(make([]byte, 1))
	require.ErrorIs(t, err, ErrManagedClosed)
	_, err = m.Port().Write([]byte{1})
	require.ErrorIs(t, err, ErrManagedClosed)
	require.ErrorIs(t, m.WaitReady(ctx), ErrManagedClosed)
}

func TestManagedPermissionIsErrorState(t *testing.T) {
	clock := app.NewManualClock(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC))
	m := NewManaged("printer", MustParseSpec("/dev/ttyUSB7"), ManagedOptions{
		Clock: clock,
		Opener: &Opener{OpenSerial: func(string, *serialMode) (serialPort_, error) {
			return nil, errPermissionForTest
		}},
	})
	reg := NewRegistry()
	sub, cancel := reg.Subscribe()
	defer cancel()
	reg.Add(m)
	m.Start()
	defer reg.Close()
	waitWaiters(t, clock)
	st := reg.States()[0]
	require.Equal(t, hardware.StateError, st.State)
	require.ErrorIs(t, st.Err, ErrPermission)
	require.Contains(t, st.Message, "dialout")
	require.Equal(t, "printer", st.Device)
	select {
	case <-sub:
	case <-time.After(2 * time.Second):
		t.Fatal("registry did not forward states")
	}
}
