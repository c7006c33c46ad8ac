//go:build linux

package ptytest

import (
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Open creates a raw pseudo-terminal pair.
func Open() (*Pair, error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("创建伪终端失败 / cannot create pseudo-terminal: %w", err)
	}
	// creack/pty called Fd() on the master, which switched it to blocking
	// mode (no deadlines, Close does not interrupt Read). Duplicate the
	// descriptor in non-blocking mode so the runtime poller manages it.
	nfd, err := unix.Dup(int(m.Fd()))
	if err != nil {
		m.Close()
		s.Close()
		return nil, fmt.Errorf("创建伪终端失败 / cannot create pseudo-terminal: %w", err)
	}
	m.Close()
	unix.CloseOnExec(nfd)
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		s.Close()
		return nil, fmt.Errorf("创建伪终端失败 / cannot create pseudo-terminal: %w", err)
	}
	master := os.NewFile(uintptr(nfd), "/dev/ptmx")
	if err := MakeRaw(s); err != nil {
		master.Close()
		s.Close()
		return nil, err
	}
	return &Pair{Master: master, Path: s.Name(), slave: s}, nil
}

// MakeRaw sets raw mode (cfmakeraw) on a terminal file.
func MakeRaw(f *os.File) error {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("读取终端设置失败 / cannot read terminal settings: %w", err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR |
		unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY | unix.IUCLC | unix.INPCK
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ECHOE | unix.ECHOK | unix.ECHOCTL |
		unix.ECHOKE | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("设置终端为原始模式失败 / cannot set raw mode: %w", err)
	}
	return nil
}
