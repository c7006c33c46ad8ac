package lockboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// matchFunc decides whether a well-formed frame answers the waiting
// request. (false, nil): not ours (another board or lock, a report);
// (false, err): it is addressed to us but cannot be the reply (an echo, an
// undefined state byte) — err is what the request reports if nothing
// better arrives before its timeout.
type matchFunc func(f any) (bool, error)

type pending struct {
	match  matchFunc
	prefix []byte // how the expected reply starts: a corrupt frame starting so is remembered
	multi  bool   // collect every accepted frame until the window ends (bus-wide queries)
	ch     chan any
	// badSeen is the last corrupt or unusable frame that looked like our
	// reply; it is only reported if no good reply arrives in time.
	badSeen error
}

// engine owns the port: one reader goroutine, one request at a time on
// the half-duplex bus.
type engine struct {
	port  Port
	parse parseFunc
	log   *slog.Logger
	// onFrm gets well-formed frames no request claims; true if it used
	// them (e.g. a door report), otherwise the engine logs them.
	onFrm func(any) bool

	reqMu sync.Mutex
	mu    sync.Mutex
	pend  *pending
	subs  map[chan Event]struct{}
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once

	garbage int
}

func newEngine(port Port, parse parseFunc, onFrm func(any) bool, log *slog.Logger) *engine {
	e := &engine{port: port, parse: parse, onFrm: onFrm, log: log, subs: map[chan Event]struct{}{},
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
				e.dropped(buf, k, perr)
				buf = buf[k:]
				continue
			}
			buf = buf[k:]
			e.deliver(f)
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

// dropped handles bytes the parser rejected. A corrupt frame never ends a
// wait: the right reply may still follow (RS-485 noise often hits one frame
// only), so it is only remembered for the timeout's error.
func (e *engine) dropped(buf []byte, k int, perr error) {
	e.mu.Lock()
	e.garbage += k
	if p := e.pend; p != nil && errors.Is(perr, ErrChecksum) && len(p.prefix) > 0 && bytes.HasPrefix(buf, p.prefix) {
		p.badSeen = perr
	}
	e.mu.Unlock()
	if errors.Is(perr, ErrChecksum) {
		e.log.Warn("锁控板: 忽略校验错误的帧 / lock board: ignored a frame with a wrong checksum", "err", perr)
	} else {
		e.log.Debug("lock board: skipped noise", "err", perr)
	}
}

// deliver hands a well-formed frame to the waiting request, or to onFrm,
// or logs it as ignored.
func (e *engine) deliver(f any) {
	e.mu.Lock()
	p := e.pend
	var ok bool
	var why error
	if p != nil {
		ok, why = p.match(f)
	}
	switch {
	case ok && p.multi:
		e.mu.Unlock()
		select {
		case p.ch <- f:
		default:
			e.log.Warn("lock board: too many replies, dropped one", "frame", f)
		}
		return
	case ok:
		e.pend = nil
		e.mu.Unlock()
		p.ch <- f
		return
	case why != nil:
		p.badSeen = why
		e.mu.Unlock()
		e.log.Warn("锁控板: 忽略无效应答 / lock board: ignored an unusable reply", "frame", f, "err", why)
		return
	}
	e.mu.Unlock()
	if e.onFrm != nil && e.onFrm(f) {
		return
	}
	e.log.Warn("锁控板: 忽略不属于当前请求的帧 / lock board: ignored a frame that answers no waiting request (another board or lock, or a late reply)", "frame", f)
}

// request sends frame and waits up to timeout for a reply that match
// accepts. A nil match sends without waiting. Frames that are not the
// reply are ignored (and logged); if none is, the error says what was seen.
//
// prefix, if set, is how the expected reply starts, so a corrupt frame
// that starts so is reported as ErrChecksum rather than silence.
func (e *engine) request(ctx context.Context, frame []byte, match matchFunc, prefix []byte, timeout time.Duration) (any, error) {
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
		return f, nil
	case <-t.C:
	case <-ctx.Done():
		e.clearPending(p)
		return nil, ctx.Err()
	case <-e.quit:
		e.clearPending(p)
		return nil, ErrClosed
	}
	bad := e.clearPending(p)
	select { // the reply may have landed just now
	case f := <-p.ch:
		return f, nil
	default:
	}
	if bad != nil {
		return nil, bad
	}
	return nil, ErrNoAnswer
}

// collect sends frame and gathers every reply match accepts until window
// ends or enough says the set is complete: a bus-wide query is answered by
// an unknown number of boards, one after another.
func (e *engine) collect(ctx context.Context, frame []byte, match matchFunc, prefix []byte, window time.Duration, enough func([]any) bool) ([]any, error) {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	select {
	case <-e.quit:
		return nil, ErrClosed
	default:
	}
	p := &pending{match: match, prefix: prefix, multi: true, ch: make(chan any, 64)}
	e.mu.Lock()
	e.pend = p
	e.mu.Unlock()
	if _, err := e.port.Write(frame); err != nil {
		e.clearPending(p)
		return nil, fmt.Errorf("写入锁控板失败 / cannot write to the lock line: %w", err)
	}
	t := time.NewTimer(window)
	defer t.Stop()
	var got []any
wait:
	for {
		select {
		case f := <-p.ch:
			got = append(got, f)
			if enough != nil && enough(got) {
				break wait
			}
		case <-t.C:
			break wait
		case <-ctx.Done():
			e.clearPending(p)
			return nil, ctx.Err()
		case <-e.quit:
			e.clearPending(p)
			return nil, ErrClosed
		}
	}
	bad := e.clearPending(p)
	for {
		select {
		case f := <-p.ch:
			got = append(got, f)
			continue
		default:
		}
		break
	}
	if len(got) == 0 {
		if bad != nil {
			return nil, bad
		}
		return nil, ErrNoAnswer
	}
	return got, nil
}

// clearPending stops p from receiving frames and returns what it saw
// instead of its reply.
func (e *engine) clearPending(p *pending) error {
	if p == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pend == p {
		e.pend = nil
	}
	return p.badSeen
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
