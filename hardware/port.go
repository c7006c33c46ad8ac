// Package hardware drives the counter's devices (receipt printers, scanners,
// voice speakers, cabinet lock boards) over serial lines, raw TCP and device
// files. Sub-packages hold one device family each; hardware/sim holds the
// simulators that sit on the far end of a pseudo-terminal or TCP port.
package hardware

import (
	"errors"
	"io"
	"time"
)

// Port is an open byte stream to a device. Serial ports, TCP printer
// sockets and /dev/usb/lp* files all satisfy it.
type Port interface {
	io.ReadWriteCloser
	// SetReadTimeout bounds each Read; a Read that times out returns (0, nil)
	// as go.bug.st/serial does, so callers poll without treating it as EOF.
	SetReadTimeout(d time.Duration) error
}

// ErrPortClosed means the device went away (unplugged, far end closed);
// the caller should reconnect.
var ErrPortClosed = errors.New("设备已断开 / device disconnected")

// DeviceState is what the app shows for each configured device.
type DeviceState string

const (
	StateConnecting   DeviceState = "connecting"
	StateReady        DeviceState = "ready"
	StateBusy         DeviceState = "busy"
	StatePaperOut     DeviceState = "paper_out"
	StatePaperNearEnd DeviceState = "paper_near_end"
	StateCoverOpen    DeviceState = "cover_open"
	StateOffline      DeviceState = "offline"
	StateDisconnected DeviceState = "disconnected"
	StateError        DeviceState = "error"
)
