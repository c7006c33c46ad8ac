package transport

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"syscall"

	"go.bug.st/serial"

	"cashier/hardware"
)

// Error kinds. Test with errors.Is; the full message (OpenError.Error) is
// bilingual and names the device.
var (
	ErrBadSpec    = errors.New("设备设置无效 / invalid device setting")
	ErrNotFound   = errors.New("找不到设备 / device not found")
	ErrBusy       = errors.New("设备被其他程序占用 / device busy (in use by another program)")
	ErrPermission = errors.New("没有权限访问设备 / permission denied")
	// ErrPermissionLP is ErrPermission on a USB printer device file
	// (/dev/usb/lp*), which the lp group opens rather than dialout;
	// errors.Is(err, ErrPermission) holds for it too.
	ErrPermissionLP = fmt.Errorf("%w", ErrPermission)
	ErrUnsupported  = errors.New("设备不支持该串口参数 / line settings not supported by the port")
	ErrNotSerial    = errors.New("不是串口设备 / not a serial port")
	ErrUnreachable  = errors.New("无法连接网络设备 / cannot connect to the network device")
	ErrAmbiguous    = errors.New("有多个设备符合条件 / more than one device matches")
	// ErrNotConnected is returned by a Managed port's Write while the device
	// is away; the Managed connection keeps trying to reconnect.
	ErrNotConnected = errors.New("设备未连接 / device not connected")
	// ErrManagedClosed is returned by a Managed port after Close.
	ErrManagedClosed = errors.New("设备连接已关闭 / device connection closed")
)

// OpenError says which device could not be opened, why (Kind, one of the
// Err* values above) and what to do (Hint).
type OpenError struct {
	Target string // path, host:port or USB VID:PID
	Kind   error
	Err    error // the underlying error, may be nil
	Hint   string
}

func (e *OpenError) Error() string {
	var b strings.Builder
	b.WriteString("打开设备失败 / cannot open device ")
	b.WriteString(e.Target)
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Err != nil && e.Err != e.Kind {
		b.WriteString(" (")
		b.WriteString(e.Err.Error())
		b.WriteString(")")
	}
	if e.Hint != "" {
		b.WriteString(". ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *OpenError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Classify maps an error from opening a port (go.bug.st/serial PortError
// codes, os / syscall errors, net errors) to one of the Err* kinds, or
// nil if it is none of them.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	for _, k := range []error{ErrBadSpec, ErrNotFound, ErrBusy, ErrPermissionLP, ErrPermission, ErrUnsupported, ErrNotSerial, ErrUnreachable, ErrAmbiguous} {
		if errors.Is(err, k) {
			return k
		}
	}
	var pe *serial.PortError
	if !errors.As(err, &pe) {
		var pv serial.PortError
		if errors.As(err, &pv) {
			pe = &pv
		}
	}
	if pe != nil {
		switch pe.Code() {
		case serial.PortBusy:
			return ErrBusy
		case serial.PortNotFound:
			return ErrNotFound
		case serial.PermissionDenied:
			return ErrPermission
		case serial.InvalidSpeed, serial.InvalidDataBits, serial.InvalidParity, serial.InvalidStopBits:
			return ErrUnsupported
		case serial.InvalidSerialPort:
			// The library wraps "configuring port" failures (e.g. 1.5 stop
			// bits on Linux) as InvalidSerialPort without Unwrap.
			if strings.Contains(pe.Error(), "not supported") {
				return ErrUnsupported
			}
			return ErrNotSerial
		case serial.PortClosed:
			return hardware.ErrPortClosed
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return ErrNotFound
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return ErrPermission
	case errors.Is(err, syscall.EBUSY):
		return ErrBusy
	case errors.Is(err, syscall.ENOTTY):
		return ErrNotSerial
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ErrUnreachable
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return ErrUnreachable
	}
	return nil
}

// IsUSBPrinterFile says whether path is a Linux USB printer device file
// (/dev/usb/lp*), which the lp group may open.
func IsUSBPrinterFile(path string) bool { return strings.HasPrefix(path, "/dev/usb/lp") }

func openError(sp Spec, err error) error {
	kind := Classify(err)
	if kind == nil {
		kind = errors.New("打开失败 / open failed")
	}
	if kind == ErrPermission && IsUSBPrinterFile(sp.Path) {
		kind = ErrPermissionLP
	}
	oe := &OpenError{Target: sp.Target(), Kind: kind, Err: err}
	if kind == err {
		oe.Err = nil
	}
	switch kind {
	case ErrPermissionLP:
		oe.Hint = "请把当前用户加入 lp 组 / add the user to the lp group (sudo usermod -aG lp $USER, then log in again)"
	case ErrPermission:
		oe.Hint = "请把当前用户加入 dialout 组 / add the user to the dialout group (sudo usermod -aG dialout $USER, then log in again)"
	case ErrBusy:
		oe.Hint = "请关闭占用该端口的程序 / close the other program using the port"
	case ErrNotFound:
		if sp.Kind == KindUSB {
			oe.Hint = "请检查USB线，或运行 pos devices list / check the USB cable or run `pos devices list`"
		} else {
			oe.Hint = "请检查设备连接和端口名，或运行 pos devices list / check the cable and port name, or run `pos devices list`"
		}
	case ErrUnsupported:
		oe.Hint = "请检查波特率、数据位、校验位和停止位 / check baud, data bits, parity and stop bits (1.5 stop bits is not available on Linux)"
	case ErrUnreachable:
		oe.Hint = "请检查打印机IP地址、端口和网络 / check the printer's IP address, port and network"
	}
	return oe
}

// ioError turns an error from Read/Write on an open port into
// hardware.ErrPortClosed when the device went away, keeping the cause.
func ioError(name string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, hardware.ErrPortClosed) {
		return err
	}
	gone := errors.Is(err, io.EOF) || errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENODEV) ||
		errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EBADF) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) || errors.Is(err, fs.ErrClosed)
	var pe *serial.PortError
	if errors.As(err, &pe) && pe.Code() == serial.PortClosed {
		gone = true
	}
	if gone {
		return fmt.Errorf("%w: %s (%v)", hardware.ErrPortClosed, name, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}
