package sim

import (
	"errors"
	"io"
	"sync"
	"time"

	"cashier/hardware/ptytest"
)

// ScannerEnding is how the simulated scanner ends each code.
type ScannerEnding int

const (
	ScannerCR   ScannerEnding = iota // "\r"
	ScannerLF                        // "\n"
	ScannerCRLF                      // "\r\n"
	ScannerGap                       // nothing: the idle gap ends it
)

// ScannerGapPause is how long a gap-terminated code is followed by
// silence (twice the app's 50 ms gap).
const ScannerGapPause = 100 * time.Millisecond

// Scanner is a simulated serial barcode scanner.
type Scanner struct {
	// Ending is used by Emit (default CR).
	Ending ScannerEnding
	// ByteDelay paces bytes like a slow line (0 = one write per code).
	ByteDelay time.Duration

	mu   sync.Mutex
	w    io.Writer
	pair *ptytest.Pair
}

// NewScanner makes a scanner that ends codes with e.
func NewScanner(e ScannerEnding) *Scanner { return &Scanner{Ending: e} }

// Attach sets where codes are written (a pty master, a TCP conn).
func (s *Scanner) Attach(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}

// ServePTY creates a pseudo-terminal and returns the path the app opens.
func (s *Scanner) ServePTY() (string, error) {
	p, err := ptytest.Open()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.pair, s.w = p, p.Master
	s.mu.Unlock()
	return p.Path, nil
}

// Close closes the pseudo-terminal, if ServePTY made one.
func (s *Scanner) Close() error {
	s.mu.Lock()
	p := s.pair
	s.w = nil
	s.mu.Unlock()
	if p != nil {
		p.Unplug()
	}
	return nil
}

// Emit "scans" a code with the scanner's Ending.
func (s *Scanner) Emit(code string) error { return s.EmitWith(code, s.Ending) }

// EmitWith scans a code with a given ending.
func (s *Scanner) EmitWith(code string, e ScannerEnding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return errors.New("模拟扫码枪未连接 / simulated scanner not connected")
	}
	data := []byte(code)
	switch e {
	case ScannerCR:
		data = append(data, '\r')
	case ScannerLF:
		data = append(data, '\n')
	case ScannerCRLF:
		data = append(data, '\r', '\n')
	}
	if s.ByteDelay <= 0 {
		if _, err := s.w.Write(data); err != nil {
			return err
		}
	} else {
		for i := range data {
			if _, err := s.w.Write(data[i : i+1]); err != nil {
				return err
			}
			time.Sleep(s.ByteDelay)
		}
	}
	if e == ScannerGap {
		time.Sleep(ScannerGapPause)
	}
	return nil
}
