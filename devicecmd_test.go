package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	qr "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/require"
	"go.bug.st/serial"

	"cashier/hardware/escpos"
	"cashier/hardware/lockboard"
	"cashier/hardware/ptytest"
	"cashier/hardware/sim"
	"cashier/hardware/speaker"
	"cashier/hardware/transport"
)

// dev runs `pos --lang en devices SUB args...`.
func dev(t *testing.T, sub string, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, nil, append([]string{"devices", sub}, args...)...)
}

func withOpener(t *testing.T, o *transport.Opener) {
	old := portOpener
	portOpener = o
	t.Cleanup(func() { portOpener = old })
}

func TestDevicesList(t *testing.T) {
	old := portLister
	t.Cleanup(func() { portLister = old })
	portLister = transport.EnumeratorFunc(func() ([]transport.PortInfo, error) {
		return []transport.PortInfo{
			{Name: "/dev/ttyS0"},
			{Name: "/dev/ttyUSB0", IsUSB: true, VID: "1A86", PID: "7523", SerialNumber: "A50285BI", Manufacturer: "QinHeng", Product: "USB Serial"},
		}, nil
	})
	code, out, _ := dev(t, "list")
	require.Equal(t, 0, code)
	for _, s := range []string{"PORT", "/dev/ttyUSB0", "1A86", "7523", "A50285BI", "USB Serial", "usb:1A86:7523:A50285BI"} {
		require.Contains(t, out, s)
	}
	code, out, _ = runCmdLang(t, nil, "zh", "devices", "list")
	require.Equal(t, 0, code)
	require.Contains(t, out, "序列号")

	code, out, _ = dev(t, "list", "--json")
	require.Equal(t, 0, code)
	require.Contains(t, out, `"VID": "1A86"`)

	code, _, _ = dev(t, "list", "extra")
	require.Equal(t, 2, code)

	portLister = transport.EnumeratorFunc(func() ([]transport.PortInfo, error) { return nil, os.ErrPermission })
	code, _, errs := dev(t, "list")
	require.Equal(t, 1, code)
	require.Equal(t, "pos devices list: permission denied\n", errs)

	portLister = transport.SystemEnumerator{}
	code, _, errs = dev(t, "list")
	require.Equal(t, 0, code, errs)
}

func TestDevicesSpeak(t *testing.T) {
	s := sim.NewSpeaker(sim.SpeakerOptions{PerRune: time.Millisecond})
	path, err := s.ServePTY()
	require.NoError(t, err)
	defer s.Close()
	code, out, errs := dev(t, "speak", "--port", path, "--text", "收款12.50元")
	require.Equal(t, 0, code, errs)
	require.Equal(t, "spoken: 收款12.50元\n", out)
	require.Equal(t, "收款12.50元", s.Spoken()[0].Text)
	require.Equal(t, []byte{0xFD, 0x00, 0x0E, 0x01, 0x01, 0xCA, 0xD5, 0xBF, 0xEE, 0x31, 0x32, 0x2E, 0x35, 0x30, 0xD4, 0xAA, 0xEB}, s.Received()[0])

	x := sim.NewSpeaker(sim.SpeakerOptions{Module: speaker.XFS5152, PerRune: time.Millisecond})
	xpath, err := x.ServePTY()
	require.NoError(t, err)
	defer x.Close()
	code, _, errs = dev(t, "speak", "--port", "serial:"+xpath+"?baud=9600", "--text", "退款3.00元", "--module", "xfs5152", "--volume", "4")
	require.Equal(t, 0, code, errs)
	require.Equal(t, "[v4][n2]退款3.00元", x.Spoken()[0].Wire)
}

func TestDevicesSpeak_BadInputAndFaults(t *testing.T) {
	for _, args := range [][]string{
		{}, {"--port", "/dev/x"}, {"--text", "hi"}, {"--port", "/dev/x", "--text", "hi", "--module", "abc"},
		{"--port", "bogus:x", "--text", "hi"}, {"--port", "/dev/x", "--text", "hi", "--volume", "12"},
		{"--nope"}, {"--port", "/dev/x", "--text", "hi", "--encoding", "utf16"},
		{"--port", "/dev/x", "--text", "hi", "--encoding", "latin1"}, {"--port", "/dev/x", "--text", "hi", "stray"},
	} {
		code, _, errs := dev(t, "speak", args...)
		require.Equal(t, 2, code, "%v: %s", args, errs)
	}
	code, _, errs := dev(t, "speak", "--port", "/dev/ttyNOPE3", "--text", "收款1.00元")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "/dev/ttyNOPE3: device not found")

	pair := ptytest.New(t) // nobody on the far end
	code, _, errs = dev(t, "speak", "--port", pair.Path, "--text", "收款1.00元", "--timeout", "3s")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "does not answer")

	code, _, errs = dev(t, "speak", "--port", pair.Path, "--text", "😀")
	require.Equal(t, 2, code, errs)
	require.Contains(t, errs, "cannot encode")

	withOpener(t, &transport.Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) { return nil, &serial.PortError{} }})
	code, _, errs = dev(t, "speak", "--port", "/dev/ttyUSB0", "--text", "收款1.00元")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "in use by another program")
	portOpener = &transport.Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) { return nil, syscall.EACCES }}
	code, _, errs = dev(t, "unlock", "--port", "/dev/ttyUSB0", "--board", "1", "--lock", "1")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "permission denied")
	require.Contains(t, errs, "dialout")
}

