// Package devicemsg names what the device drivers report — their errors
// and their states — as app messages, so the GUI and the CLI say them in
// the person's language. The drivers keep their own texts for logs; this
// is the one place that knows which of their errors means what to a
// person, so a driver gaining an error needs a line here and two
// translations.
package devicemsg

import (
	"context"
	"errors"
	"io/fs"
	"strconv"

	"cashier/app"
	"cashier/hardware"
	"cashier/hardware/escpos"
	"cashier/hardware/lockboard"
	"cashier/hardware/printer"
	"cashier/hardware/printq"
	"cashier/hardware/scanner"
	"cashier/hardware/speaker"
	"cashier/hardware/transport"
)

// ErrDevice is the general case: a device problem with no more specific
// message; its Detail is the driver's own words.
var ErrDevice = app.NewError("device.failed")

// The most specific first: an OpenError carries both its kind and the
// cause, and a lock-board address error wraps nothing more general.
var table = []struct {
	err  error
	code *app.Error
}{
	{transport.ErrBadSpec, ErrDevice.Sub("device.bad_spec")},
	{transport.ErrNotFound, ErrDevice.Sub("device.not_found")},
	{transport.ErrBusy, ErrDevice.Sub("device.busy")},
	{transport.ErrPermissionLP, ErrDevice.Sub("device.permission_lp")},
	{transport.ErrPermission, ErrDevice.Sub("device.permission")},
	{transport.ErrUnsupported, ErrDevice.Sub("device.unsupported")},
	{transport.ErrNotSerial, ErrDevice.Sub("device.not_serial")},
	{transport.ErrUnreachable, ErrDevice.Sub("device.unreachable")},
	{transport.ErrAmbiguous, ErrDevice.Sub("device.ambiguous")},
	{transport.ErrNotConnected, ErrDevice.Sub("device.not_connected")},
	{transport.ErrManagedClosed, ErrDevice.Sub("device.closed")},
	{hardware.ErrPortClosed, ErrDevice.Sub("device.disconnected")},

	{printer.ErrNoReply, ErrDevice.Sub("printer.no_reply")},
	{printer.ErrDisconnected, ErrDevice.Sub("device.disconnected")},
	{printer.ErrNoPort, ErrDevice.Sub("printer.no_port")},
	{printer.ErrClosed, ErrDevice.Sub("device.closed")},
	{escpos.ErrBadPaper, ErrDevice.Sub("printer.bad_paper")},
	{printq.ErrNotFound, ErrDevice.Sub("print.job_not_found")},
	{printq.ErrConflict, ErrDevice.Sub("print.job_changed")},
	{printq.ErrEmpty, ErrDevice.Sub("print.empty")},

	{lockboard.ErrAddress, ErrDevice.Sub("lock.address")},
	{lockboard.ErrOpenFailed, ErrDevice.Sub("lock.open_failed")},
	{lockboard.ErrNoAnswer, ErrDevice.Sub("lock.no_answer")},
	{lockboard.ErrChecksum, ErrDevice.Sub("lock.bad_reply")},
	{lockboard.ErrBadFrame, ErrDevice.Sub("lock.bad_reply")},
	{lockboard.ErrClosed, ErrDevice.Sub("device.closed")},

	{speaker.ErrNoAnswer, ErrDevice.Sub("speaker.no_answer")},
	{speaker.ErrRejected, ErrDevice.Sub("speaker.rejected")},
	{speaker.ErrTooLong, ErrDevice.Sub("speaker.too_long")},
	{speaker.ErrEmptyText, ErrDevice.Sub("speaker.empty")},
	{speaker.ErrUnencodable, ErrDevice.Sub("speaker.unencodable")},
	{speaker.ErrBadVolume, ErrDevice.Sub("speaker.bad_volume")},
	{speaker.ErrNoVolumeIn, ErrDevice.Sub("speaker.no_volume")},
	{speaker.ErrStale, ErrDevice.Sub("speaker.stale")},
	{speaker.ErrQueueFull, ErrDevice.Sub("speaker.queue_full")},
	{speaker.ErrClosed, ErrDevice.Sub("device.closed")},

	{scanner.ErrNoCode, ErrDevice.Sub("scan.no_code")},
	{scanner.ErrNotImage, ErrDevice.Sub("scan.not_image")},
	{fs.ErrNotExist, ErrDevice.Sub("file.not_found")},
	{fs.ErrPermission, ErrDevice.Sub("file.permission")},
	{context.DeadlineExceeded, ErrDevice.Sub("device.timeout")},
}

// Err turns a driver's error into an app.Error a person can be shown; nil
// stays nil and an error that already is a message is kept. Port names
// the device or file, Board and Lock the lock, when the driver said which
// (as text, so board 0 of a Kerong bus still shows).
func Err(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := app.AsMessage(err); ok {
		return err
	}
	var port, board, lock string
	var pe *fs.PathError
	if errors.As(err, &pe) {
		port = pe.Path
	}
	var oe *transport.OpenError
	if errors.As(err, &oe) {
		port = oe.Target
	}
	var be *lockboard.BoardError
	if errors.As(err, &be) {
		board = strconv.Itoa(be.Board)
		if be.Lock > 0 {
			lock = strconv.Itoa(be.Lock)
		}
	}
	code := ErrDevice
	for _, t := range table {
		if errors.Is(err, t.err) {
			code = t.code
			break
		}
	}
	return code.With("Port", port, "Board", board, "Lock", lock, "Detail", err.Error()).Wrap(err)
}

// Code is what the print queue records as a job's LastError: the
// translation key for a device's state, or for the error that explains it.
// A key carries no parameters, so an error no message names (the general
// ErrDevice, whose text needs the driver's words) is recorded as the
// driver's words themselves; the screen shows text that is no key as it is.
func Code(state hardware.DeviceState, err error) string {
	if err != nil {
		m, _ := app.AsMessage(Err(err))
		if m.Code != ErrDevice.Code {
			return m.Code
		}
		return err.Error()
	}
	return State(state).Code
}

// State names a device state.
func State(s hardware.DeviceState) app.Message {
	switch s {
	case hardware.StateConnecting:
		return app.Msg("devices.state.connecting")
	case hardware.StateReady:
		return app.Msg("devices.state.ready")
	case hardware.StateBusy:
		return app.Msg("devices.state.busy")
	case hardware.StatePaperOut:
		return app.Msg("devices.state.paperout")
	case hardware.StatePaperNearEnd:
		return app.Msg("devices.state.nearend")
	case hardware.StateCoverOpen:
		return app.Msg("devices.state.cover")
	case hardware.StateOffline:
		return app.Msg("devices.state.offline")
	case hardware.StateDisconnected:
		return app.Msg("devices.state.disconnected")
	}
	return app.Msg("devices.state.error")
}
