//go:build !linux

package ptytest

import (
	"errors"
	"os"
)

// ErrUnsupported: the simulators' pseudo-terminals are built on Linux
// termios; elsewhere (Windows) the pty-based simulators are unavailable and
// the app says so instead of failing to build.
var ErrUnsupported = errors.New("此系统不支持伪终端模拟设备 / simulated serial devices (pseudo-terminals) are not available on this system")

// Open is unavailable here.
func Open() (*Pair, error) { return nil, ErrUnsupported }

// MakeRaw is unavailable here.
func MakeRaw(*os.File) error { return ErrUnsupported }
