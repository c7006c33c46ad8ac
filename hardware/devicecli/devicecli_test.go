package devicecli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	qr "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/require"
	"go.bug.st/serial"

	"cashier/hardware/lockboard"
	"cashier/hardware/ptytest"
	"cashier/hardware/sim"
	"cashier/hardware/speaker"
	"cashier/hardware/transport"
)

func call(fn func(args []string, stdout, stderr io.Writer) int, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := fn(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestList(t *testing.T) {
	old := Enumerator
	defer func() { Enumerator = old }()
	Enumerator = transport.EnumeratorFunc(func() ([]transport.PortInfo, error) {
		return []transport.PortInfo{
			{Name: "/dev/ttyS0"},
			{Name: "/dev/ttyUSB0", IsUSB: true, VID: "1A86", PID: "7523", SerialNumber: "A50285BI", Manufacturer: "QinHeng", Product: "USB Serial"},
		}, nil
	})
	code, out, _ := call(List)
	require.Equal(t, 0, code)
	require.Contains(t, out, "/dev/ttyUSB0")
	require.Contains(t, out, "1A86")
	require.Contains(t, out, "7523")
	require.Contains(t, out, "A50285BI")
	require.Contains(t, out, "USB Serial")
	require.Contains(t, out, "usb:1A86:7523:A50285BI")

	code, out, _ = call(List, "--json")
	require.Equal(t, 0, code)
	require.Contains(t, out, `"VID": "1A86"`)

	code, _, _ = call(List, "extra")
	require.Equal(t, 2, code)

	Enumerator = transport.EnumeratorFunc(func() ([]transport.PortInfo, error) { return nil, os.ErrPermission })
	code, _, errs := call(List)
	require.Equal(t, 1, code)
	require.Contains(t, errs, "error")
}

func TestListRealSystem(t *testing.T) {
	code, _, errs := call(List)
	require.Equal(t, 0, code, errs)
}

func TestSpeak(t *testing.T) {
	s := sim.NewSpeaker(sim.SpeakerOptions{PerRune: time.Millisecond})
	path, err := s.ServePTY()
	require.NoError(t, err)
	defer s.Close()
	code, out, errs := call(Speak, "--port", path, "--text", "收款12.50元")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "收款12.50元")
	require.Equal(t, "收款12.50元", s.Spoken()[0].Text)
	require.Equal(t, []byte{0xFD, 0x00, 0x0E, 0x01, 0x01, 0xCA, 0xD5, 0xBF, 0xEE, 0x31, 0x32, 0x2E, 0x35, 0x30, 0xD4, 0xAA, 0xEB}, s.Received()[0])

	x := sim.NewSpeaker(sim.SpeakerOptions{Module: speaker.XFS5152, PerRune: time.Millisecond})
	xpath, err := x.ServePTY()
	require.NoError(t, err)
	defer x.Close()
	code, _, errs = call(Speak, "--port", "serial:"+xpath+"?baud=9600", "--text", "退款3.00元", "--module", "xfs5152", "--volume", "4")
	require.Equal(t, 0, code, errs)
	require.Equal(t, "[v4][n2]退款3.00元", x.Spoken()[0].Wire)
}

func TestSpeakErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"--port", "/dev/x"}, {"--text", "hi"}, {"--port", "/dev/x", "--text", "hi", "--module", "abc"},
		{"--port", "bogus:x", "--text", "hi"}, {"--port", "/dev/x", "--text", "hi", "--volume", "12"},
		{"--nope"}, {"--port", "/dev/x", "--text", "hi", "--encoding", "utf16"},
	} {
		code, _, errs := call(Speak, args...)
		require.Equal(t, 2, code, "%v: %s", args, errs)
	}
	code, _, errs := call(Speak, "--port", "/dev/ttyNOPE3", "--text", "收款1.00元")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "device not found")
	require.Contains(t, errs, "/dev/ttyNOPE3")

	pair := ptytest.New(t) // nobody on the far end
	code, _, errs = call(Speak, "--port", pair.Path, "--text", "收款1.00元", "--timeout", "3s")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "does not answer")

	code, _, errs = call(Speak, "--port", pair.Path, "--text", "😀")
	require.Equal(t, 2, code, errs)
	require.Contains(t, errs, "cannot encode")
}

