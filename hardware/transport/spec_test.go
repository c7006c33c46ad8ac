package transport

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseSpec(t *testing.T) {
	cases := []struct {
		in   string
		want Spec
		str  string
	}{
		{"/dev/ttyUSB0", Spec{Kind: KindSerial, Path: "/dev/ttyUSB0"}, "serial:/dev/ttyUSB0"},
		{"COM3", Spec{Kind: KindSerial, Path: "COM3"}, "serial:COM3"},
		{"serial:/dev/ttyS1?baud=19200&parity=E&stop=2", Spec{Kind: KindSerial, Path: "/dev/ttyS1",
			Settings: Settings{Baud: 19200, Parity: ParityEven, StopBits: StopBits2}}, "serial:/dev/ttyS1?baud=19200&parity=E&stop=2"},
		{"serial:/dev/ttyS1?baud=9600&data=7&parity=odd&stop=1.5", Spec{Kind: KindSerial, Path: "/dev/ttyS1",
			Settings: Settings{Baud: 9600, DataBits: 7, Parity: ParityOdd, StopBits: StopBits1_5}}, "serial:/dev/ttyS1?baud=9600&data=7&parity=O&stop=1.5"},
		{"tcp:192.168.1.50:9100", Spec{Kind: KindTCP, Addr: "192.168.1.50:9100"}, "tcp:192.168.1.50:9100"},
		{"tcp:printer.local", Spec{Kind: KindTCP, Addr: "printer.local:9100"}, "tcp:printer.local:9100"},
		{"tcp:10.0.0.9:9100?dial=2s", Spec{Kind: KindTCP, Addr: "10.0.0.9:9100", DialTimeout: 2 * time.Second}, "tcp:10.0.0.9:9100?dial=2s"},
		{"file:/dev/usb/lp0", Spec{Kind: KindFile, Path: "/dev/usb/lp0"}, "file:/dev/usb/lp0"},
		{"usb:1a86:7523", Spec{Kind: KindUSB, VID: "1A86", PID: "7523"}, "usb:1A86:7523"},
		{"usb:1A86:7523:A50285BI?baud=9600", Spec{Kind: KindUSB, VID: "1A86", PID: "7523", SerialNumber: "A50285BI",
			Settings: Settings{Baud: 9600}}, "usb:1A86:7523:A50285BI?baud=9600"},
	}
	for _, c := range cases {
		got, err := ParseSpec(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
		require.Equal(t, c.str, got.String(), c.in)
		again, err := ParseSpec(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again, "round trip %s", c.in)
	}
}

func TestParseSpecErrors(t *testing.T) {
	for _, in := range []string{
		"", "   ", "serial:", "file:", "tcp:", "tcp:host:99999", "tcp:host:abc",
		"usb:1A86", "usb:XYZW:7523", "usb:1:2:3:4", "bogus:/dev/x",
		"/dev/ttyS0?baud=fast", "/dev/ttyS0?parity=Q", "/dev/ttyS0?stop=3",
		"/dev/ttyS0?data=9", "/dev/ttyS0?colour=blue", "/dev/ttyS0?baud=-5",
	} {
		_, err := ParseSpec(in)
		require.Error(t, err, in)
		require.True(t, errors.Is(err, ErrBadSpec), "%s: %v", in, err)
	}
}

func TestSerialMode(t *testing.T) {
	m, err := SerialMode(Settings{})
	require.NoError(t, err)
	require.Equal(t, 9600, m.BaudRate)
	require.Equal(t, 8, m.DataBits)
	require.Nil(t, m.InitialStatusBits)
	m, err = SerialMode(Settings{Baud: 19200, Parity: ParityMark, StopBits: StopBits2, DataBits: 7})
	require.NoError(t, err)
	require.Equal(t, 19200, m.BaudRate)
	require.Equal(t, 7, m.DataBits)
}

func TestWithDefaultBaud(t *testing.T) {
	s := MustParseSpec("/dev/ttyS0").WithDefaultBaud(19200)
	require.Equal(t, 19200, s.Settings.Baud)
	s = MustParseSpec("/dev/ttyS0?baud=9600").WithDefaultBaud(19200)
	require.Equal(t, 9600, s.Settings.Baud)
}

func TestBackoff(t *testing.T) {
	b := ExponentialBackoff{Initial: 100 * time.Millisecond, Max: time.Second}
	require.Equal(t, 100*time.Millisecond, b.Next(0))
	require.Equal(t, 200*time.Millisecond, b.Next(1))
	require.Equal(t, 800*time.Millisecond, b.Next(3))
	require.Equal(t, time.Second, b.Next(4))
	require.Equal(t, time.Second, b.Next(1000))
}
