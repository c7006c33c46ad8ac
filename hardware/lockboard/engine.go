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
// (_, n≥1, err) drop n bytes. A frame renders its own bytes (Bytes), so
// the engine can tell one equal to the request it sent.
type parseFunc func(buf []byte) (any, int, error)

// frame is what parseFunc returns.
type frame interface{ Bytes() []byte }

// matchFunc decides whether a well-formed frame answers the waiting
// request. (false, nil): not ours (another board or lock, a report);
// (false, err): it is addressed to us but cannot be the reply (an
// undefined state byte) — err is what the request reports if nothing
// better arrives before its timeout.
type matchFunc func(f any) (bool, error)

// echoMode is what the engine has learnt of the line's RS-485 adapter:
// whether it echoes what is sent. Many do. An echo cannot be told from a
// reply by its bytes — an XOR board's answer can equal the request (an
// open that did not open, the open-all acknowledgement) — but it can by
// order: the adapter echoes the request while sending it, so the echo
// comes before any reply. Every request teaches the engine:
//
//   - a frame equal to the request, then a reply: the line echoes;
//   - a reply, or silence, with nothing equal to the request before it:
//     it does not (unless a corrupt frame came, which may have been the
//     echo).
//
// On a line that echoes, the first frame equal to each request is the
// echo: it is logged and dropped. While the engine does not know yet,
// that frame is held back: a reply after it shows it was the echo; if
// none comes, the request ends with errEchoOrReply and the frame, and the
// caller settles the question with a request whose reply never equals
// it (XOR: a query).
type echoMode int

const (
	echoUnknown echoMode = iota
	echoNo
	echoYes
)

// errEchoOrReply: the only frame that came equals the request, and the
// engine does not know yet whether the line echoes. It wraps ErrBadFrame.
var errEchoOrReply = fmt.Errorf("%w: 应答与请求相同, 无法区分锁控板的应答和 RS-485 转换器的回显 / the reply equals the request: cannot tell the board's answer from the RS-485 adapter's echo", ErrBadFrame)

type pending struct {
	req   []byte // the bytes sent: a frame equal to them may be the adapter's echo
	match matchFunc
	// looks says whether bytes the parser rejected for their checksum
	// start like the awaited reply; such a frame is remembered (nil: never).
	looks func(buf []byte) bool
	multi bool // collect every accepted frame until the window ends (bus-wide queries)
	ch    chan any
	// same counts frames equal to req; held is the first, kept back while
	// the echo mode is unknown.
	same int
	held any
	// corrupt: a frame with a wrong checksum came; it may have been the echo.
	corrupt bool
	// badSeen is the last corrupt or unusable frame that looked like our
	// reply; it is only reported if no good reply arrives in time.
	badSeen error
}

