// Package scanner turns every barcode source into one stream of Scan
// events: serial scanners (CR, LF, CRLF or an idle gap ends a scan),
// keyboard-wedge scanners (a fast burst of keys ending in Enter, told apart
// from a person typing by timing — see Wedge), and images or camera frames
// decoded with gozxing (DecodeImage, DecodeFile).
//
// The package does not depend on Fyne: the UI feeds key events into a
// Wedge and subscribes to the Hub.
package scanner

import (
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Source says where a scan came from.
type Source string

const (
	SourceSerial   Source = "serial"
	SourceKeyboard Source = "keyboard"
	SourceImage    Source = "image"
)

// Scan is one scanned code.
type Scan struct {
	Code   string
	Source Source
	Device string // e.g. the serial port or "keyboard"
	Format string // image decodes: "QR_CODE", "EAN_13", ...
	At     time.Time
}

// MaxCodeLen bounds one code (bytes); longer input is cut into codes of
// this size rather than growing without limit.
const MaxCodeLen = 4096

// Hub fans scans from every source out to subscribers.
type Hub struct {
	mu   sync.Mutex
	subs map[chan Scan]struct{}
	now  func() time.Time
}

// NewHub makes an empty hub.
func NewHub() *Hub { return &Hub{subs: map[chan Scan]struct{}{}, now: time.Now} }

// Subscribe receives every scan. The channel holds 64 scans; a subscriber
// that falls further behind misses scans (the hub never blocks a scanner).
func (h *Hub) Subscribe() (<-chan Scan, func()) {
	ch := make(chan Scan, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
		h.mu.Unlock()
	}
}

// Publish sends a scan to every subscriber. Empty codes are dropped.
func (h *Hub) Publish(s Scan) {
	if s.Code == "" {
		return
	}
	if s.At.IsZero() {
		s.At = h.now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- s:
		default:
		}
	}
}

// CleanCode turns raw scanner bytes into a code: UTF-8 if valid, otherwise
// GB18030 (some scanners send Chinese QR content that way); control
// characters are removed except GS (0x1D, the GS1 separator); surrounding
// spaces are trimmed.
func CleanCode(raw []byte) string {
	s := string(raw)
	if !utf8.Valid(raw) {
		if dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw); err == nil {
			s = string(dec)
		} else {
			s = strings.ToValidUTF8(s, "")
		}
	}
	s = strings.Map(func(r rune) rune {
		if r == 0x1D {
			return r
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
