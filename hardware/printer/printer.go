// Package printer drives one ESC/POS receipt printer over a hardware.Port
// from an opener (serial, TCP 9100, /dev/usb/lp*: see hardware/transport).
//
// A job goes out in two steps so the print queue can keep its promise of
// "exactly once":
//
//  1. WaitReady connects (reopening the port with backoff after an unplug)
//     and asks the printer's real-time status (DLE EOT 1, 2, 4). Out of
//     paper, cover open, offline or not answering, it reports the state to
//     subscribers and keeps polling: the job waits, it is not dropped.
//  2. Send writes the whole job (raster data paced) and then asks the status
//     once more. The printer handles bytes in order, so its answer proves
//     the job arrived; only then does Send return nil. A write error, a
//     closed port or no answer makes Send fail: the job was not confirmed
//     and must be sent again.
package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"cashier/app"
	"cashier/hardware"
	"cashier/hardware/escpos"
	"cashier/hardware/transport"
)

// Opener opens the printer's port; it is called again after every
// disconnect.
type Opener func() (hardware.Port, error)

// Config is one printer's settings.
type Config struct {
	Name string // configured name, e.g. "receipt"
	Open Opener
	// Clock drives backoff and polling waits (default app.SystemClock).
	Clock app.Clock
	// Backoff between reconnect attempts (default 500 ms doubling to 10 s).
	Backoff transport.Backoff
	// StatusTimeout bounds the wait for one status reply (default 1 s).
	StatusTimeout time.Duration
	// PollInterval is how often a waiting job asks again while the printer
	// is out of paper, open or offline (default 1 s).
	PollInterval time.Duration
	// NoStatus is for printers that cannot answer (some USB device files):
	// no status is asked and a job counts as printed once written.
	NoStatus bool
	// BytesPerSecond is the line rate (baud/10 on a serial port), used to
	// wait long enough for the confirmation of a long job; 0 means fast.
	BytesPerSecond int
	// RasterBytesPerSecond paces raster image data, which the printer
	// prints slower than it can receive and go.bug.st/serial has no flow
	// control for (default 8192; negative disables pacing).
	RasterBytesPerSecond int
}

// Event is the printer's state as the app shows it.
type Event struct {
	Printer string
	State   hardware.DeviceState
	Message string        // for logs, Chinese first; devicemsg words it for people
	Err     error         // why the printer is not ready, when an error says it
	Status  escpos.Status // the last status read
	At      time.Time
}

// Errors.
var (
	ErrNoReply      = errors.New("打印机无响应：请检查电源和连线 / printer does not answer: check power and cable")
	ErrDisconnected = errors.New("打印机连接已断开，正在重连 / printer disconnected, reconnecting")
	ErrClosed       = errors.New("打印机已关闭 / printer closed")
	ErrNoPort       = errors.New("未配置打印机端口 / no printer port configured")
)

// SendError is a job that was not confirmed: Written bytes went out before
// Err. The whole job must be sent again.
type SendError struct {
	Written int
	Err     error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("打印未完成（已发送 %d 字节），将重新打印 / job not confirmed after %d bytes: %v", e.Written, e.Written, e.Err)
}
func (e *SendError) Unwrap() error { return e.Err }

// Printer is one receipt printer. Safe for concurrent use; jobs are
// serialised.
type Printer struct {
	cfg Config

	io     sync.Mutex // one exchange with the printer at a time
	conn   *conn      // guarded by io
	closed chan struct{}
	once   sync.Once

	mu    sync.Mutex
	state Event
	subs  map[int]func(Event)
	next  int
}

// New makes a printer; nothing is opened until it is used.
func New(cfg Config) *Printer {
	if cfg.Clock == nil {
		cfg.Clock = app.SystemClock{}
	}
	if cfg.Backoff == nil {
		cfg.Backoff = transport.ExponentialBackoff{Initial: 500 * time.Millisecond, Max: 10 * time.Second}
	}
	if cfg.StatusTimeout <= 0 {
		cfg.StatusTimeout = time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.RasterBytesPerSecond == 0 {
		cfg.RasterBytesPerSecond = 8192
	}
	p := &Printer{cfg: cfg, closed: make(chan struct{}), subs: map[int]func(Event){}}
	p.state = Event{Printer: cfg.Name, State: hardware.StateConnecting, Message: "正在连接打印机 / connecting", At: cfg.Clock.Now()}
	return p
}

// Name is the configured name.
func (p *Printer) Name() string { return p.cfg.Name }

// State is the last known state.
func (p *Printer) State() Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Subscribe calls fn on every change of state or message, on the
// goroutine that noticed it, possibly while a job is being sent: fn must
// return quickly and must not call Check, Send, WaitReady or Close (a UI
// hands the event on with fyne.Do).
func (p *Printer) Subscribe(fn func(Event)) (cancel func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.next
	p.next++
	p.subs[id] = fn
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.subs, id)
	}
}