// rawBoard answers each unlock request on a pseudo-terminal with the
// given byte strings, as a real board (or a noisy line) would.
func rawBoard(t *testing.T, replies ...[]byte) (path string, got chan []byte) {
	pair := ptytest.New(t)
	got = make(chan []byte, 4)
	go func() {
		req, err := pair.ReadFull(5, 10*time.Second)
		if err != nil {
			return
		}
		got <- req
		for _, r := range replies {
			if _, err := pair.Master.Write(r); err != nil {
				return
			}
		}
	}()
	return pair.Path, got
}

// The documented XOR board: after 8A 01 01 11 9B the board answers
// 8A 01 01 00 8A when the lock opened and 8A 01 01 11 9B when it did not.
// A reply with a bad checksum or from another board is ignored; the
// command waits for the right one until its timeout.
func TestDevicesUnlock_DocumentedXORReplies(t *testing.T) {
	req := []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}

	path, got := rawBoard(t, []byte{0x8A, 0x01, 0x01, 0x00, 0x8A})
	code, out, errs := dev(t, "unlock", "--port", path, "--board", "1", "--lock", "1")
	require.Equal(t, 0, code, errs)
	require.Equal(t, "board 1 door 1 opened\n", out)
	require.Equal(t, req, <-got)

	path, _ = rawBoard(t,
		[]byte{0x8A, 0x01, 0x01, 0x00, 0x8B}, // bad checksum
		[]byte{0x8A, 0x02, 0x01, 0x00, 0x89}, // board 2
		[]byte{0x8A, 0x01, 0x01, 0x00, 0x8A})
	code, out, errs = dev(t, "unlock", "--port", path, "--board", "1", "--lock", "1", "--timeout", "5s")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "opened")

	path, _ = rawBoard(t, []byte{0x8A, 0x01, 0x01, 0x11, 0x9B})
	code, out, errs = dev(t, "unlock", "--port", path, "--board", "1", "--lock", "1")
	require.Equal(t, 1, code, out)
	require.Contains(t, errs, "board 1 lock 1: the board reports the lock did not open")

	path, _ = rawBoard(t, []byte{0x8A, 0x01, 0x01, 0x00, 0x8B}, []byte{0x8A, 0x02, 0x01, 0x00, 0x89})
	code, _, errs = dev(t, "unlock", "--port", path, "--board", "1", "--lock", "1", "--timeout", "200ms")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "board 1 lock 1: the lock board's reply is not valid")

	// the same in Chinese
	path, _ = rawBoard(t, []byte{0x8A, 0x01, 0x01, 0x00, 0x8A})
	code, out, errs = runCmdLang(t, nil, "zh", "devices", "unlock", "--port", path, "--board", "1", "--lock", "1")
	require.Equal(t, 0, code, errs)
	require.Equal(t, "1号板1号门已打开\n", out)
}

func TestDevicesUnlockAndLockState_Simulator(t *testing.T) {
	bus := sim.NewLockBus(lockboard.XOR)
	bus.AddBoard(1, sim.LockBoardConfig{Locks: 4})
	bus.AddBoard(2, sim.LockBoardConfig{Locks: 4, Inverted: true})
	path, err := bus.ServePTY()
	require.NoError(t, err)
	defer bus.Close()

	code, out, errs := dev(t, "unlock", "--port", path, "--board", "1", "--lock", "1")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "board 1 door 1 opened")
	require.Equal(t, []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}, bus.Received()[0])
	require.True(t, bus.DoorOpen(1, 1))

	code, out, errs = dev(t, "lock-state", "--port", path, "--board", "1", "--lock", "1")
	require.Equal(t, 0, code, errs)
	require.Equal(t, "board 1 lock 1: open\n", out)

	code, out, errs = dev(t, "lock-state", "--port", path, "--board", "1", "--locks", "4")
	require.Equal(t, 0, code, errs)
	require.Equal(t, 4, strings.Count(out, "\n"))
	require.Contains(t, out, "board 1 lock 2: closed")

	bus.ForceOpen(2, 3)
	code, out, errs = dev(t, "lock-state", "--port", path, "--board", "2", "--lock", "3", "--inverted")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "open")

	code, _, errs = dev(t, "unlock", "--port", path, "--board", "9", "--lock", "1", "--timeout", "100ms")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "board 9 lock 1: the lock board does not answer")
}

