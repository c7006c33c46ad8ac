package devicemsg_test

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/hardware"
	"cashier/hardware/devicemsg"
	"cashier/hardware/lockboard"
	"cashier/hardware/printer"
	"cashier/hardware/transport"
)

func msg(t *testing.T, err error) app.Message {
	t.Helper()
	m, ok := app.AsMessage(devicemsg.Err(err))
	require.True(t, ok, "%v is not a message", err)
	return m
}

func TestErr(t *testing.T) {
	require.NoError(t, devicemsg.Err(nil))

	oe := &transport.OpenError{Target: "/dev/ttyUSB3", Kind: transport.ErrNotFound, Err: syscall.ENOENT}
	m := msg(t, fmt.Errorf("opening the scanner: %w", oe))
	require.Equal(t, "device.not_found", m.Code)
	require.Equal(t, "/dev/ttyUSB3", m.Args["Port"])
	require.ErrorIs(t, devicemsg.Err(oe), devicemsg.ErrDevice, "every case is a device error")
	require.ErrorIs(t, devicemsg.Err(oe), transport.ErrNotFound, "the cause is kept")

	require.Equal(t, "device.permission", msg(t, &transport.OpenError{Target: "/dev/ttyS0", Kind: transport.ErrPermission}).Code)
	require.Equal(t, "device.permission_lp", msg(t, &transport.OpenError{Target: "/dev/usb/lp0", Kind: transport.ErrPermissionLP}).Code)
	deniedFile := &transport.Opener{OpenFile: func(string, int, os.FileMode) (*os.File, error) {
		return nil, &os.PathError{Op: "open", Path: "/dev/usb/lp0", Err: syscall.EACCES}
	}}
	_, err := deniedFile.Open(transport.MustParseSpec("file:/dev/usb/lp0"))
	m = msg(t, err)
	require.Equal(t, "device.permission_lp", m.Code, "transport says which permission; devicemsg only names it")
	require.Equal(t, "/dev/usb/lp0", m.Args["Port"])

	m = msg(t, &lockboard.BoardError{Board: 0, Lock: 5, Err: lockboard.ErrOpenFailed})
	require.Equal(t, "lock.open_failed", m.Code)
	require.Equal(t, "0", m.Args["Board"], "board 0 of a Kerong bus is named")
	require.Equal(t, "5", m.Args["Lock"])
	require.Equal(t, "lock.bad_reply", msg(t, &lockboard.BoardError{Board: 1, Err: lockboard.ErrChecksum}).Code)

	require.Equal(t, "printer.no_reply", msg(t, &printer.SendError{Err: printer.ErrNoReply}).Code)
	require.Equal(t, "file.not_found", msg(t, &os.PathError{Op: "open", Path: "/x.png", Err: os.ErrNotExist}).Code)

	m = msg(t, errors.New("something else"))
	require.Equal(t, "device.failed", m.Code)
	require.Equal(t, "something else", m.Args["Detail"])

	already := app.NewError("cabinet.not_opened")
	require.Same(t, already, devicemsg.Err(already), "a message stays as it is")
}

func TestCode(t *testing.T) {
	require.Equal(t, "devices.state.paperout", devicemsg.Code(hardware.StatePaperOut, nil))
	require.Equal(t, "devices.state.error", devicemsg.Code(hardware.DeviceState("weird"), nil))
	require.Equal(t, "printer.no_reply", devicemsg.Code(hardware.StateOffline, printer.ErrNoReply))

	// An error no message names: device.failed needs the driver's words,
	// which a key cannot carry, so the words themselves are recorded.
	odd := errors.New("打印机返回未知状态 / the printer sent an unknown status")
	require.Equal(t, odd.Error(), devicemsg.Code(hardware.StateError, odd))
	se := &printer.SendError{Written: 3, Err: odd}
	require.Equal(t, se.Error(), devicemsg.Code(hardware.StateError, se))
	require.Contains(t, se.Error(), odd.Error())
}
