package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"

	"cashier/hardware"
)

// PortInfo describes one serial port found on the machine.
type PortInfo struct {
	Name         string // /dev/ttyUSB0, COM3
	IsUSB        bool
	VID, PID     string // upper-case hex, "" when not USB
	SerialNumber string
	Manufacturer string
	Product      string
}

// Enumerator lists serial ports. Tests inject a fake to simulate a device
// coming back under another name.
type Enumerator interface {
	Ports() ([]PortInfo, error)
}

// EnumeratorFunc adapts a function to Enumerator.
type EnumeratorFunc func() ([]PortInfo, error)

func (f EnumeratorFunc) Ports() ([]PortInfo, error) { return f() }

// SystemEnumerator uses go.bug.st/serial/enumerator.GetDetailedPortsList.
type SystemEnumerator struct{}

func (SystemEnumerator) Ports() ([]PortInfo, error) {
	list, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("列出串口失败 / cannot list serial ports: %w", err)
	}
	out := make([]PortInfo, 0, len(list))
	for _, d := range list {
		if d == nil || d.Name == "" {
			continue
		}
		out = append(out, PortInfo{
			Name: d.Name, IsUSB: d.IsUSB,
			VID: strings.ToUpper(d.VID), PID: strings.ToUpper(d.PID),
			SerialNumber: d.SerialNumber, Manufacturer: d.Manufacturer, Product: d.Product,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// FindUSB returns the port with the given VID/PID and, if serial is not
// empty, serial number. Several matches without a serial number is an
// ErrAmbiguous error: the user must add the serial number (or use a path).
func FindUSB(e Enumerator, vid, pid, serialNo string) (PortInfo, error) {
	if e == nil {
		e = SystemEnumerator{}
	}
	ports, err := e.Ports()
	if err != nil {
		return PortInfo{}, err
	}
	var found []PortInfo
	for _, p := range ports {
		if !p.IsUSB || !strings.EqualFold(p.VID, vid) || !strings.EqualFold(p.PID, pid) {
			continue
		}
		if serialNo != "" && p.SerialNumber != serialNo {
			continue
		}
		found = append(found, p)
	}
	switch len(found) {
	case 0:
		return PortInfo{}, ErrNotFound
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.Name
	}
	return PortInfo{}, fmt.Errorf("%w: %s; 请在设置中加上序列号 / add the serial number (usb:%s:%s:SERIAL)", ErrAmbiguous, strings.Join(names, ", "), vid, pid)
}

// Opener opens ports. The zero value uses the real system; tests replace
// the parts they need.
type Opener struct {
	// Enumerator resolves usb: specs; nil means SystemEnumerator.
	Enumerator Enumerator
	// OpenSerial opens a serial port; nil means serial.Open. Tests inject
	// faults (busy, permission denied) through it.
	OpenSerial func(path string, mode *serial.Mode) (serial.Port, error)
	// Dial connects a TCP spec; nil means net.Dialer.DialContext.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// OpenFile opens a device file; nil means os.OpenFile.
	OpenFile func(name string, flag int, perm os.FileMode) (*os.File, error)
}

// DefaultOpener uses the real system.
var DefaultOpener = &Opener{}

// Open opens spec with DefaultOpener.
func Open(spec Spec) (hardware.Port, error) { return DefaultOpener.Open(spec) }

// OpenString parses and opens a spec string.
func OpenString(s string) (hardware.Port, error) {
	sp, err := ParseSpec(s)
	if err != nil {
		return nil, err
	}
	return Open(sp)
}

// Named is implemented by every port this package returns: the concrete
// path or address that was opened (for a usb: spec, the /dev/tty... found).
type Named interface {
	Name() string
}

// Resolve turns a usb: spec into the serial spec of the port it is on now.
// Other specs are returned unchanged.
func (o *Opener) Resolve(spec Spec) (Spec, error) {
	if spec.Kind != KindUSB {
		return spec, nil
	}
	info, err := FindUSB(o.Enumerator, spec.VID, spec.PID, spec.SerialNumber)
	if err != nil {
		return spec, openError(spec, err)
	}
	out := spec
	out.Kind = KindSerial
	out.Path = info.Name
	return out, nil
}

// Open opens the device the spec names.
func (o *Opener) Open(spec Spec) (hardware.Port, error) {
	if err := spec.Settings.Validate(); err != nil {
		return nil, err
	}
	switch spec.Kind {
	case KindUSB:
		rs, err := o.Resolve(spec)
		if err != nil {
			return nil, err
		}
		p, err := o.openSerial(rs)
		if err != nil {
			return nil, err
		}
		return p, nil
	case KindSerial, "":
		return o.openSerial(spec)
	case KindTCP:
		return o.openTCP(spec)
	case KindFile:
		return o.openFile(spec)
	}
	return nil, fmt.Errorf("%w: 未知的设备类型 / unknown transport %q", ErrBadSpec, spec.Kind)
}

// SerialMode converts Settings to the serial library's Mode.
// InitialStatusBits stays nil: modem-bit ioctls fail on pseudo-terminals.
func SerialMode(s Settings) (*serial.Mode, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.normalized(9600)
	m := &serial.Mode{BaudRate: s.Baud, DataBits: s.DataBits}
	switch s.Parity {
	case ParityNone:
		m.Parity = serial.NoParity
	case ParityEven:
		m.Parity = serial.EvenParity
	case ParityOdd:
		m.Parity = serial.OddParity
	case ParityMark:
		m.Parity = serial.MarkParity
	case ParitySpace:
		m.Parity = serial.SpaceParity
	}
	switch s.StopBits {
	case StopBits1:
		m.StopBits = serial.OneStopBit
	case StopBits1_5:
		m.StopBits = serial.OnePointFiveStopBits
	case StopBits2:
		m.StopBits = serial.TwoStopBits
	}
	return m, nil
}

func (o *Opener) openSerial(spec Spec) (hardware.Port, error) {
	mode, err := SerialMode(spec.Settings)
	if err != nil {
		return nil, err
	}
	openFn := o.OpenSerial
	if openFn == nil {
		openFn = serial.Open
	}
	// serial.Open reports a missing file as a bare ENOENT; check first so
	// the message is clear.
	if o.OpenSerial == nil && !strings.HasPrefix(strings.ToUpper(spec.Path), "COM") {
		if _, statErr := os.Stat(spec.Path); statErr != nil && errors.Is(statErr, os.ErrNotExist) {
			return nil, openError(spec, statErr)
		}
	}
	p, err := openFn(spec.Path, mode)
	if err != nil {
		return nil, openError(spec, err)
	}
	return &serialPort{p: p, name: spec.Path}, nil
}

type serialPort struct {
	p    serial.Port
	name string
}

func (s *serialPort) Name() string { return s.name }
func (s *serialPort) Read(b []byte) (int, error) {
	n, err := s.p.Read(b)
	return n, ioError(s.name, err)
}
func (s *serialPort) Write(b []byte) (int, error) {
	n, err := s.p.Write(b)
	return n, ioError(s.name, err)
}
func (s *serialPort) SetReadTimeout(d time.Duration) error {
	if d <= 0 {
		d = serial.NoTimeout
	}
	return s.p.SetReadTimeout(d)
}
func (s *serialPort) Close() error { return s.p.Close() }

// DefaultDialTimeout bounds connecting to a TCP device.
const DefaultDialTimeout = 5 * time.Second

// TCPWriteTimeout bounds each Write to a TCP device, so a dead printer
// cannot hang the print queue.
var TCPWriteTimeout = 15 * time.Second

func (o *Opener) openTCP(spec Spec) (hardware.Port, error) {
	to := spec.DialTimeout
	if to <= 0 {
		to = DefaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), to)
	defer cancel()
	dial := o.Dial
	if dial == nil {
		d := &net.Dialer{}
		dial = d.DialContext
	}
	c, err := dial(ctx, "tcp", spec.Addr)
	if err != nil {
		return nil, openError(spec, err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		tc.SetKeepAlive(true)
		tc.SetKeepAlivePeriod(30 * time.Second)
	}
	return &tcpPort{c: c, name: spec.Addr}, nil
}

type tcpPort struct {
	c       net.Conn
	name    string
	mu      sync.Mutex
	timeout time.Duration
}

func (t *tcpPort) Name() string { return "tcp:" + t.name }
func (t *tcpPort) Read(b []byte) (int, error) {
	t.mu.Lock()
	to := t.timeout
	t.mu.Unlock()
	if to > 0 {
		t.c.SetReadDeadline(time.Now().Add(to))
	} else {
		t.c.SetReadDeadline(time.Time{})
	}
	n, err := t.c.Read(b)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return n, nil
		}
		return n, ioError(t.Name(), err)
	}
	return n, nil
}
func (t *tcpPort) Write(b []byte) (int, error) {
	t.c.SetWriteDeadline(time.Now().Add(TCPWriteTimeout))
	n, err := t.c.Write(b)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return n, fmt.Errorf("%w: %s: 写入超时 / write timed out (printer not taking data)", hardware.ErrPortClosed, t.Name())
		}
		return n, ioError(t.Name(), err)
	}
	return n, nil
}
func (t *tcpPort) SetReadTimeout(d time.Duration) error {
	t.mu.Lock()
	t.timeout = d
	t.mu.Unlock()
	return nil
}
func (t *tcpPort) Close() error { return t.c.Close() }

