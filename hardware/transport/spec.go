// Package transport opens a hardware.Port from a one-string spec: a serial
// port (go.bug.st/serial), a raw TCP socket (printer port 9100), a device
// file (/dev/usb/lp0) or a USB serial adapter found by VID/PID[/serial
// number]. It also keeps a device connected (Managed): reconnecting with
// exponential backoff and publishing the device's state to subscribers.
//
// Spec strings (settings, CLI flags):
//
//	/dev/ttyUSB0                          serial, default settings
//	COM3                                  serial (Windows)
//	serial:/dev/ttyS1?baud=19200&parity=E&stop=2&data=8
//	tcp:192.168.1.50:9100                 raw TCP (port defaults to 9100)
//	tcp:192.168.1.50?dial=3s              dial timeout
//	file:/dev/usb/lp0                     device file
//	usb:1A86:7523                         first port with that VID:PID
//	usb:1A86:7523:A50285BI?baud=9600      ... and that serial number
//
// Query keys: baud, data (5-8), parity (N/E/O/M/S), stop (1, 1.5, 2), dial
// (TCP dial timeout, Go duration). A Baud of 0 means "the driver's default"
// (see Spec.WithDefaultBaud); Open falls back to 9600.
package transport

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Kind is the transport family of a Spec.
type Kind string

const (
	KindSerial Kind = "serial"
	KindTCP    Kind = "tcp"
	KindFile   Kind = "file"
	KindUSB    Kind = "usb" // a serial port found by USB VID/PID[/serial]
)

// Parity is N, E, O, M or S.
type Parity byte

const (
	ParityNone  Parity = 'N'
	ParityEven  Parity = 'E'
	ParityOdd   Parity = 'O'
	ParityMark  Parity = 'M'
	ParitySpace Parity = 'S'
)

// StopBits is 1, 1.5 or 2 stop bits.
type StopBits int

const (
	StopBits1    StopBits = 10
	StopBits1_5  StopBits = 15
	StopBits2    StopBits = 20
	stopBitsZero StopBits = 0 // unset → 1
)

func (s StopBits) String() string {
	switch s {
	case StopBits1, stopBitsZero:
		return "1"
	case StopBits1_5:
		return "1.5"
	case StopBits2:
		return "2"
	}
	return fmt.Sprintf("StopBits(%d)", int(s))
}

// Settings are the line settings of a serial port. Zero values mean the
// defaults: 9600 baud (or the driver's default), 8 data bits, no parity,
// 1 stop bit.
type Settings struct {
	Baud     int
	DataBits int
	Parity   Parity
	StopBits StopBits
}

// String is the compact form, e.g. "9600 8N1".
func (s Settings) String() string {
	s = s.normalized(9600)
	return fmt.Sprintf("%d %d%c%s", s.Baud, s.DataBits, s.Parity, s.StopBits)
}

func (s Settings) normalized(defBaud int) Settings {
	if s.Baud == 0 {
		s.Baud = defBaud
	}
	if s.DataBits == 0 {
		s.DataBits = 8
	}
	if s.Parity == 0 {
		s.Parity = ParityNone
	}
	if s.StopBits == stopBitsZero {
		s.StopBits = StopBits1
	}
	return s
}

// Validate checks the settings without opening anything.
func (s Settings) Validate() error {
	if s.Baud < 0 || s.Baud > 4_000_000 {
		return fmt.Errorf("%w: 波特率无效 / invalid baud rate %d", ErrBadSpec, s.Baud)
	}
	if s.DataBits != 0 && (s.DataBits < 5 || s.DataBits > 8) {
		return fmt.Errorf("%w: 数据位必须是5-8 / data bits must be 5-8, got %d", ErrBadSpec, s.DataBits)
	}
	switch s.Parity {
	case 0, ParityNone, ParityEven, ParityOdd, ParityMark, ParitySpace:
	default:
		return fmt.Errorf("%w: 校验位必须是 N/E/O/M/S / parity must be N, E, O, M or S, got %q", ErrBadSpec, rune(s.Parity))
	}
	switch s.StopBits {
	case stopBitsZero, StopBits1, StopBits1_5, StopBits2:
	default:
		return fmt.Errorf("%w: 停止位必须是 1、1.5 或 2 / stop bits must be 1, 1.5 or 2", ErrBadSpec)
	}
	return nil
}

