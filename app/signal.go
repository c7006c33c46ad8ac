package app

import "sync"

// Signal names a kind of change other screens may need to see.
type Signal string

const (
	SignalTerminal Signal = "terminal" // store or terminal settings changed (payload: nil)
	SignalShift    Signal = "shift"    // someone clocked on or off (payload: staff ID)
	SignalOrder    Signal = "order"    // an order was created, paid, voided or refunded (payload: order number)
	SignalLanguage Signal = "language" // the UI language setting changed (payload: the setting)
	SignalHeld     Signal = "held"     // a cart was held, resumed or dropped (payload: the held order's ID)
)

// Signals is a small hub: a use case that changes shared state emits one
// signal after its write commits; open screens subscribe and refresh. A
// subscriber is called on the emitter's goroutine and must not block (a
// Fyne screen hands the work to fyne.Do). Safe for concurrent use; a nil
// *Signals ignores everything.
type Signals struct {
	mu   sync.Mutex
	next int
	subs map[Signal]map[int]func(any)
}

// NewSignals makes an empty hub.
func NewSignals() *Signals { return &Signals{subs: map[Signal]map[int]func(any){}} }

// Subscribe calls fn on every emit of s until cancel is called.
func (h *Signals) Subscribe(s Signal, fn func(payload any)) (cancel func()) {
	if h == nil {
		return func() {}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	id := h.next
	if h.subs[s] == nil {
		h.subs[s] = map[int]func(any){}
	}
	h.subs[s][id] = fn
	return func() {
		h.mu.Lock()
		delete(h.subs[s], id)
		h.mu.Unlock()
	}
}

// Emit tells every subscriber of s.
func (h *Signals) Emit(s Signal, payload any) {
	if h == nil {
		return
	}
	h.mu.Lock()
	fns := make([]func(any), 0, len(h.subs[s]))
	for _, fn := range h.subs[s] {
		fns = append(fns, fn)
	}
	h.mu.Unlock()
	for _, fn := range fns {
		fn(payload)
	}
}
