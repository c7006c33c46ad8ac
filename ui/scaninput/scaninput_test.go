package scaninput

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/hardware/scanner"
)

// keys feeds runes with a fixed gap between them, on an injected clock.
func keys(e *Entry, now *time.Time, gap time.Duration, s string) {
	for _, r := range s {
		*now = now.Add(gap)
		e.TypedRune(r)
	}
	*now = now.Add(gap)
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func TestEntry_ScannerBurstGoesToOnScanNotTheField(t *testing.T) {
	test.NewTempApp(t)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var got []string
	submitted := 0
	e := NewEntry(scanner.NewWedge(nil), func(c string) { got = append(got, c) })
	e.Now = func() time.Time { return now }
	e.OnSubmitted = func(string) { submitted++ }
	test.NewTempWindow(t, e)

	keys(e, &now, 8*time.Millisecond, "134567890123456789")
	require.Equal(t, []string{"134567890123456789"}, got)
	require.Empty(t, e.Text, "a scan never lands in the field")
	require.Zero(t, submitted)
}

func TestEntry_PersonTypingReachesTheField(t *testing.T) {
	test.NewTempApp(t)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	scans := 0
	submitted := ""
	e := NewEntry(scanner.NewWedge(nil), func(string) { scans++ })
	e.Now = func() time.Time { return now }
	e.OnSubmitted = func(s string) { submitted = s }
	test.NewTempWindow(t, e)

	keys(e, &now, 150*time.Millisecond, "12.50")
	require.Zero(t, scans)
	require.Equal(t, "12.50", e.Text)
	require.Equal(t, "12.50", submitted)

	// Fast but short (fewer than 6 keys) is typing too.
	e.SetText("")
	keys(e, &now, 5*time.Millisecond, "123")
	require.Zero(t, scans)
	require.Equal(t, "123", e.Text)
}

func TestCanvas_ScanWithNothingFocused(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var got string
	remove := Canvas(w.Canvas(), scanner.NewWedge(nil), func(c string) { got = c }, func() time.Time { return now })
	c := w.Canvas()
	for _, r := range "6901234100007" {
		now = now.Add(6 * time.Millisecond)
		c.OnTypedRune()(r)
	}
	now = now.Add(6 * time.Millisecond)
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.Equal(t, "6901234100007", got)
	remove()
	require.Nil(t, c.OnTypedRune())
}

// recorder is a Detector that remembers whom its flush timer wakes.
type recorder struct {
	scanner.Wedge
	wake func()
}

func (r *recorder) SetAutoFlush(w func()) { r.wake = w }

// The detector's flush timer delivers held keys to the focused field only:
// focus binds it, losing focus unbinds it, so keys held after focus left
// never land in the old field. The held keys are taken out when the UI
// delivers them.
func TestEntry_AutoFlushBoundOnlyWhileFocused(t *testing.T) {
	test.NewTempApp(t)
	d := &recorder{}
	e := NewEntry(d, nil)
	at := time.Now()
	e.Now = func() time.Time { return at }
	win := test.NewTempWindow(t, e)
	win.Canvas().Focus(e)
	require.NotNil(t, d.wake)
	e.TypedRune('7')
	require.Empty(t, e.Text, "held: it might be a scan")
	at = at.Add(time.Second)
	d.wake()
	require.Equal(t, "7", e.Text)
	win.Canvas().Unfocus()
	require.Nil(t, d.wake, "focus left: the timer no longer delivers into this field")
}

// Typing on a busy machine: the timer has asked for a flush of a held key
// but the UI has not got round to it when the next keys arrive; they come
// out in the order typed ("12.50" once became "1.250").
func TestEntry_LateFlushKeepsTheOrder(t *testing.T) {
	test.NewTempApp(t)
	d := &recorder{}
	e := NewEntry(d, nil)
	at := time.Now()
	e.Now = func() time.Time { return at }
	win := test.NewTempWindow(t, e)
	win.Canvas().Focus(e)
	for _, r := range "12.50" {
		e.TypedRune(r)
		at = at.Add(80 * time.Millisecond) // a person's pace: each key ends the last one's burst
	}
	d.wake() // the late flush of the timer armed for the last key
	require.Equal(t, "12.50", e.Text)
}

// A flush the timer asked for while the amount had the focus runs late, on
// a busy machine, after Enter moved the focus to the code field and the
// code's first keys are held: they stay the code field's ("12.50" once
// became "12.504" and the code lost its "4").
func TestEntry_StaleFlushLeavesTheNextFieldsKeys(t *testing.T) {
	test.NewTempApp(t)
	d := &recorder{}
	amount, code := NewEntry(d, nil), NewEntry(d, nil)
	at := time.Now()
	amount.Now = func() time.Time { return at }
	code.Now = amount.Now
	win := test.NewTempWindow(t, container.NewVBox(amount, code))
	win.Canvas().Focus(amount)
	stale := d.wake // asked for while the amount had the focus, run below
	win.Canvas().Focus(code)
	code.TypedRune('4')
	at = at.Add(time.Second) // the held key is due when the stale flush runs
	stale()
	require.Empty(t, amount.Text)
	d.wake()
	require.Equal(t, "4", code.Text)
}

// A field in a dialog that closes gets no FocusLost (the dialog's focus
// goes with it): the flush it had bound must not deliver there, and the
// held key comes with the next key into the field that has the focus.
func TestEntry_FlushSkipsAFieldOfAClosedDialog(t *testing.T) {
	test.NewTempApp(t)
	d := &recorder{}
	line, query := NewEntry(d, nil), NewEntry(d, nil)
	at := time.Now()
	line.Now = func() time.Time { return at }
	query.Now = line.Now
	win := test.NewTempWindow(t, line)
	win.Canvas().Focus(line)
	pop := widget.NewModalPopUp(query, win.Canvas())
	pop.Show()
	win.Canvas().Focus(query)
	pop.Hide() // no FocusLost for query; the window still has line focused
	require.True(t, query.focused)
	line.TypedRune('6')
	at = at.Add(time.Second)
	d.wake() // the flush query bound when it took the focus
	require.Empty(t, query.Text, "not into the closed dialog's field")
	at = at.Add(time.Second)
	line.TypedRune('9')
	line.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.Equal(t, "69", line.Text)
}