func (p *Printer) set(state hardware.DeviceState, msg string, st *escpos.Status) {
	p.update(state, msg, st, nil)
}

// setErr records a state an error explains.
func (p *Printer) setErr(state hardware.DeviceState, err error) {
	p.update(state, openMessage(err), nil, err)
}

func (p *Printer) update(state hardware.DeviceState, msg string, st *escpos.Status, err error) {
	p.mu.Lock()
	ev := p.state
	changed := ev.State != state || ev.Message != msg
	ev.State, ev.Message, ev.Err, ev.At = state, msg, err, p.cfg.Clock.Now()
	if st != nil {
		changed = changed || ev.Status != *st
		ev.Status = *st
	}
	p.state = ev
	var subs []func(Event)
	if changed {
		for _, fn := range p.subs {
			subs = append(subs, fn)
		}
	}
	p.mu.Unlock()
	for _, fn := range subs {
		fn(ev)
	}
}

// Close closes the port; waiting calls return ErrClosed.
func (p *Printer) Close() error {
	p.once.Do(func() { close(p.closed) })
	p.io.Lock()
	defer p.io.Unlock()
	p.dropLocked()
	p.update(hardware.StateDisconnected, ErrClosed.Error(), nil, ErrClosed)
	return nil
}

// sleep waits d on the printer's clock; false when ctx ended or Close.
func (p *Printer) sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-p.closed:
		return false
	case <-p.cfg.Clock.After(d):
		return true
	}
}

func (p *Printer) isClosed() bool {
	select {
	case <-p.closed:
		return true
	default:
		return false
	}
}

// WaitReady returns nil once the printer is connected and can print, or
// ctx's error / ErrClosed. While it waits it reports each new state to
// onWait (may be nil; err says why when an error does) and to subscribers.
func (p *Printer) WaitReady(ctx context.Context, onWait func(state hardware.DeviceState, err error)) error {
	attempt := 0
	lastMsg := ""
	report := func(state hardware.DeviceState, msg string, err error) {
		if onWait != nil && msg != lastMsg {
			onWait(state, err)
		}
		lastMsg = msg
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.isClosed() {
			return ErrClosed
		}
		st, err := p.Check(ctx)
		switch {
		case err == nil && st.CanPrint():
			return nil
		case err == nil:
			state, msg := st.State()
			report(state, msg, nil)
			attempt = 0
			if !p.sleep(ctx, p.cfg.PollInterval) {
				return p.stopErr(ctx)
			}
		default:
			if ctx.Err() != nil || p.isClosed() {
				return p.stopErr(ctx)
			}
			ev := p.State()
			report(ev.State, ev.Message, ev.Err)
			wait := p.cfg.Backoff.Next(attempt)
			attempt++
			if !p.sleep(ctx, wait) {
				return p.stopErr(ctx)
			}
		}
	}
}

func (p *Printer) stopErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrClosed
}

// Check connects if needed and reads the status once, updating the state.
// With NoStatus it only connects and reports a zero status.
func (p *Printer) Check(ctx context.Context) (escpos.Status, error) {
	p.io.Lock()
	defer p.io.Unlock()
	if p.isClosed() {
		return escpos.Status{}, ErrClosed
	}
	c, err := p.connectLocked()
	if err != nil {
		return escpos.Status{}, err
	}
	if p.cfg.NoStatus {
		st := escpos.Status{}
		p.set(hardware.StateReady, "打印机已连接（不回报状态） / printer connected (no status reporting)", &st)
		return st, nil
	}
	st, err := p.statusLocked(ctx, c, p.cfg.StatusTimeout)
	if err != nil {
		return st, p.failLocked(err)
	}
	state, msg := st.State()
	p.set(state, msg, &st)
	return st, nil
}

// failLocked handles an exchange that went wrong: the port is closed (it
// will be reopened) and the state says why.
func (p *Printer) failLocked(err error) error {
	p.dropLocked()
	switch {
	case errors.Is(err, ErrNoReply):
		p.setErr(hardware.StateOffline, ErrNoReply)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
	default:
		p.setErr(hardware.StateDisconnected, ErrDisconnected)
	}
	return err
}

func (p *Printer) connectLocked() (*conn, error) {
	if p.conn != nil {
		select {
		case <-p.conn.dead:
			p.dropLocked()
		default:
			return p.conn, nil
		}
	}
	if p.cfg.Open == nil {
		p.setErr(hardware.StateError, ErrNoPort)
		return nil, ErrNoPort
	}
	port, err := p.cfg.Open()
	if err != nil {
		p.setErr(hardware.StateDisconnected, err)
		return nil, err
	}
	p.conn = newConn(port)
	return p.conn, nil
}

