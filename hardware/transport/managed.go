package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cashier/app"
	"cashier/hardware"
)

// Backoff says how long to wait before reconnect attempt n (n starts at 0
// for the first retry after a failure).
type Backoff interface {
	Next(attempt int) time.Duration
}

// ExponentialBackoff waits Initial, Initial·Factor, ... up to Max.
type ExponentialBackoff struct {
	Initial time.Duration // default 500 ms
	Max     time.Duration // default 30 s
	Factor  float64       // default 2
}

func (b ExponentialBackoff) Next(attempt int) time.Duration {
	ini, max, f := b.Initial, b.Max, b.Factor
	if ini <= 0 {
		ini = 500 * time.Millisecond
	}
	if max <= 0 {
		max = 30 * time.Second
	}
	if f < 1 {
		f = 2
	}
	d := float64(ini)
	for i := 0; i < attempt && d < float64(max); i++ {
		d *= f
	}
	if d > float64(max) {
		return max
	}
	return time.Duration(d)
}

// State is what the app shows for one device.
type State struct {
	Device  string               // the name the app gave (e.g. "scanner", "speaker")
	Spec    string               // the configured spec string
	State   hardware.DeviceState // connecting, ready, disconnected, error, busy, ...
	Message string               // bilingual, for people
	Port    string               // the path/address in use while connected
	Err     error                // the last error, if any
	Attempt int                  // reconnect attempts since the last success
	At      time.Time
}

// ManagedOptions configure a Managed connection. All fields are optional.
type ManagedOptions struct {
	// Opener opens the spec (default DefaultOpener). usb: specs are resolved
	// through its Enumerator on every (re)connect.
	Opener *Opener
	// Clock drives the backoff waits (default app.SystemClock).
	Clock app.Clock
	// Backoff between failed attempts (default ExponentialBackoff{}).
	Backoff Backoff
	// OnConnect runs after each successful open (a handshake, status
	// query, ...); an error closes the port and counts as a failed attempt.
	OnConnect func(p hardware.Port) error
}

// Managed keeps one device open: it reconnects with backoff when the port
// fails, publishes its State to subscribers and hands drivers a stable Port
// (Port()) that always talks to the current connection.
//
// Port() semantics for drivers:
//   - Read while connected reads the device; an I/O error marks the
//     connection broken (reconnect starts) and is returned once, wrapping
//     hardware.ErrPortClosed.
//   - Read while disconnected waits for the device up to the read timeout
//     and returns (0, nil), like a serial read that timed out.
//   - Write while disconnected fails at once with ErrNotConnected.
//   - After Close, Read and Write return ErrManagedClosed: a driver's read
//     loop stops on that error and keeps going on any other.
type Managed struct {
	name string
	spec Spec
	opt  ManagedOptions

	mu          sync.Mutex
	cur         hardware.Port
	gen         uint64 // increments each time cur changes
	readTimeout time.Duration
	state       State
	subs        map[chan State]struct{}
	changed     chan struct{} // closed and replaced whenever cur changes
	broken      chan struct{} // signalled when the current port failed
	kick        chan struct{}
	closed      bool
	done        chan struct{}
	started     bool
	wg          sync.WaitGroup
}

// NewManaged prepares a managed connection; call Start to connect.
func NewManaged(name string, spec Spec, opt ManagedOptions) *Managed {
	if opt.Opener == nil {
		opt.Opener = DefaultOpener
	}
	if opt.Clock == nil {
		opt.Clock = app.SystemClock{}
	}
	if opt.Backoff == nil {
		opt.Backoff = ExponentialBackoff{}
	}
	m := &Managed{
		name: name, spec: spec, opt: opt,
		subs:    map[chan State]struct{}{},
		changed: make(chan struct{}),
		broken:  make(chan struct{}, 1),
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	m.state = State{Device: name, Spec: spec.String(), State: hardware.StateDisconnected,
		Message: "未连接 / not connected", At: opt.Clock.Now()}
	return m
}

// Name is the device name given to NewManaged.
func (m *Managed) Name() string { return m.name }

// Spec is the configured spec.
func (m *Managed) Spec() Spec { return m.spec }

// Start begins connecting in the background. Calling it twice is harmless.
func (m *Managed) Start() {
	m.mu.Lock()
	if m.started || m.closed {
		m.mu.Unlock()
		return
	}
	m.started = true
	m.mu.Unlock()
	m.wg.Add(1)
	go m.loop()
}

// Close stops reconnecting, closes the port and ends subscriptions.
func (m *Managed) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.done)
	cur := m.cur
	m.cur = nil
	m.gen++
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
	if cur != nil {
		cur.Close()
	}
	m.wg.Wait()
	m.mu.Lock()
	for ch := range m.subs {
		close(ch)
	}
	m.subs = map[chan State]struct{}{}
	m.mu.Unlock()
	return nil
}