// Spec says how to reach one device.
type Spec struct {
	Kind Kind
	// Path is the serial port or device file (KindSerial, KindFile).
	Path string
	// Addr is host:port (KindTCP).
	Addr string
	// VID, PID (upper-case hex, 4 digits) and optional SerialNumber (KindUSB).
	VID, PID, SerialNumber string
	// Settings apply to KindSerial and KindUSB.
	Settings Settings
	// DialTimeout for KindTCP; 0 means 5 s.
	DialTimeout time.Duration
}

// DefaultTCPPort is the raw printing port.
const DefaultTCPPort = "9100"

// ParseSpec reads a spec string (see the package comment).
func ParseSpec(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Spec{}, fmt.Errorf("%w: 未指定设备 / no device given", ErrBadSpec)
	}
	body, query, _ := strings.Cut(s, "?")
	var sp Spec
	scheme, rest, hasScheme := strings.Cut(body, ":")
	if hasScheme && len(scheme) == 1 && (strings.HasPrefix(rest, `\`) || strings.HasPrefix(rest, "/")) {
		// Windows drive letter path such as C:\..., treat as a path.
		hasScheme = false
	}
	if !hasScheme {
		sp = Spec{Kind: KindSerial, Path: body}
	} else {
		switch strings.ToLower(scheme) {
		case "serial":
			sp = Spec{Kind: KindSerial, Path: rest}
		case "file":
			sp = Spec{Kind: KindFile, Path: rest}
		case "tcp":
			addr := strings.TrimPrefix(rest, "//")
			if addr == "" {
				return Spec{}, fmt.Errorf("%w: tcp 需要主机地址 / tcp needs a host: %q", ErrBadSpec, s)
			}
			if _, _, err := net.SplitHostPort(addr); err != nil {
				addr = net.JoinHostPort(strings.Trim(addr, "[]"), DefaultTCPPort)
			}
			host, port, err := net.SplitHostPort(addr)
			if err != nil || host == "" {
				return Spec{}, fmt.Errorf("%w: tcp 地址无效 / bad tcp address %q", ErrBadSpec, rest)
			}
			if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
				return Spec{}, fmt.Errorf("%w: tcp 端口无效 / bad tcp port %q", ErrBadSpec, port)
			}
			sp = Spec{Kind: KindTCP, Addr: addr}
		case "usb":
			parts := strings.Split(rest, ":")
			if len(parts) < 2 || len(parts) > 3 {
				return Spec{}, fmt.Errorf("%w: usb 格式为 usb:VID:PID[:序列号] / usb spec is usb:VID:PID[:SERIAL], got %q", ErrBadSpec, s)
			}
			vid, err1 := normHex4(parts[0])
			pid, err2 := normHex4(parts[1])
			if err1 != nil || err2 != nil {
				return Spec{}, fmt.Errorf("%w: VID/PID 必须是4位十六进制 / VID and PID must be 4 hex digits, got %q", ErrBadSpec, s)
			}
			sp = Spec{Kind: KindUSB, VID: vid, PID: pid}
			if len(parts) == 3 {
				sp.SerialNumber = parts[2]
			}
		default:
			if len(scheme) > 1 && strings.HasPrefix(strings.ToUpper(scheme), "COM") {
				sp = Spec{Kind: KindSerial, Path: body}
				break
			}
			return Spec{}, fmt.Errorf("%w: 未知的设备类型 %q / unknown transport %q (use serial:, tcp:, file:, usb:)", ErrBadSpec, scheme, scheme)
		}
	}
	if (sp.Kind == KindSerial || sp.Kind == KindFile) && sp.Path == "" {
		return Spec{}, fmt.Errorf("%w: 缺少设备路径 / missing device path in %q", ErrBadSpec, s)
	}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return Spec{}, fmt.Errorf("%w: 参数无效 / bad options %q: %v", ErrBadSpec, query, err)
		}
		for k, vs := range q {
			v := vs[len(vs)-1]
			switch strings.ToLower(k) {
			case "baud":
				n, err := strconv.Atoi(v)
				if err != nil || n <= 0 {
					return Spec{}, fmt.Errorf("%w: 波特率无效 / invalid baud rate %q", ErrBadSpec, v)
				}
				sp.Settings.Baud = n
			case "data", "databits":
				n, err := strconv.Atoi(v)
				if err != nil {
					return Spec{}, fmt.Errorf("%w: 数据位无效 / invalid data bits %q", ErrBadSpec, v)
				}
				sp.Settings.DataBits = n
			case "parity":
				p, err := ParseParity(v)
				if err != nil {
					return Spec{}, err
				}
				sp.Settings.Parity = p
			case "stop", "stopbits":
				st, err := ParseStopBits(v)
				if err != nil {
					return Spec{}, err
				}
				sp.Settings.StopBits = st
			case "dial", "timeout":
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					return Spec{}, fmt.Errorf("%w: 超时无效 / invalid timeout %q", ErrBadSpec, v)
				}
				sp.DialTimeout = d
			default:
				return Spec{}, fmt.Errorf("%w: 未知参数 %q / unknown option %q", ErrBadSpec, k, k)
			}
		}
	}
	if err := sp.Settings.Validate(); err != nil {
		return Spec{}, err
	}
	return sp, nil
}

// MustParseSpec is ParseSpec for constants in tests and the embedded default.
func MustParseSpec(s string) Spec {
	sp, err := ParseSpec(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// ParseParity reads N/E/O/M/S (or none/even/odd/mark/space).
func ParseParity(v string) (Parity, error) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "N", "NONE":
		return ParityNone, nil
	case "E", "EVEN":
		return ParityEven, nil
	case "O", "ODD":
		return ParityOdd, nil
	case "M", "MARK":
		return ParityMark, nil
	case "S", "SPACE":
		return ParitySpace, nil
	}
	return 0, fmt.Errorf("%w: 校验位必须是 N/E/O/M/S / parity must be N, E, O, M or S, got %q", ErrBadSpec, v)
}

// ParseStopBits reads 1, 1.5 or 2.
func ParseStopBits(v string) (StopBits, error) {
	switch strings.TrimSpace(v) {
	case "1":
		return StopBits1, nil
	case "1.5":
		return StopBits1_5, nil
	case "2":
		return StopBits2, nil
	}
	return 0, fmt.Errorf("%w: 停止位必须是 1、1.5 或 2 / stop bits must be 1, 1.5 or 2, got %q", ErrBadSpec, v)
}

func normHex4(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	if len(s) == 0 || len(s) > 4 {
		return "", fmt.Errorf("bad hex")
	}
	n, err := strconv.ParseUint(s, 16, 16)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%04X", n), nil
}

// WithDefaultBaud returns the spec with Baud set to b if the spec left it
// unset (drivers: 9600 for scanners, speakers and XOR lock boards, 19200 for
// Kerong boards).
func (s Spec) WithDefaultBaud(b int) Spec {
	if s.Settings.Baud == 0 {
		s.Settings.Baud = b
	}
	return s
}

// String renders the spec back into the canonical one-string form.
func (s Spec) String() string {
	var b strings.Builder
	switch s.Kind {
	case KindTCP:
		b.WriteString("tcp:" + s.Addr)
	case KindFile:
		b.WriteString("file:" + s.Path)
	case KindUSB:
		b.WriteString("usb:" + s.VID + ":" + s.PID)
		if s.SerialNumber != "" {
			b.WriteString(":" + s.SerialNumber)
		}
	default:
		b.WriteString("serial:" + s.Path)
	}
	var q []string
	if s.Kind == KindSerial || s.Kind == KindUSB {
		st := s.Settings
		if st.Baud != 0 {
			q = append(q, "baud="+strconv.Itoa(st.Baud))
		}
		if st.DataBits != 0 && st.DataBits != 8 {
			q = append(q, "data="+strconv.Itoa(st.DataBits))
		}
		if st.Parity != 0 && st.Parity != ParityNone {
			q = append(q, "parity="+string(rune(st.Parity)))
		}
		if st.StopBits != 0 && st.StopBits != StopBits1 {
			q = append(q, "stop="+st.StopBits.String())
		}
	}
	if s.Kind == KindTCP && s.DialTimeout != 0 {
		q = append(q, "dial="+s.DialTimeout.String())
	}
	if len(q) > 0 {
		b.WriteString("?" + strings.Join(q, "&"))
	}
	return b.String()
}

// Target is a short human name for messages: the path, address or VID:PID.
func (s Spec) Target() string {
	switch s.Kind {
	case KindTCP:
		return s.Addr
	case KindUSB:
		t := "USB " + s.VID + ":" + s.PID
		if s.SerialNumber != "" {
			t += " SN " + s.SerialNumber
		}
		return t
	}
	return s.Path
}
