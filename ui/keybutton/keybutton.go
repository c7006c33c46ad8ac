// Package keybutton is a button Enter presses and Esc backs out of, so a
// question without a field still answers to the keyboard (the counter's
// prompts, the question before leaving with records unsent).
package keybutton

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Button is a widget.Button that takes Enter and Esc when focused.
type Button struct {
	widget.Button
	onEsc func()
}

// New makes a Button: tap on a click or Enter (not while disabled), esc
// (may be nil) on Esc.
func New(label string, icon fyne.Resource, tap, esc func()) *Button {
	b := &Button{onEsc: esc}
	b.Text, b.Icon, b.OnTapped = label, icon, tap
	b.ExtendBaseWidget(b)
	return b
}

// OnEsc changes what Esc does.
func (b *Button) OnEsc(esc func()) { b.onEsc = esc }

// TypedKey presses the button on Enter and backs out on Esc.
func (b *Button) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if !b.Disabled() {
			b.Tapped(nil)
		}
	case fyne.KeyEscape:
		if b.onEsc != nil {
			b.onEsc()
		}
	default:
		b.Button.TypedKey(k)
	}
}
