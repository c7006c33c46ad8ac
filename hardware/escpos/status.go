package escpos

import (
	"errors"
	"fmt"
	"strings"

	"cashier/hardware"
)

// Real-time status requests: DLE EOT n.
const (
	StatusPrinter byte = 1 // offline
	StatusOffline byte = 2 // cover open, stopped by paper end, error
	StatusError   byte = 3 // error causes (not used for state)
	StatusPaper   byte = 4 // paper near end, paper end
)

// StatusRequest is the 3-byte real-time status request for n.
func StatusRequest(n byte) []byte { return []byte{DLE, EOT, n} }

// StatusQueries are the requests a status check sends, in order.
var StatusQueries = []byte{StatusPrinter, StatusOffline, StatusPaper}

// IsStatusByte reports whether b has the fixed bits of a status reply
// (0xx1xx10: bits 1 and 4 set, bits 0 and 7 clear).
func IsStatusByte(b byte) bool { return b&0x93 == 0x12 }

// ErrStatusReply is a byte that is not a status reply.
var ErrStatusReply = errors.New("打印机状态回复无效 / invalid printer status reply")

// Status is the printer's real-time status.
type Status struct {
	Offline      bool // n=1 bit 3
	CoverOpen    bool // n=2 bit 2
	FeedButton   bool // n=2 bit 3: paper is being fed by the button
	PaperStopped bool // n=2 bit 5: printing stopped by paper end
	Error        bool // n=2 bit 6
	PaperNearEnd bool // n=4 bits 2-3
	PaperEnd     bool // n=4 bits 5-6
}

// Apply reads the reply reply to request n into s.
func (s *Status) Apply(n, reply byte) error {
	if !IsStatusByte(reply) {
		return fmt.Errorf("%w: %#02x", ErrStatusReply, reply)
	}
	switch n {
	case StatusPrinter:
		s.Offline = reply&0x08 != 0
	case StatusOffline:
		s.CoverOpen = reply&0x04 != 0
		s.FeedButton = reply&0x08 != 0
		s.PaperStopped = reply&0x20 != 0
		s.Error = reply&0x40 != 0
	case StatusPaper:
		s.PaperNearEnd = reply&0x0C != 0
		s.PaperEnd = reply&0x60 != 0
	case StatusError:
	default:
		return fmt.Errorf("%w: 未知请求 n=%d / unknown request", ErrStatusReply, n)
	}
	return nil
}

// Reply is the byte a printer in status s answers to request n: what the
// simulator sends, and the inverse of Apply.
func (s Status) Reply(n byte) byte {
	v := byte(0x12)
	set := func(cond bool, bits byte) {
		if cond {
			v |= bits
		}
	}
	switch n {
	case StatusPrinter:
		set(s.Offline, 0x08)
	case StatusOffline:
		set(s.CoverOpen, 0x04)
		set(s.FeedButton, 0x08)
		set(s.PaperStopped, 0x20)
		set(s.Error, 0x40)
	case StatusPaper:
		set(s.PaperNearEnd, 0x0C)
		set(s.PaperEnd, 0x60)
	}
	return v
}

// CanPrint reports whether a job sent now would print.
func (s Status) CanPrint() bool {
	return !s.Offline && !s.CoverOpen && !s.PaperEnd && !s.PaperStopped && !s.Error
}

// State is the device state the app shows for s and a message for people
// (Chinese first). The most specific problem wins: cover open, paper end,
// error, offline; a printer that can print but is low on paper is
// StatePaperNearEnd.
func (s Status) State() (hardware.DeviceState, string) {
	switch {
	case s.CoverOpen:
		return hardware.StateCoverOpen, "打印机盖未关好，请合上 / printer cover open"
	case s.PaperEnd || s.PaperStopped:
		return hardware.StatePaperOut, "打印机缺纸，请装纸 / printer out of paper"
	case s.Error:
		return hardware.StateError, "打印机故障（切刀卡住或过热），请检查后重新开机 / printer error (cutter jam or overheating)"
	case s.Offline:
		return hardware.StateOffline, "打印机离线（可能在走纸） / printer offline"
	case s.PaperNearEnd:
		return hardware.StatePaperNearEnd, "打印纸将用完，请准备换纸 / paper near end"
	}
	return hardware.StateReady, "打印机就绪 / printer ready"
}

func (s Status) String() string {
	var f []string
	add := func(c bool, n string) {
		if c {
			f = append(f, n)
		}
	}
	add(s.Offline, "offline")
	add(s.CoverOpen, "cover-open")
	add(s.FeedButton, "feeding")
	add(s.PaperStopped, "stopped-by-paper-end")
	add(s.Error, "error")
	add(s.PaperNearEnd, "paper-near-end")
	add(s.PaperEnd, "paper-end")
	if len(f) == 0 {
		return "ok"
	}
	return strings.Join(f, ",")
}
