// Package scaninput lets keyboard-wedge barcode scanners work wherever the
// keyboard focus is: entries and the bare canvas feed every key through a
// detector that tells a scanner's fast burst from a person typing.
package scaninput

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"cashier/ui/async"
)

// Detector is the keyboard-wedge detector (hardware/scanner.Wedge).
type Detector interface {
	Key(r rune, at time.Time) []rune
	Enter(at time.Time) (code string, isScan bool, typed []rune)
	Other(at time.Time) []rune
	Flush(now time.Time) []rune
	SetAutoFlush(wake func())
}

// Entry is a widget.Entry whose keys pass through a Detector first. Keys a
// person typed reach the entry unchanged (at most the detector's gap
// late); a scan goes to OnScan instead and never lands in the field.
type Entry struct {
	widget.Entry
	Detector Detector
	OnScan   func(code string)
	// OnEscape, when set, takes the Esc key (a screen's cancel works
	// while the cursor is in the field).
	OnEscape func()
	// Keys take the listed keys (F-keys, arrows) before the field does, so
	// a screen's keys work while the cursor is in it.
	Keys map[fyne.KeyName]func()
	Now  func() time.Time // tests inject key times
	// focused is whether the flush timer delivers here: a wake the timer
	// asked for while this field had the focus may run on the UI
	// goroutine after the focus moved on, and must not take the keys
	// typed into the next field since (on a busy machine a digit of the
	// customer's code landed in the amount: "12.50" became "12.504").
	focused bool
}

// NewEntry makes a scan-aware entry.
func NewEntry(d Detector, onScan func(string)) *Entry {
	e := &Entry{Detector: d, OnScan: onScan, Now: time.Now}
	e.ExtendBaseWidget(e)
	return e
}

func (e *Entry) deliver(rs []rune) {
	for _, r := range rs {
		e.Entry.TypedRune(r)
	}
}

// FocusGained arms the detector's flush timer for this entry. The held
// keys are taken out of the detector on the UI goroutine, when they are
// delivered, so they stay in order with keys typed meanwhile.
func (e *Entry) FocusGained() {
	e.focused = true
	if e.Detector != nil {
		e.Detector.SetAutoFlush(func() {
			async.Do(func() {
				// A field in a dialog that was closed gets no FocusLost
				// (the dialog's focus goes with it): it must also still be
				// its canvas's focused object. Keys not delivered stay held
				// and come with the next key.
				if e.focused && e.hasFocus() {
					e.deliver(e.Detector.Flush(e.Now()))
				}
			})
		})
	}
	e.Entry.FocusGained()
}

// hasFocus reports whether the entry is its canvas's focused object now.
func (e *Entry) hasFocus() bool {
	a := fyne.CurrentApp()
	if a == nil {
		return false
	}
	c := a.Driver().CanvasForObject(e)
	return c != nil && c.Focused() == e
}

// FocusLost unbinds the flush timer: keys held after this belong to
// whatever gets the focus next (or to the canvas), not to this field.
func (e *Entry) FocusLost() {
	e.focused = false
	if e.Detector != nil {
		e.Detector.SetAutoFlush(nil)
	}
	e.Entry.FocusLost()
}

// TypedRune routes the key through the detector.
func (e *Entry) TypedRune(r rune) {
	if e.Detector == nil {
		e.Entry.TypedRune(r)
		return
	}
	e.deliver(e.Detector.Key(r, e.Now()))
}

// TypedKey routes Enter and other keys through the detector.
func (e *Entry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.OnEscape != nil {
		e.OnEscape()
		return
	}
	if fn := e.Keys[k.Name]; fn != nil {
		if e.Detector != nil {
			e.deliver(e.Detector.Other(e.Now()))
		}
		fn()
		return
	}
	if e.Detector == nil {
		e.Entry.TypedKey(k)
		return
	}
	if k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter {
		code, isScan, typed := e.Detector.Enter(e.Now())
		e.deliver(typed)
		if isScan {
			if e.OnScan != nil {
				e.OnScan(code)
			}
			return
		}
		e.Entry.TypedKey(k)
		return
	}
	e.deliver(e.Detector.Other(e.Now()))
	e.Entry.TypedKey(k)
}

// Canvas installs the detector on a canvas for keys that reach no widget
// (after a button tap clears focus). Typed keys there have nowhere to go
// and are dropped; scans go to onScan. Returns a func that uninstalls.
func Canvas(c fyne.Canvas, d Detector, onScan func(string), now func() time.Time) (remove func()) {
	return CanvasKeys(c, d, onScan, nil, now)
}

// CanvasKeys is Canvas that also hands the listed keys (Esc, F-keys) to
// their functions, so a button's key works when no widget has focus.
func CanvasKeys(c fyne.Canvas, d Detector, onScan func(string), keys map[fyne.KeyName]func(), now func() time.Time) (remove func()) {
	if now == nil {
		now = time.Now
	}
	c.SetOnTypedRune(func(r rune) { d.Key(r, now()) })
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		if fn := keys[k.Name]; fn != nil {
			d.Other(now())
			fn()
			return
		}
		if k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter {
			if code, ok, _ := d.Enter(now()); ok && onScan != nil {
				onScan(code)
			}
			return
		}
		d.Other(now())
	})
	return func() {
		c.SetOnTypedRune(nil)
		c.SetOnTypedKey(nil)
	}
}