func (p *pending) isRequest(f any) bool {
	fr, ok := f.(frame)
	return ok && bytes.Equal(fr.Bytes(), p.req)
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
	echo  echoMode
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

// echoes is what the engine knows of the line's echo.
func (e *engine) echoes() echoMode {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.echo
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
	if p := e.pend; p != nil && errors.Is(perr, ErrChecksum) {
		p.corrupt = true
		if p.looks != nil && p.looks(buf) {
			p.badSeen = perr
		}
	}
	e.mu.Unlock()
	if errors.Is(perr, ErrChecksum) {
		e.log.Warn("锁控板: 忽略校验错误的帧 / lock board: ignored a frame with a wrong checksum", "err", perr)
	} else {
		e.log.Debug("lock board: skipped noise", "err", perr)
	}
}

const logEcho = "lock board: ignored the adapter's echo of the request"

// setEchoLocked records what the line was seen to do; f is the frame that
// showed it. A change is logged.
func (e *engine) setEchoLocked(m echoMode, f any) {
	if m == e.echo {
		return
	}
	e.echo = m
	if m == echoYes {
		e.log.Warn("锁控板: RS-485 转换器回显发送的数据, 每个请求的回显将被忽略 / lock board: the RS-485 adapter echoes what it sends; the echo of each request is ignored", "frame", f)
	} else {
		e.log.Info("lock board: the RS-485 adapter does not echo what it sends")
	}
}

// deliver hands a well-formed frame to the waiting request, or to onFrm,
// or logs it as ignored.
func (e *engine) deliver(f any) {
	e.mu.Lock()
	p := e.pend
	if p != nil && p.isRequest(f) {
		p.same++
		if p.same == 1 {
			switch e.echo {
			case echoYes:
				e.mu.Unlock()
				e.log.Debug(logEcho, "frame", f)
				return
			case echoUnknown:
				p.held = f
				e.mu.Unlock()
				e.log.Debug("lock board: a frame equal to the request: the board's answer or the adapter's echo", "frame", f)
				return
			}
		}
	}
	var ok bool
	var why error
	if p != nil {
		ok, why = p.match(f)
	}
	switch {
	case ok:
		e.learnLocked(p, f)
		if !p.multi {
			e.pend = nil
		}
		e.mu.Unlock()
		select {
		case p.ch <- f:
		default:
			e.log.Warn("lock board: too many replies, dropped one", "frame", f)
		}
		return
	case why != nil && p.isRequest(f):
		// It is the request and cannot be its reply: the adapter echoes.
		e.setEchoLocked(echoYes, f)
		e.mu.Unlock()
		e.log.Debug(logEcho, "frame", f)
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

// learnLocked notes what p's reply f says of the line's echo (see echoMode).
func (e *engine) learnLocked(p *pending, f any) {
	switch {
	case p.same > 1 || (p.same == 1 && !p.isRequest(f)):
		e.setEchoLocked(echoYes, f) // a frame equal to the request came before the reply
	case p.same == 0 && !p.corrupt:
		e.setEchoLocked(echoNo, f)
	}
}

// send writes frame without waiting for a reply (a command that has none).
func (e *engine) send(frame []byte) error {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	select {
	case <-e.quit:
		return ErrClosed
	default:
	}
	return e.write(frame)
}

func (e *engine) write(frame []byte) error {
	if _, err := e.port.Write(frame); err != nil {
		return fmt.Errorf("写入锁控板失败 / cannot write to the lock line: %w", err)
	}
	return nil
}

// request sends frame and waits up to timeout for the one reply match
// accepts: a collect that stops at the first reply. Frames that are not the
// reply are ignored (and logged); if none is, the error says what was seen.
// With errEchoOrReply it returns the frame equal to the request that came.
func (e *engine) request(ctx context.Context, frame []byte, match matchFunc, looks func([]byte) bool, timeout time.Duration) (any, error) {
	got, err := e.collect(ctx, frame, match, looks, timeout, nil)
	if len(got) == 0 {
		return nil, err
	}
	return got[0], err
}

// collect sends frame and gathers the replies match accepts until window
// ends or enough says the set is complete (a bus-wide query is answered by
// an unknown number of boards, one after another). A nil enough wants one
// reply: the request is over when it comes, and later frames answer
// nothing.
//
// looks, if set, says whether bytes with a wrong checksum start like the
// expected reply, so such a frame is reported as ErrChecksum rather than
// silence.
func (e *engine) collect(ctx context.Context, frame []byte, match matchFunc, looks func([]byte) bool, window time.Duration, enough func([]any) bool) ([]any, error) {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	select {
	case <-e.quit:
		return nil, ErrClosed
	default:
	}
	p := &pending{req: append([]byte(nil), frame...), match: match, looks: looks, multi: enough != nil, ch: make(chan any, 64)}
	e.mu.Lock()
	e.pend = p
	e.mu.Unlock()
	if err := e.write(frame); err != nil {
		e.clearPending(p)
		return nil, err
	}
	t := time.NewTimer(window)
	defer t.Stop()
	var got []any
wait:
	for {
		select {
		case f := <-p.ch:
			got = append(got, f)
			if enough == nil || enough(got) {
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
	e.clearPending(p)
	for len(got) == 0 || p.multi { // a reply may have landed just now
		select {
		case f := <-p.ch:
			got = append(got, f)
			continue
		default:
		}
		break
	}
	if len(got) > 0 {
		return got, nil
	}
	return e.noReply(p)
}

// noReply is the outcome of a request that got no reply: what was seen
// instead, and what that says of the line's echo.
func (e *engine) noReply(p *pending) ([]any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case p.held != nil:
		if ok, _ := p.match(p.held); ok {
			return []any{p.held}, errEchoOrReply
		}
		e.setEchoLocked(echoYes, p.held) // equal to the request and not a reply: an echo
	case p.same == 0 && !p.corrupt:
		e.setEchoLocked(echoNo, nil) // an adapter that echoes would have, whoever answers
	}
	if p.badSeen != nil {
		return nil, p.badSeen
	}
	return nil, ErrNoAnswer
}

// clearPending stops p from receiving frames.
func (e *engine) clearPending(p *pending) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pend == p {
		e.pend = nil
	}
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
