package scanner

import (
	"sync"
	"time"
)

// Keyboard-wedge defaults from the reference: scanners type 5–20 ms apart,
// people slower.
const (
	DefaultWedgeMinLen = 6
	DefaultWedgeMaxGap = 30 * time.Millisecond
)

// Wedge tells a keyboard-wedge scanner from a person typing. The UI feeds
// it every printable key (Key), the Enter key (Enter) and any other key
// (Other), with the time each arrived, before handing keys to the focused
// widget. A burst of at least MinLen characters, each less than MaxGap
// after the previous, ending in Enter (also within MaxGap) is a scan: it
// goes to the hub and the keys are swallowed. Anything else is typing:
// the detector gives the keys back, in order, for normal delivery.
//
// While keys are arriving fast the detector holds them (it cannot know
// yet); they are released as typing as soon as a slow key, a non-Enter
// key, or the deadline shows it was a person. Call Flush from a timer at
// Deadline() — or use SetAutoFlush — so the last keys a person typed are
// not held. A person therefore sees keys at most MaxGap late.
//
// Safe for concurrent use.
type Wedge struct {
	MinLen int           // default 6
	MaxGap time.Duration // default 30 ms

	mu     sync.Mutex
	held   []rune
	first  time.Time
	last   time.Time
	hub    *Hub
	device string
	wake   func()
	timer  *time.Timer
}

// NewWedge makes a detector that publishes scans to hub (may be nil).
func NewWedge(hub *Hub) *Wedge {
	return &Wedge{MinLen: DefaultWedgeMinLen, MaxGap: DefaultWedgeMaxGap, hub: hub, device: "keyboard"}
}

// Keyboard returns a wedge detector bound to this hub.
func (h *Hub) Keyboard() *Wedge { return NewWedge(h) }

func (w *Wedge) minLen() int {
	if w.MinLen <= 0 {
		return DefaultWedgeMinLen
	}
	return w.MinLen
}

func (w *Wedge) maxGap() time.Duration {
	if w.MaxGap <= 0 {
		return DefaultWedgeMaxGap
	}
	return w.MaxGap
}

// Key feeds a printable character typed at time at. It returns keys now
// known to be typed by a person (deliver them to the focused widget, in
// order); usually nil while a burst might still be a scan.
func (w *Wedge) Key(r rune, at time.Time) []rune {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []rune
	if len(w.held) > 0 && at.Sub(w.last) >= w.maxGap() {
		out = w.releaseLocked()
	}
	if len(w.held) == 0 {
		w.first = at
	}
	w.held = append(w.held, r)
	w.last = at
	if len(w.held) > MaxCodeLen {
		out = append(out, w.releaseLocked()...)
	}
	w.armLocked()
	return out
}

// Enter feeds the Enter key. If the held keys are a scan, it returns
// isScan=true (the scan is published to the hub and code is returned; do
// not deliver Enter). Otherwise typed holds the keys to deliver, followed
// by the Enter itself (deliver Enter too).
func (w *Wedge) Enter(at time.Time) (code string, isScan bool, typed []rune) {
	w.mu.Lock()
	if len(w.held) >= w.minLen() && at.Sub(w.last) < w.maxGap() {
		code = string(w.held)
		w.held = w.held[:0]
		w.stopLocked()
		hub, dev := w.hub, w.device
		w.mu.Unlock()
		if hub != nil {
			hub.Publish(Scan{Code: code, Source: SourceKeyboard, Device: dev, At: at})
		}
		return code, true, nil
	}
	typed = w.releaseLocked()
	w.mu.Unlock()
	return "", false, typed
}

// Other feeds any other key (Backspace, Tab, arrows, a shortcut): a
// scanner never sends those mid-code, so held keys are released as typing
// and should be delivered before the other key.
func (w *Wedge) Other(at time.Time) []rune {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.releaseLocked()
}

// Flush releases held keys as typing if MaxGap has passed since the last
// key; call it at Deadline().
func (w *Wedge) Flush(now time.Time) []rune {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.held) > 0 && now.Sub(w.last) >= w.maxGap() {
		return w.releaseLocked()
	}
	return nil
}

// Deadline is when Flush should next be called (zero when nothing is held).
func (w *Wedge) Deadline() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.held) == 0 {
		return time.Time{}
	}
	return w.last.Add(w.maxGap())
}

// Held reports how many keys are being held back.
func (w *Wedge) Held() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.held)
}

// SetAutoFlush makes the detector ask for a flush by itself: a
// real-time timer calls wake once MaxGap has passed since the last key
// held (from the timer's goroutine). wake must call Flush on the goroutine
// that feeds the keys (the UI wraps it in fyne.Do): released there, the
// held keys are delivered in order with the keys still arriving. Releasing
// them on the timer's goroutine and delivering them later let a key typed
// meanwhile overtake them — "12.50" became "1.250" on a busy machine.
// Pass nil to turn it off. Timestamps given to Key should then come from
// time.Now.
func (w *Wedge) SetAutoFlush(wake func()) {
	w.mu.Lock()
	w.wake = wake
	if wake == nil {
		w.stopLocked()
	}
	w.mu.Unlock()
}

func (w *Wedge) armLocked() {
	if w.wake == nil {
		return
	}
	w.stopLocked()
	d := time.Until(w.last.Add(w.maxGap())) + time.Millisecond
	w.timer = time.AfterFunc(d, func() {
		w.mu.Lock()
		wake, held := w.wake, len(w.held)
		w.mu.Unlock()
		if held > 0 && wake != nil {
			wake()
		}
	})
}

func (w *Wedge) stopLocked() {
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

func (w *Wedge) releaseLocked() []rune {
	if len(w.held) == 0 {
		return nil
	}
	out := append([]rune(nil), w.held...)
	w.held = w.held[:0]
	w.stopLocked()
	return out
}
