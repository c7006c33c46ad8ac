package devicecli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.bug.st/serial"

	"cashier/hardware/escpos"
	"cashier/hardware/ptytest"
	"cashier/hardware/sim"
	"cashier/hardware/transport"
)

func TestTestPrintOverPTY(t *testing.T) {
	for _, w := range []escpos.Paper{escpos.Paper58, escpos.Paper80} {
		emu := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: w})
		pair := ptytest.New(t)
		go emu.Serve(pair.Master)
		code, out, errs := call(TestPrint, "--port", pair.Path, "--baud", "115200", "--width", map[escpos.Paper]string{58: "58", 80: "80"}[w], "--drawer")
		require.Equal(t, 0, code, errs)
		require.Contains(t, out, "已打印测试页")
		require.Contains(t, out, "就绪")
		rs := emu.Receipts()
		require.Len(t, rs, 1)
		r := rs[0]
		require.True(t, r.Cut)
		require.Empty(t, r.Notes)
		require.Equal(t, []string{"TEST20260116"}, r.Barcodes)
		require.Equal(t, []string{"POS TEST PRINT 测试"}, r.QRCodes)
		require.Len(t, r.Drawer, 1)
		require.True(t, r.Drawer[0].Safe)
		require.Contains(t, r.Text, "中文：收款12.50元 找零￥7.50")
		for _, l := range strings.Split(r.Text, "\n") {
			require.LessOrEqual(t, escpos.Width(l), w.Columns(), "%q", l)
		}
		require.Contains(t, r.Text, strings.Repeat("中", w.Columns()/2), "a full line of Chinese fits exactly")
	}
}

func TestTestPrintPaperOutAndCoverOpen(t *testing.T) {
	emu := sim.NewPrinterEmulator(sim.PrinterOptions{})
	pair := ptytest.New(t)
	go emu.Serve(pair.Master)
	emu.SetPaperOut(true)
	code, _, errs := call(TestPrint, "--port", pair.Path)
	require.Equal(t, 1, code)
	require.Contains(t, errs, "缺纸")
	require.Contains(t, errs, "out of paper")
	emu.SetPaperOut(false)
	emu.SetCoverOpen(true)
	code, _, errs = call(TestPrint, "--port", pair.Path)
	require.Equal(t, 1, code)
	require.Contains(t, errs, "cover open")
	require.Empty(t, emu.Receipts())
	require.Zero(t, emu.Stats().Dropped, "nothing sent to a printer that cannot print")
}

func TestTestPrintPortErrors(t *testing.T) {
	code, _, errs := call(TestPrint, "--port", "/dev/ttyNOPE7")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "device not found")
	require.Contains(t, errs, "/dev/ttyNOPE7")

	pair := ptytest.New(t) // nobody on the far end: a printer switched off
	code, _, errs = call(TestPrint, "--port", pair.Path, "--timeout", "100ms")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "does not answer")
	require.Contains(t, errs, "--no-status")

	old := Opener
	defer func() { Opener = old }()
	Opener = &transport.Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) { return nil, &serial.PortError{} }}
	code, _, errs = call(TestPrint, "--port", "/dev/ttyUSB0")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "busy")
	Opener = &transport.Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) { return nil, syscall.EACCES }}
	code, _, errs = call(TestPrint, "--port", "/dev/ttyUSB0")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "permission denied")
	require.Contains(t, errs, "dialout")
}

func TestTestPrintUsage(t *testing.T) {
	for _, args := range [][]string{
		{}, {"--port", ""}, {"--port", "/dev/x", "--width", "70"}, {"--port", "bogus:x"},
		{"--port", "/dev/x", "extra"}, {"--port", "/dev/x", "--baud", "-1"}, {"--nope"},
		{"--port", "/dev/x", "--timeout", "0s"},
	} {
		code, _, errs := call(TestPrint, args...)
		require.Equal(t, 2, code, "%v: %s", args, errs)
	}
}

func TestTestPrintTCPAndDeviceFile(t *testing.T) {
	emu := sim.NewPrinterEmulator(sim.PrinterOptions{})
	srv, err := emu.ListenTCP("127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	code, out, errs := call(TestPrint, "--port", "tcp:"+srv.Addr())
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "80 mm")
	require.Len(t, emu.Receipts(), 1)

	// a device file that cannot answer (like many /dev/usb/lp*)
	f := filepath.Join(t.TempDir(), "lp0")
	require.NoError(t, os.WriteFile(f, nil, 0o600))
	code, out, errs = call(TestPrint, "--port", "file:"+f, "--no-status", "--width", "58")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "status not checked")
	data, err := os.ReadFile(f)
	require.NoError(t, err)
	again := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper58})
	again.Feed(data)
	require.Len(t, again.Receipts(), 1)
	require.Equal(t, []string{"TEST20260116"}, again.Receipts()[0].Barcodes)
}