// Reconnect asks for an immediate attempt (skipping the backoff wait) —
// e.g. a "retry" button.
func (m *Managed) Reconnect() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// State is the latest state.
func (m *Managed) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// Subscribe returns a channel of state changes, starting with the current
// state. A slow subscriber loses old states, never the latest. cancel
// ends the subscription.
func (m *Managed) Subscribe() (<-chan State, func()) {
	ch := make(chan State, 16)
	m.mu.Lock()
	if m.closed {
		ch <- m.state
		close(ch)
		m.mu.Unlock()
		return ch, func() {}
	}
	ch <- m.state
	m.subs[ch] = struct{}{}
	m.mu.Unlock()
	return ch, func() {
		m.mu.Lock()
		if _, ok := m.subs[ch]; ok {
			delete(m.subs, ch)
			close(ch)
		}
		m.mu.Unlock()
	}
}

// Report lets the driver publish a device-level state while connected
// (busy, paper out, cover open, ready again ...).
func (m *Managed) Report(st hardware.DeviceState, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil || m.closed {
		return
	}
	s := m.state
	s.State, s.Message, s.Err, s.At = st, msg, nil, m.opt.Clock.Now()
	m.publishLocked(s)
}

func (m *Managed) publishLocked(s State) {
	m.state = s
	for ch := range m.subs {
		select {
		case ch <- s:
		default:
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- s:
			default:
			}
		}
	}
}

func (m *Managed) publish(s State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	s.Device, s.Spec, s.At = m.name, m.spec.String(), m.opt.Clock.Now()
	m.publishLocked(s)
}

// Current is the open port, or nil while disconnected. Prefer Port().
func (m *Managed) Current() hardware.Port {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

// WaitReady blocks until the device is connected (or ctx ends, or Close).
func (m *Managed) WaitReady(ctx context.Context) error {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return ErrManagedClosed
		}
		if m.cur != nil {
			m.mu.Unlock()
			return nil
		}
		ch := m.changed
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			st := m.State()
			if st.Err != nil {
				return fmt.Errorf("%w: %v", ctx.Err(), st.Err)
			}
			return ctx.Err()
		}
	}
}

// MarkBroken tells the connection its current port is no longer usable
// (e.g. a driver saw garbage only, or a device stopped answering); it is
// closed and reconnected.
func (m *Managed) MarkBroken(err error) {
	m.mu.Lock()
	g := m.gen
	m.mu.Unlock()
	m.fail(g, err)
}

func (m *Managed) fail(gen uint64, err error) {
	m.mu.Lock()
	if m.closed || gen != m.gen || m.cur == nil {
		m.mu.Unlock()
		return
	}
	cur := m.cur
	m.cur = nil
	m.gen++
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
	cur.Close()
	m.publish(State{State: hardware.StateDisconnected, Err: err,
		Message: fmt.Sprintf("设备已断开，正在重连 / device disconnected, reconnecting: %v", err)})
	select {
	case m.broken <- struct{}{}:
	default:
	}
}

func (m *Managed) loop() {
	defer m.wg.Done()
	attempt := 0
	for {
		select {
		case <-m.done:
			return
		default:
		}
		m.publish(State{State: hardware.StateConnecting, Attempt: attempt,
			Message: "正在连接 / connecting"})
		p, err := m.opt.Opener.Open(m.spec)
		if err == nil && m.opt.OnConnect != nil {
			if err = m.opt.OnConnect(p); err != nil {
				p.Close()
			}
		}
		if err != nil {
			st := hardware.StateError
			if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnreachable) || errors.Is(err, hardware.ErrPortClosed) {
				st = hardware.StateDisconnected
			}
			wait := m.opt.Backoff.Next(attempt)
			m.publish(State{State: st, Err: err, Attempt: attempt + 1,
				Message: fmt.Sprintf("%v；%s后重试 / retrying in %s", err, wait, wait)})
			attempt++
			select {
			case <-m.done:
				return
			case <-m.kick:
			case <-m.opt.Clock.After(wait):
			}
			continue
		}
		name := m.spec.Target()
		if n, ok := p.(Named); ok {
			name = n.Name()
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			p.Close()
			return
		}
		if m.readTimeout != 0 {
			p.SetReadTimeout(m.readTimeout)
		}
		// drain a stale broken signal from the previous connection
		select {
		case <-m.broken:
		default:
		}
		m.cur = p
		m.gen++
		close(m.changed)
		m.changed = make(chan struct{})
		m.mu.Unlock()
		attempt = 0
		m.publish(State{State: hardware.StateReady, Port: name,
			Message: "已连接 / connected: " + name})
		select {
		case <-m.done:
			return
		case <-m.broken:
			// reconnect at once; backoff applies from the next failure
		}
	}
}

