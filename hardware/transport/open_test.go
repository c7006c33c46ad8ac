package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.bug.st/serial"

	"cashier/hardware"
	"cashier/hardware/ptytest"
)

func readAtLeast(t *testing.T, p hardware.Port, n int) []byte {
	t.Helper()
	require.NoError(t, p.SetReadTimeout(50*time.Millisecond))
	var out []byte
	buf := make([]byte, 64)
	deadline := time.Now().Add(3 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		k, err := p.Read(buf)
		require.NoError(t, err)
		out = append(out, buf[:k]...)
	}
	return out
}

func TestOpenSerialOverPty(t *testing.T) {
	pair := ptytest.New(t)
	for _, q := range []string{"", "?baud=19200&parity=E&stop=2", "?baud=115200&parity=O", "?parity=M", "?parity=S&data=7"} {
		p, err := OpenString("serial:" + pair.Path + q)
		require.NoError(t, err, q)
		require.Equal(t, pair.Path, p.(Named).Name())
		_, err = pair.Master.Write([]byte{0x8A, 0x0D, 0x0A, 0x11, 0x13})
		require.NoError(t, err)
		if !strings.Contains(q, "data=7") {
			require.Equal(t, []byte{0x8A, 0x0D, 0x0A, 0x11, 0x13}, readAtLeast(t, p, 5), q)
		} else {
			readAtLeast(t, p, 5)
		}
		_, err = p.Write([]byte("hi"))
		require.NoError(t, err)
		got, err := pair.ReadFull(2, 2*time.Second)
		require.NoError(t, err)
		require.Equal(t, "hi", string(got))
		require.NoError(t, p.Close())
	}
}

func TestReadTimeoutIsZeroNil(t *testing.T) {
	pair := ptytest.New(t)
	p, err := OpenString(pair.Path)
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.SetReadTimeout(20*time.Millisecond))
	n, err := p.Read(make([]byte, 8))
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestUnplugGivesPortClosed(t *testing.T) {
	pair := ptytest.New(t)
	p, err := OpenString(pair.Path)
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.SetReadTimeout(time.Second))
	pair.Unplug()
	_, err = p.Read(make([]byte, 8))
	require.ErrorIs(t, err, hardware.ErrPortClosed)
	_, err = p.Write([]byte{1})
	require.ErrorIs(t, err, hardware.ErrPortClosed)
}

func TestOpenMissingPort(t *testing.T) {
	_, err := OpenString("/dev/ttyDOESNOTEXIST9")
	require.ErrorIs(t, err, ErrNotFound)
	require.Contains(t, err.Error(), "找不到设备")
	require.Contains(t, err.Error(), "device not found")
	require.Contains(t, err.Error(), "/dev/ttyDOESNOTEXIST9")

	_, err = OpenString("file:/dev/usb/lp-none")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestOpenNotASerialPort(t *testing.T) {
	f := filepath.Join(t.TempDir(), "plain")
	require.NoError(t, os.WriteFile(f, nil, 0o600))
	_, err := OpenString(f)
	require.ErrorIs(t, err, ErrNotSerial)
}

func TestUnsupportedStopBits(t *testing.T) {
	pair := ptytest.New(t)
	_, err := OpenString(pair.Path + "?stop=1.5")
	require.ErrorIs(t, err, ErrUnsupported)
	require.Contains(t, err.Error(), "1.5")
}

func TestBusyAndPermissionMapping(t *testing.T) {
	busy := &Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) {
		return nil, &serial.PortError{} // the library's zero code is PortBusy
	}}
	_, err := busy.Open(MustParseSpec("/dev/ttyUSB0"))
	require.ErrorIs(t, err, ErrBusy)
	require.Contains(t, err.Error(), "被其他程序占用")
	require.Contains(t, err.Error(), "busy")

	denied := &Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) {
		return nil, syscall.EACCES
	}}
	_, err = denied.Open(MustParseSpec("/dev/ttyUSB0"))
	require.ErrorIs(t, err, ErrPermission)
	require.Contains(t, err.Error(), "dialout")
	require.Contains(t, err.Error(), "没有权限")

	deniedFile := &Opener{OpenFile: func(string, int, os.FileMode) (*os.File, error) {
		return nil, &os.PathError{Op: "open", Path: "/dev/usb/lp0", Err: syscall.EPERM}
	}}
	_, err = deniedFile.Open(MustParseSpec("file:/dev/usb/lp0"))
	require.ErrorIs(t, err, ErrPermission)
	require.ErrorIs(t, err, ErrPermissionLP, "a USB printer file: the lp group, not dialout")
	require.Contains(t, err.Error(), "lp group")
	require.Contains(t, err.Error(), ": 没有权限访问设备 / permission denied (", "the kind reads as a plain permission error")
	require.Equal(t, ErrPermissionLP, Classify(err))
	_, err = denied.Open(MustParseSpec("/dev/ttyUSB0"))
	require.NotErrorIs(t, err, ErrPermissionLP)
}

func TestRealPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions; mapping covered by TestBusyAndPermissionMapping")
	}
	pair := ptytest.New(t)
	require.NoError(t, os.Chmod(pair.Path, 0))
	_, err := OpenString(pair.Path)
	require.ErrorIs(t, err, ErrPermission)
}

func TestTCPPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			acc <- c
		}
	}()
	p, err := OpenString("tcp:" + ln.Addr().String())
	require.NoError(t, err)
	defer p.Close()
	srv := <-acc
	require.NoError(t, p.SetReadTimeout(20*time.Millisecond))
	n, err := p.Read(make([]byte, 4))
	require.NoError(t, err)
	require.Zero(t, n)

	_, err = p.Write([]byte{0x1B, 0x40})
	require.NoError(t, err)
	buf := make([]byte, 2)
	_, err = io.ReadFull(srv, buf)
	require.NoError(t, err)
	require.Equal(t, []byte{0x1B, 0x40}, buf)

	_, err = srv.Write([]byte{0x12})
	require.NoError(t, err)
	require.Equal(t, []byte{0x12}, readAtLeast(t, p, 1))

	srv.Close()
	require.NoError(t, p.SetReadTimeout(time.Second))
	_, err = p.Read(make([]byte, 4))
	require.ErrorIs(t, err, hardware.ErrPortClosed)
}

func TestTCPRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, err = OpenString("tcp:" + addr + "?dial=1s")
	require.ErrorIs(t, err, ErrUnreachable)
	require.Contains(t, err.Error(), addr)
}

func TestFilePort(t *testing.T) {
	f := filepath.Join(t.TempDir(), "lp0")
	require.NoError(t, os.WriteFile(f, nil, 0o600))
	p, err := OpenString("file:" + f)
	require.NoError(t, err)
	_, err = p.Write([]byte("receipt"))
	require.NoError(t, err)
	require.NoError(t, p.SetReadTimeout(10*time.Millisecond))
	n, err := p.Read(make([]byte, 4))
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, p.Close())
	b, _ := os.ReadFile(f)
	require.Equal(t, "receipt", string(b))
}

func TestFindUSB(t *testing.T) {
	e := EnumeratorFunc(func() ([]PortInfo, error) {
		return []PortInfo{
			{Name: "/dev/ttyS0"},
			{Name: "/dev/ttyUSB0", IsUSB: true, VID: "1A86", PID: "7523", SerialNumber: ""},
			{Name: "/dev/ttyUSB1", IsUSB: true, VID: "0403", PID: "6001", SerialNumber: "A1"},
			{Name: "/dev/ttyUSB2", IsUSB: true, VID: "0403", PID: "6001", SerialNumber: "B2"},
		}, nil
	})
	p, err := FindUSB(e, "1a86", "7523", "")
	require.NoError(t, err)
	require.Equal(t, "/dev/ttyUSB0", p.Name)
	p, err = FindUSB(e, "0403", "6001", "B2")
	require.NoError(t, err)
	require.Equal(t, "/dev/ttyUSB2", p.Name)
	_, err = FindUSB(e, "0403", "6001", "")
	require.ErrorIs(t, err, ErrAmbiguous)
	_, err = FindUSB(e, "0403", "6001", "C3")
	require.ErrorIs(t, err, ErrNotFound)

	o := &Opener{Enumerator: e}
	_, err = o.Open(MustParseSpec("usb:DEAD:BEEF"))
	require.ErrorIs(t, err, ErrNotFound)
	require.Contains(t, err.Error(), "USB DEAD:BEEF")

	broken := &Opener{Enumerator: EnumeratorFunc(func() ([]PortInfo, error) { return nil, errors.New("sysfs gone") })}
	_, err = broken.Open(MustParseSpec("usb:DEAD:BEEF"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "sysfs gone")
}

func TestSystemEnumeratorRuns(t *testing.T) {
	// Whatever the machine has; it must not fail or panic.
	_, err := SystemEnumerator{}.Ports()
	require.NoError(t, err)
}
