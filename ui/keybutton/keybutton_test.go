package keybutton

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
)

func TestButton_EnterPressesEscBacksOut(t *testing.T) {
	test.NewTempApp(t)
	var taps, escs int
	b := New("好", nil, func() { taps++ }, func() { escs++ })
	b.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	b.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	assert.Equal(t, 1, taps)
	assert.Equal(t, 1, escs)
	b.Disable()
	b.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnter})
	assert.Equal(t, 1, taps, "a disabled button is not pressed")
	New("x", nil, nil, nil).TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) // no Esc action: nothing
}