// Port returns the stable port drivers use (see the Managed doc).
func (m *Managed) Port() hardware.Port { return managedPort{m} }

type managedPort struct{ m *Managed }

func (p managedPort) Name() string { return p.m.name }

func (p managedPort) Read(b []byte) (int, error) {
	m := p.m
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return 0, ErrManagedClosed
		}
		cur, gen, to, ch := m.cur, m.gen, m.readTimeout, m.changed
		m.mu.Unlock()
		if cur != nil {
			n, err := cur.Read(b)
			if err != nil {
				m.fail(gen, err)
				m.mu.Lock()
				closed := m.closed
				m.mu.Unlock()
				if closed {
					return n, ErrManagedClosed
				}
				if !errors.Is(err, hardware.ErrPortClosed) {
					err = fmt.Errorf("%w: %v", hardware.ErrPortClosed, err)
				}
			}
			return n, err
		}
		if to > 0 {
			t := time.NewTimer(to)
			select {
			case <-ch:
				t.Stop()
				continue
			case <-t.C:
				return 0, nil
			}
		}
		<-ch
	}
}

func (p managedPort) Write(b []byte) (int, error) {
	m := p.m
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return 0, ErrManagedClosed
	}
	cur, gen := m.cur, m.gen
	st := m.state
	m.mu.Unlock()
	if cur == nil {
		if st.Err != nil {
			return 0, fmt.Errorf("%w: %s (%v)", ErrNotConnected, m.name, st.Err)
		}
		return 0, fmt.Errorf("%w: %s", ErrNotConnected, m.name)
	}
	n, err := cur.Write(b)
	if err != nil {
		m.fail(gen, err)
		if !errors.Is(err, hardware.ErrPortClosed) {
			err = fmt.Errorf("%w: %v", hardware.ErrPortClosed, err)
		}
	}
	return n, err
}

func (p managedPort) SetReadTimeout(d time.Duration) error {
	m := p.m
	m.mu.Lock()
	m.readTimeout = d
	cur := m.cur
	m.mu.Unlock()
	if cur != nil {
		return cur.SetReadTimeout(d)
	}
	return nil
}

// Close closes the Managed connection.
func (p managedPort) Close() error { return p.m.Close() }

// Registry collects the states of all managed devices for the app's
// device panel.
type Registry struct {
	mu      sync.Mutex
	devices []*Managed
	subs    map[chan State]struct{}
	cancels []func()
}

// NewRegistry makes an empty registry.
func NewRegistry() *Registry { return &Registry{subs: map[chan State]struct{}{}} }

// Add registers a device and forwards its state changes to subscribers.
func (r *Registry) Add(m *Managed) {
	ch, cancel := m.Subscribe()
	r.mu.Lock()
	r.devices = append(r.devices, m)
	r.cancels = append(r.cancels, cancel)
	r.mu.Unlock()
	go func() {
		for s := range ch {
			r.mu.Lock()
			for sub := range r.subs {
				select {
				case sub <- s:
				default:
				}
			}
			r.mu.Unlock()
		}
	}()
}

// States lists the latest state of every device, in the order added.
func (r *Registry) States() []State {
	r.mu.Lock()
	ds := append([]*Managed(nil), r.devices...)
	r.mu.Unlock()
	out := make([]State, len(ds))
	for i, d := range ds {
		out[i] = d.State()
	}
	return out
}

// Subscribe receives every state change of every device (buffered; a
// slow reader misses changes but can always call States()).
func (r *Registry) Subscribe() (<-chan State, func()) {
	ch := make(chan State, 64)
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		if _, ok := r.subs[ch]; ok {
			delete(r.subs, ch)
			close(ch)
		}
		r.mu.Unlock()
	}
}

// Close closes every registered device.
func (r *Registry) Close() {
	r.mu.Lock()
	ds := r.devices
	cs := r.cancels
	r.devices, r.cancels = nil, nil
	r.mu.Unlock()
	for _, c := range cs {
		c()
	}
	for _, d := range ds {
		d.Close()
	}
}