func (o *Opener) openFile(spec Spec) (hardware.Port, error) {
	openFn := o.OpenFile
	if openFn == nil {
		openFn = os.OpenFile
	}
	f, err := openFn(spec.Path, os.O_RDWR|syscall.O_NOCTTY, 0)
	writeOnly := false
	if err != nil && (errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EINVAL)) {
		// Some printer nodes are write-only for the user; printing still works.
		if f2, err2 := openFn(spec.Path, os.O_WRONLY|syscall.O_NOCTTY, 0); err2 == nil {
			f, err, writeOnly = f2, nil, true
		}
	}
	if err != nil {
		return nil, openError(spec, err)
	}
	return &filePort{f: f, name: spec.Path, writeOnly: writeOnly}, nil
}

type filePort struct {
	f         *os.File
	name      string
	writeOnly bool
	mu        sync.Mutex
	timeout   time.Duration
}

func (p *filePort) Name() string { return p.name }

func (p *filePort) idle() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timeout > 0 && p.timeout < time.Second {
		return p.timeout
	}
	if p.timeout > 0 {
		return time.Second
	}
	return 100 * time.Millisecond
}

// Read returns what the device has to say (usblp: status bytes, if any).
// End of file and "no data" are a timed-out read: (0, nil) after the read
// timeout, so callers poll as with a serial port.
func (p *filePort) Read(b []byte) (int, error) {
	if p.writeOnly {
		time.Sleep(p.idle())
		return 0, nil
	}
	p.mu.Lock()
	to := p.timeout
	p.mu.Unlock()
	// Deadlines work when the device is pollable; otherwise the read
	// blocks as the driver decides (usblp returns promptly).
	if to > 0 {
		_ = p.f.SetReadDeadline(time.Now().Add(to))
	} else {
		_ = p.f.SetReadDeadline(time.Time{})
	}
	n, err := p.f.Read(b)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return n, nil
		}
		if errors.Is(err, io.EOF) {
			if n == 0 {
				time.Sleep(p.idle())
			}
			return n, nil
		}
		return n, ioError(p.name, err)
	}
	return n, nil
}

func (p *filePort) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	return n, ioError(p.name, err)
}

func (p *filePort) SetReadTimeout(d time.Duration) error {
	p.mu.Lock()
	p.timeout = d
	p.mu.Unlock()
	return nil
}

func (p *filePort) Close() error { return p.f.Close() }