func TestDevicesKerong(t *testing.T) {
	bus := sim.NewLockBus(lockboard.Kerong)
	bus.AddBoard(0, sim.LockBoardConfig{})
	path, err := bus.ServePTY()
	require.NoError(t, err)
	defer bus.Close()
	code, out, errs := dev(t, "unlock", "--port", path, "--protocol", "kerong", "--board", "0", "--lock", "2")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "board 0 door 2 opened")
	code, out, errs = dev(t, "lock-state", "--port", path, "--protocol", "kerong", "--board", "0")
	require.Equal(t, 0, code, errs)
	require.Equal(t, 16, strings.Count(out, "\n"))
}

func TestDevicesLock_BadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--port", "/dev/x"}, {"--port", "/dev/x", "--board", "1"},
		{"--port", "/dev/x", "--board", "40", "--lock", "1"},
		{"--port", "/dev/x", "--board", "16", "--lock", "1", "--protocol", "kerong"},
		{"--port", "/dev/x", "--board", "1", "--lock", "1", "--protocol", "modbus"},
		{"--port", "/dev/x", "--board", "1", "--lock", "1", "stray"},
		{"--port", "/dev/x", "--board", "1", "--lock", "1", "--timeout", "0s"},
		{"--port", "bogus:x", "--board", "1", "--lock", "1"},
	} {
		code, _, errs := dev(t, "unlock", args...)
		require.Equal(t, 2, code, "%v: %s", args, errs)
	}
	code, _, _ := dev(t, "lock-state", "--port", "/dev/x")
	require.Equal(t, 2, code)
	code, _, errs := dev(t, "lock-state", "--port", "/dev/ttyNOPE7", "--board", "1")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "not found")
	code, _, errs = dev(t, "unlock", "--port", "/dev/x", "--board", "40", "--lock", "1")
	require.Equal(t, 2, code)
	require.Contains(t, errs, "--board must be 1-32 for xor boards")
}

func TestScanImage(t *testing.T) {
	q, err := qr.New("PAY-2025-0001", qr.Medium)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "qr.png")
	require.NoError(t, q.WriteFile(256, p))
	code, out, errs := runCmd(t, nil, "scan-image", p)
	require.Equal(t, 0, code, errs)
	require.Equal(t, "PAY-2025-0001\n", out)
	require.Equal(t, "format: QR_CODE\n", errs)

	code, _, _ = runCmd(t, nil, "scan-image")
	require.Equal(t, 2, code)
	code, _, _ = runCmd(t, nil, "scan-image", "a", "b")
	require.Equal(t, 2, code)
	missing := filepath.Join(t.TempDir(), "none.png")
	code, _, errs = runCmd(t, nil, "scan-image", missing)
	require.Equal(t, 1, code)
	require.Contains(t, errs, "file not found: "+missing)
	notImage := filepath.Join(t.TempDir(), "x.png")
	require.NoError(t, os.WriteFile(notImage, []byte("text"), 0o600))
	code, _, errs = runCmdLang(t, nil, "zh", "scan-image", notImage)
	require.Equal(t, 1, code)
	require.Contains(t, errs, "不是可识别的图片")
}

func TestTestPrint_OverPTY(t *testing.T) {
	for _, w := range []escpos.Paper{escpos.Paper58, escpos.Paper80} {
		emu := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: w})
		pair := ptytest.New(t)
		go emu.Serve(pair.Master)
		code, out, errs := runCmdLang(t, nil, "zh", "devices", "test-print", "--port", pair.Path, "--baud", "115200",
			"--width", map[escpos.Paper]string{58: "58", 80: "80"}[w], "--drawer")
		require.Equal(t, 0, code, errs)
		require.Contains(t, out, "已打印测试页")
		require.Contains(t, out, "打印机状态：就绪")
		rs := emu.Receipts()
		require.Len(t, rs, 1)
		r := rs[0]
		require.True(t, r.Cut)
		require.Empty(t, r.Notes)
		require.Equal(t, []string{"TEST20260116"}, r.Barcodes)
		require.Equal(t, []string{"POS TEST PRINT 测试"}, r.QRCodes)
		require.Len(t, r.Drawer, 1)
		require.True(t, r.Drawer[0].Safe)
		require.Contains(t, r.Text, "打印测试")
		require.Contains(t, r.Text, "中文：收款12.50元 找零￥7.50")
		for _, l := range strings.Split(r.Text, "\n") {
			require.LessOrEqual(t, escpos.Width(l), w.Columns(), "%q", l)
		}
		require.Contains(t, r.Text, strings.Repeat("中", w.Columns()/2), "a full line of Chinese fits exactly")
	}
}

