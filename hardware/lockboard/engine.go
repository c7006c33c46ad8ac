package lockboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cashier/hardware"
	"cashier/hardware/transport"
)

// Port is hardware.Port.
type Port = hardware.Port

// parseFunc reads one frame from the front of buf with ParseFrame's
// conventions: (f, n, nil) good; (_, 0, ErrIncomplete) need more;
// (_, n≥1, err) drop n bytes.
type parseFunc func(buf []byte) (any, int, error)

type pending struct {
	match   func(any) bool
	prefix  []byte // the first bytes of the expected reply: a garbled frame starting so fails at once
	ch      chan any
	badSeen error
}

// engine owns the port: one reader goroutine, one request at a time on
// the half-duplex bus.
type engine struct {
	port  Port
	parse parseFunc
	onFrm func(any) // unsolicited frames

	reqMu sync.Mutex
	mu    sync.Mutex
	pend  *pending
	subs  map[chan Event]struct{}
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once

	garbage int
}

func newEngine(port Port, parse parseFunc) *engine {
	e := &engine{port: port, parse: parse, subs: map[chan Event]struct{}{},
		quit: make(chan struct{}), done: make(chan struct{})}
	port.SetReadTimeout(20 * time.Millisecond)
	go e.readLoop()
	return e
}

func (e *engine) close() error {
	e.once.Do(func() {
		close(e.quit)
		<-e.done
		e.mu.Lock()
		for ch := range e.subs {
			close(ch)
		}
		e.subs = map[chan Event]struct{}{}
		e.mu.Unlock()
	})
	return nil
}

func (e *engine) subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	e.mu.Lock()
	select {
	case <-e.quit:
		close(ch)
		e.mu.Unlock()
		return ch, func() {}
	default:
	}
	e.subs[ch] = struct{}{}
	e.mu.Unlock()
	return ch, func() {
		e.mu.Lock()
		if _, ok := e.subs[ch]; ok {
			delete(e.subs, ch)
			close(ch)
		}
		e.mu.Unlock()
	}
}

func (e *engine) publish(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.subs {
		select {
		case ch <- ev:
		default: // a stuck subscriber must not stop the line
		}
	}
}

// Garbage counts bytes skipped while resynchronising.
func (e *engine) Garbage() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.garbage
}

func (e *engine) readLoop() {
	defer close(e.done)
	var buf []byte
	tmp := make([]byte, 256)
	for {
		select {
		case <-e.quit:
			return
		default:
		}
		n, err := e.port.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for len(buf) > 0 {
			f, k, perr := e.parse(buf)
			if errors.Is(perr, ErrIncomplete) {
				break
			}
			if perr != nil {
				e.mu.Lock()
				e.garbage += k
				var failNow *pending
				if p := e.pend; p != nil && errors.Is(perr, ErrChecksum) {
					p.badSeen = perr
					if len(p.prefix) > 0 && bytes.HasPrefix(buf, p.prefix) {
						e.pend = nil
						failNow = p
					}
				}
				e.mu.Unlock()
				if failNow != nil {
					failNow.ch <- perr
				}
				buf = buf[k:]
				continue
			}
			buf = buf[k:]
			e.mu.Lock()
			p := e.pend
			if p != nil && p.match(f) {
				e.pend = nil
				e.mu.Unlock()
				p.ch <- f
				continue
			}
			e.mu.Unlock()
			if e.onFrm != nil {
				e.onFrm(f)
			}
		}
		if len(buf) > 4096 { // never grow without bound on a noisy line
			buf = buf[len(buf)-64:]
		}
		if err != nil {
			if errors.Is(err, transport.ErrManagedClosed) {
				return // the connection's owner closed it for good
			}
			select {
			case <-e.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// request sends frame and waits for a reply that match accepts. A nil
// match sends without waiting.
//
// prefix, if set, is how the expected reply starts: a frame that starts so
// but has a wrong checksum ends the wait at once with ErrChecksum.
func (e *engine) request(ctx context.Context, frame []byte, match func(any) bool, prefix []byte, timeout time.Duration) (any, error) {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	select {
	case <-e.quit:
		return nil, ErrClosed
	default:
	}
	var p *pending
	if match != nil {
		p = &pending{match: match, prefix: prefix, ch: make(chan any, 1)}
		e.mu.Lock()
		e.pend = p
		e.mu.Unlock()
	}
	if _, err := e.port.Write(frame); err != nil {
		e.clearPending(p)
		return nil, fmt.Errorf("写入锁控板失败 / cannot write to the lock line: %w", err)
	}
	if p == nil {
		return nil, nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case f := <-p.ch:
		if err, ok := f.(error); ok {
			return nil, err
		}
		return f, nil
	case <-t.C:
	case <-ctx.Done():
		e.clearPending(p)
		return nil, ctx.Err()
	case <-e.quit:
		e.clearPending(p)
		return nil, ErrClosed
	}
	e.mu.Lock()
	if e.pend == p {
		e.pend = nil
	}
	bad := p.badSeen
	e.mu.Unlock()
	select { // the reply may have landed just now
	case f := <-p.ch:
		if err, ok := f.(error); ok {
			return nil, err
		}
		return f, nil
	default:
	}
	if bad != nil {
		return nil, bad
	}
	return nil, ErrNoAnswer
}

func (e *engine) clearPending(p *pending) {
	if p == nil {
		return
	}
	e.mu.Lock()
	if e.pend == p {
		e.pend = nil
	}
	e.mu.Unlock()
}

// sleep waits d unless ctx or the engine ends first.
func (e *engine) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-e.quit:
		return ErrClosed
	}
}