func (p *Printer) dropLocked() {
	if p.conn != nil {
		p.conn.close()
		p.conn = nil
	}
}

// Send writes one whole job and waits for the printer to confirm it (see
// the package comment). Call WaitReady first. nil means the printer has
// the job; any error means it must be sent again.
func (p *Printer) Send(ctx context.Context, job []byte) error {
	p.io.Lock()
	defer p.io.Unlock()
	if p.isClosed() {
		return &SendError{Err: ErrClosed}
	}
	c, err := p.connectLocked()
	if err != nil {
		return &SendError{Err: err}
	}
	p.set(hardware.StateBusy, "正在打印 / printing", nil)
	c.drain()
	n, err := p.writePaced(ctx, c, job)
	if err != nil {
		p.failLocked(ErrDisconnected)
		return &SendError{Written: n, Err: err}
	}
	if p.cfg.NoStatus {
		p.set(hardware.StateReady, "打印机已连接（不回报状态） / printer connected (no status reporting)", nil)
		return nil
	}
	timeout := p.cfg.StatusTimeout
	if p.cfg.BytesPerSecond > 0 {
		timeout += time.Duration(len(job)) * time.Second / time.Duration(p.cfg.BytesPerSecond)
	}
	st, err := p.statusLocked(ctx, c, timeout)
	if err != nil {
		p.failLocked(err)
		return &SendError{Written: n, Err: err}
	}
	state, msg := st.State()
	p.set(state, msg, &st)
	return nil
}

// Print waits for the printer and sends job, again after every failure,
// until it is confirmed or ctx ends. For one-off jobs; the print queue
// uses WaitReady and Send itself to record each attempt.
func (p *Printer) Print(ctx context.Context, job []byte) error {
	for {
		if err := p.WaitReady(ctx, nil); err != nil {
			return err
		}
		if err := p.Send(ctx, job); err == nil {
			return nil
		} else if ctx.Err() != nil || p.isClosed() {
			return err
		}
	}
}

// Watch checks the printer every interval until ctx ends, so the app shows
// paper out or a pulled cable while no job is waiting.
func (p *Printer) Watch(ctx context.Context, every time.Duration) {
	for p.sleep(ctx, every) {
		_, _ = p.Check(ctx)
	}
}

// statusLocked asks DLE EOT 1, 2 and 4 in turn; the first answer may take
// up to first (it follows a job), the others StatusTimeout. Bytes that are
// not status replies are ignored.
func (p *Printer) statusLocked(ctx context.Context, c *conn, first time.Duration) (escpos.Status, error) {
	var st escpos.Status
	timeout := first
	for _, n := range escpos.StatusQueries {
		if _, err := c.port.Write(escpos.StatusRequest(n)); err != nil {
			return st, fmt.Errorf("%w: %v", ErrDisconnected, err)
		}
		b, err := c.readStatusByte(ctx, timeout)
		if err != nil {
			return st, err
		}
		if err := st.Apply(n, b); err != nil {
			return st, err
		}
		timeout = p.cfg.StatusTimeout
	}
	return st, nil
}

// openMessage is what to show for an error from opening the port:
// hardware/transport's bilingual message (port missing, busy, permission
// denied ...) or the error itself.
func openMessage(err error) string {
	switch {
	case errors.Is(err, ErrNoReply), errors.Is(err, ErrDisconnected), errors.Is(err, ErrNoPort), errors.Is(err, ErrClosed):
		return err.Error()
	}
	var oe *transport.OpenError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	if k := transport.Classify(err); k != nil {
		return "无法打开打印机端口 / cannot open the printer port: " + k.Error() + " (" + err.Error() + ")"
	}
	return "无法打开打印机端口 / cannot open the printer port: " + err.Error()
}

// ParseSpec reads a printer port setting: hardware/transport's spec syntax,
// with a bare /dev/usb/lp* path taken as a device file (transport would
// read it as a serial port).
func ParseSpec(s string) (transport.Spec, error) {
	s = strings.TrimSpace(s)
	if transport.IsUSBPrinterFile(s) {
		s = "file:" + s
	}
	return transport.ParseSpec(s)
}

// SpecOpener opens sp with o (nil: transport.DefaultOpener) on every call.
func SpecOpener(sp transport.Spec, o *transport.Opener) Opener {
	if o == nil {
		o = transport.DefaultOpener
	}
	return func() (hardware.Port, error) { return o.Open(sp) }
}
