package shift

import (
	"time"
	"unicode"

	"cashier/ui/scaninput"
)

// Field is the entry of the shift screens: counts, amounts, staff
// numbers and PINs, none of which holds a space. Space presses the
// button that opens a form, and the same key's character then reaches
// the form's first field; here it is dropped. Esc reaches OnEscape.
type Field struct{ scaninput.Entry }

func newField() *Field {
	f := &Field{}
	f.Now = time.Now
	f.ExtendBaseWidget(f)
	return f
}

// TypedRune drops spaces.
func (f *Field) TypedRune(r rune) {
	if unicode.IsSpace(r) {
		return
	}
	f.Entry.TypedRune(r)
}
