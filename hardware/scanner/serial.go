package scanner

import (
	"errors"
	"time"

	"cashier/hardware"
	"cashier/hardware/transport"
)

// DefaultGap is the idle time that ends a scan sent without a terminator.
const DefaultGap = 50 * time.Millisecond

// Framer cuts a serial byte stream into codes: CR, LF or CRLF end a code,
// and so does an idle gap. It never yields empty codes (the LF of a CRLF,
// blank lines). Pure: time is passed in.
type Framer struct {
	Gap  time.Duration // default DefaultGap
	buf  []byte
	last time.Time
}

// Feed adds bytes received at time at and returns the codes they complete.
func (f *Framer) Feed(p []byte, at time.Time) []string {
	var out []string
	if len(f.buf) > 0 && at.Sub(f.last) >= f.gap() {
		out = f.emit(out)
	}
	for _, b := range p {
		switch b {
		case '\r', '\n':
			out = f.emit(out)
		default:
			f.buf = append(f.buf, b)
			if len(f.buf) >= MaxCodeLen {
				out = f.emit(out)
			}
		}
	}
	if len(p) > 0 {
		f.last = at
	}
	return out
}

// Idle is called when no bytes came; it ends a pending code once the gap
// has passed since the last byte.
func (f *Framer) Idle(now time.Time) []string {
	if len(f.buf) > 0 && now.Sub(f.last) >= f.gap() {
		return f.emit(nil)
	}
	return nil
}

// Pending reports whether a partial code is held.
func (f *Framer) Pending() bool { return len(f.buf) > 0 }

func (f *Framer) gap() time.Duration {
	if f.Gap <= 0 {
		return DefaultGap
	}
	return f.Gap
}

func (f *Framer) emit(out []string) []string {
	if len(f.buf) > 0 {
		if c := CleanCode(f.buf); c != "" {
			out = append(out, c)
		}
		f.buf = f.buf[:0]
	}
	return out
}

// SerialOptions configure a serial scanner reader.
type SerialOptions struct {
	Device string        // name in Scan.Device (e.g. the port spec)
	Gap    time.Duration // idle gap that ends a scan (default 50 ms)
	// OnError, if set, hears read errors (the reader keeps going; a
	// transport.Managed port reconnects meanwhile).
	OnError func(error)
}

// SerialReader reads a serial scanner and publishes its scans to a hub.
type SerialReader struct {
	port hardware.Port
	hub  *Hub
	opt  SerialOptions
	quit chan struct{}
	done chan struct{}
}

// AttachSerial starts reading port in the background. Stop ends it; the
// port itself belongs to the caller.
func (h *Hub) AttachSerial(port hardware.Port, opt SerialOptions) *SerialReader {
	r := &SerialReader{port: port, hub: h, opt: opt, quit: make(chan struct{}), done: make(chan struct{})}
	go r.run()
	return r
}

// Stop ends the reader and waits for it.
func (r *SerialReader) Stop() {
	select {
	case <-r.quit:
	default:
		close(r.quit)
	}
	<-r.done
}

func (r *SerialReader) run() {
	defer close(r.done)
	f := &Framer{Gap: r.opt.Gap}
	// Poll often enough to notice the gap promptly.
	poll := f.gap() / 3
	if poll < 5*time.Millisecond {
		poll = 5 * time.Millisecond
	}
	r.port.SetReadTimeout(poll)
	buf := make([]byte, 256)
	var lastErr string
	for {
		select {
		case <-r.quit:
			for _, c := range f.Idle(time.Now().Add(time.Hour)) {
				r.publish(c)
			}
			return
		default:
		}
		n, err := r.port.Read(buf)
		now := time.Now()
		if n > 0 {
			for _, c := range f.Feed(buf[:n], now) {
				r.publish(c)
			}
		} else {
			for _, c := range f.Idle(now) {
				r.publish(c)
			}
		}
		if err != nil {
			if errors.Is(err, transport.ErrManagedClosed) {
				return
			}
			// Whatever was half received before the failure is still a code.
			for _, c := range f.Idle(now.Add(time.Hour)) {
				r.publish(c)
			}
			if r.opt.OnError != nil && err.Error() != lastErr {
				r.opt.OnError(err)
			}
			lastErr = err.Error()
			select {
			case <-r.quit:
				return
			case <-time.After(100 * time.Millisecond):
			}
		} else {
			lastErr = ""
		}
	}
}

func (r *SerialReader) publish(code string) {
	dev := r.opt.Device
	if dev == "" {
		dev = "serial"
	}
	r.hub.Publish(Scan{Code: code, Source: SourceSerial, Device: dev, At: time.Now()})
}