func TestSpeakBusyAndPermission(t *testing.T) {
	old := Opener
	defer func() { Opener = old }()
	Opener = &transport.Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) { return nil, &serial.PortError{} }}
	code, _, errs := call(Speak, "--port", "/dev/ttyUSB0", "--text", "收款1.00元")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "busy")
	Opener = &transport.Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) { return nil, syscall.EACCES }}
	code, _, errs = call(Unlock, "--port", "/dev/ttyUSB0", "--board", "1", "--lock", "1")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "permission denied")
	require.Contains(t, errs, "dialout")
}

func TestUnlockAndLockState(t *testing.T) {
	bus := sim.NewLockBus(lockboard.XOR)
	bus.AddBoard(1, sim.LockBoardConfig{Locks: 4})
	bus.AddBoard(2, sim.LockBoardConfig{Locks: 4, Inverted: true})
	path, err := bus.ServePTY()
	require.NoError(t, err)
	defer bus.Close()

	code, out, errs := call(Unlock, "--port", path, "--board", "1", "--lock", "1")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "board 1 lock 1: open")
	require.Equal(t, []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}, bus.Received()[0])
	require.True(t, bus.DoorOpen(1, 1))

	code, out, errs = call(LockState, "--port", path, "--board", "1", "--lock", "1")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "open")

	code, out, errs = call(LockState, "--port", path, "--board", "1", "--locks", "4")
	require.Equal(t, 0, code, errs)
	require.Equal(t, 4, strings.Count(out, "\n"))
	require.Contains(t, out, "board 1 lock 2: closed")

	bus.ForceOpen(2, 3)
	code, out, errs = call(LockState, "--port", path, "--board", "2", "--lock", "3", "--inverted")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "open")

	code, _, errs = call(Unlock, "--port", path, "--board", "9", "--lock", "1", "--timeout", "100ms")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "board 9")
	require.Contains(t, errs, "does not answer")
}

func TestKerongCLI(t *testing.T) {
	bus := sim.NewLockBus(lockboard.Kerong)
	bus.AddBoard(0, sim.LockBoardConfig{})
	path, err := bus.ServePTY()
	require.NoError(t, err)
	defer bus.Close()
	code, out, errs := call(Unlock, "--port", path, "--protocol", "kerong", "--board", "0", "--lock", "2")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "open")
	code, out, errs = call(LockState, "--port", path, "--protocol", "kerong", "--board", "0")
	require.Equal(t, 0, code, errs)
	require.Equal(t, 16, strings.Count(out, "\n"))
}

func TestLockUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"--port", "/dev/x"}, {"--port", "/dev/x", "--board", "1"},
		{"--port", "/dev/x", "--board", "40", "--lock", "1"},
		{"--port", "/dev/x", "--board", "16", "--lock", "1", "--protocol", "kerong"},
		{"--port", "/dev/x", "--board", "1", "--lock", "1", "--protocol", "modbus"},
		{"--port", "/dev/x", "--board", "1", "--lock", "1", "stray"},
	} {
		code, _, errs := call(Unlock, args...)
		require.Equal(t, 2, code, "%v: %s", args, errs)
	}
	code, _, _ := call(LockState, "--port", "/dev/x")
	require.Equal(t, 2, code)
	code, _, errs := call(LockState, "--port", "/dev/ttyNOPE7", "--board", "1")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "not found")
}

func TestScanImage(t *testing.T) {
	q, err := qr.New("PAY-2025-0001", qr.Medium)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "qr.png")
	require.NoError(t, q.WriteFile(256, p))
	code, out, errs := call(ScanImage, p)
	require.Equal(t, 0, code, errs)
	require.Equal(t, "PAY-2025-0001\n", out)
	require.Contains(t, errs, "QR_CODE")

	code, _, _ = call(ScanImage)
	require.Equal(t, 2, code)
	code, _, _ = call(ScanImage, "a", "b")
	require.Equal(t, 2, code)
	code, _, errs = call(ScanImage, filepath.Join(t.TempDir(), "none.png"))
	require.Equal(t, 1, code)
	require.Contains(t, errs, "file not found")
}
