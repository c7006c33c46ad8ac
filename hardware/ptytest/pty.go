// Package ptytest creates real pseudo-terminal pairs so tests (and the
// embedded default's simulators) can treat the slave side as a serial port
// opened with go.bug.st/serial while a simulator drives the master side.
//
// Both ends are put in raw mode: no echo, no CR/LF translation, no
// XON/XOFF, no signals, 8-bit clean, so every byte (0x0A, 0x0D, 0x11, 0x13,
// 0xFF, ...) passes unchanged.
//
// The pair keeps its own descriptor of the slave open for its whole life.
// Without it the master would read EIO each time the app closes the port
// (for example while it reconnects) and the simulator would die.
//
// The package does not import "testing": New takes the small TB interface,
// so production code (the embedded default) can use Open without pulling in
// the test framework.
package ptytest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Pair is one pseudo-terminal: Master is the device side (for a
// simulator), Path the serial-port side (for the app).
type Pair struct {
	// Master is the far end. It is pollable, so SetReadDeadline works and
	// Close unblocks a pending Read.
	Master *os.File
	// Path is the slave device, e.g. /dev/pts/7; open it with
	// go.bug.st/serial (leave Mode.InitialStatusBits nil).
	Path string

	mu     sync.Mutex
	slave  *os.File // held open so the master never sees a hang-up
	closed bool
}

// Unplug simulates pulling the device's cable: both pair-held ends are
// closed. The app's open port then reads/writes an error (EIO, which
// hardware/transport reports as hardware.ErrPortClosed). The path
// disappears once the app closes its descriptor too. Safe to call twice.
func (p *Pair) Unplug() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.Master.Close()
	p.slave.Close()
}

// Close is Unplug.
func (p *Pair) Close() error { p.Unplug(); return nil }

// Unplugged reports whether Unplug/Close was called.
func (p *Pair) Unplugged() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Replug simulates the device coming back under another name: a new pair
// is created while the old one still exists (so the kernel cannot hand out
// the same /dev/pts number), then the old one is unplugged. The new pair
// has a different Path.
func (p *Pair) Replug() (*Pair, error) {
	np, err := Open()
	if err != nil {
		return nil, err
	}
	p.Unplug()
	return np, nil
}

// ReadFull reads exactly n bytes from the master within timeout.
func (p *Pair) ReadFull(n int, timeout time.Duration) ([]byte, error) {
	buf := make([]byte, n)
	deadline := time.Now().Add(timeout)
	got := 0
	for got < n {
		if err := p.Master.SetReadDeadline(deadline); err != nil {
			return buf[:got], err
		}
		k, err := p.Master.Read(buf[got:])
		got += k
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return buf[:got], fmt.Errorf("ptytest: got %d of %d bytes before timeout: % X", got, n, buf[:got])
			}
			return buf[:got], err
		}
	}
	p.Master.SetReadDeadline(time.Time{})
	return buf, nil
}

// TB is the part of testing.TB that New needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// New creates a raw pair for a test and closes it at cleanup.
func New(t TB) *Pair {
	t.Helper()
	p, err := Open()
	if err != nil {
		t.Fatalf("ptytest: %v", err)
	}
	t.Cleanup(p.Unplug)
	return p
}

// Replug is Pair.Replug for a test: the new pair is closed at cleanup.
func Replug(t TB, p *Pair) *Pair {
	t.Helper()
	np, err := p.Replug()
	if err != nil {
		t.Fatalf("ptytest: %v", err)
	}
	t.Cleanup(np.Unplug)
	return np
}