func TestTestPrint_PaperOutAndCoverOpen(t *testing.T) {
	emu := sim.NewPrinterEmulator(sim.PrinterOptions{})
	pair := ptytest.New(t)
	go emu.Serve(pair.Master)
	emu.SetPaperOut(true)
	code, _, errs := dev(t, "test-print", "--port", pair.Path)
	require.Equal(t, 1, code)
	require.Contains(t, errs, "Paper out, cannot print")
	emu.SetPaperOut(false)
	emu.SetCoverOpen(true)
	code, _, errs = dev(t, "test-print", "--port", pair.Path)
	require.Equal(t, 1, code)
	require.Contains(t, errs, "Cover open")
	require.Empty(t, emu.Receipts())
	require.Zero(t, emu.Stats().Dropped, "nothing sent to a printer that cannot print")
}

func TestTestPrint_PortFaults(t *testing.T) {
	code, _, errs := dev(t, "test-print", "--port", "/dev/ttyNOPE7")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "/dev/ttyNOPE7: device not found")

	pair := ptytest.New(t) // nobody on the far end: a printer switched off
	code, _, errs = dev(t, "test-print", "--port", pair.Path, "--timeout", "100ms")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "does not answer")
	require.Contains(t, errs, "--no-status")

	withOpener(t, &transport.Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) { return nil, &serial.PortError{} }})
	code, _, errs = dev(t, "test-print", "--port", "/dev/ttyUSB0")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "in use by another program")
	portOpener = &transport.Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) { return nil, syscall.EACCES }}
	code, _, errs = dev(t, "test-print", "--port", "/dev/ttyUSB0")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "permission denied")
	require.Contains(t, errs, "dialout")
}

func TestTestPrint_BadInput(t *testing.T) {
	for _, args := range [][]string{
		{}, {"--port", ""}, {"--port", "/dev/x", "--width", "70"}, {"--port", "bogus:x"},
		{"--port", "/dev/x", "extra"}, {"--port", "/dev/x", "--baud", "-1"}, {"--nope"},
		{"--port", "/dev/x", "--timeout", "0s"},
	} {
		code, _, errs := dev(t, "test-print", args...)
		require.Equal(t, 2, code, "%v: %s", args, errs)
	}
}

func TestTestPrint_TCPAndDeviceFile(t *testing.T) {
	emu := sim.NewPrinterEmulator(sim.PrinterOptions{})
	srv, err := emu.ListenTCP("127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	code, out, errs := dev(t, "test-print", "--port", "tcp:"+srv.Addr())
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "80 mm")
	require.Len(t, emu.Receipts(), 1)
	require.Contains(t, emu.Receipts()[0].Text, "TEST PRINT")

	// a device file that cannot answer (like many /dev/usb/lp*)
	f := filepath.Join(t.TempDir(), "lp0")
	require.NoError(t, os.WriteFile(f, nil, 0o600))
	code, out, errs = dev(t, "test-print", "--port", "file:"+f, "--no-status", "--width", "58")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "status not checked")
	data, err := os.ReadFile(f)
	require.NoError(t, err)
	again := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper58})
	again.Feed(data)
	require.Len(t, again.Receipts(), 1)
	require.Equal(t, []string{"TEST20260116"}, again.Receipts()[0].Barcodes)
}

// Every line the device commands print speaks one language.
func TestDevicesCLI_OneLanguage(t *testing.T) {
	var all bytes.Buffer
	for _, args := range [][]string{
		{"devices", "speak", "--port", "/dev/ttyNOPE3", "--text", "x"},
		{"devices", "unlock", "--port", "/dev/ttyNOPE3", "--board", "1", "--lock", "1"},
		{"devices", "test-print", "--port", "/dev/ttyNOPE3"},
		{"devices", "lock-state", "--port", "/dev/x", "--board", "99"},
		{"scan-image", "/nonexistent.png"},
	} {
		_, out, errs := runCmd(t, nil, args...)
		all.WriteString(out + errs)
	}
	require.NotRegexp(t, `\p{Han}`, all.String())
	require.Contains(t, all.String(), "device not found")
}
