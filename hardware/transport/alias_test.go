package transport

import (
	"syscall"

	"go.bug.st/serial"
)

type serialMode = serial.Mode
type serialPort_ = serial.Port

var errPermissionForTest = syscall.EACCES
