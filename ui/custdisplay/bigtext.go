package custdisplay

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// bigText is one line of large type that shrinks to fit its width, so a
// long amount on a narrow customer screen stays whole instead of being
// cut, and never asks its container for more room than a short one.
type bigText struct {
	widget.BaseWidget
	text *canvas.Text
	size float32 // the size it is drawn at when it fits
}

func newBigText(size float32, bold bool, align fyne.TextAlign, c color.Color) *bigText {
	t := canvas.NewText("", c)
	t.TextSize = size
	t.TextStyle = fyne.TextStyle{Bold: bold}
	t.Alignment = align
	b := &bigText{text: t, size: size}
	b.ExtendBaseWidget(b)
	return b
}

// Set changes the text; the same text again costs nothing.
func (b *bigText) Set(s string) {
	if b.text.Text == s {
		return
	}
	b.text.Text = s
	b.Refresh()
}

// SetColor changes the colour.
func (b *bigText) SetColor(c color.Color) {
	if b.text.Color == c {
		return
	}
	b.text.Color = c
	b.Refresh()
}

// Text is what it shows.
func (b *bigText) Text() string { return b.text.Text }

func (b *bigText) CreateRenderer() fyne.WidgetRenderer { return &bigTextRenderer{b: b} }

type bigTextRenderer struct{ b *bigText }

func (r *bigTextRenderer) Layout(size fyne.Size) {
	t := r.b.text
	ts := r.b.size
	// Type does not scale quite in proportion (hinting): shrink until it
	// fits, a few steps at most.
	for range 4 {
		w := fyne.MeasureText(t.Text, ts, t.TextStyle).Width
		if w <= size.Width || ts <= 8 {
			break
		}
		ts = max(ts*size.Width/w*0.99, 8)
	}
	if t.TextSize != ts {
		t.TextSize = ts
		t.Refresh()
	}
	h := fyne.MeasureText("0", ts, t.TextStyle).Height
	t.Move(fyne.NewPos(0, (size.Height-h)/2))
	t.Resize(fyne.NewSize(size.Width, h))
}

// MinSize is the height of a line at full size and no width of its own:
// the text shrinks instead of widening what holds it.
func (r *bigTextRenderer) MinSize() fyne.Size {
	t := r.b.text
	return fyne.NewSize(r.b.size, fyne.MeasureText("0", r.b.size, t.TextStyle).Height)
}

func (r *bigTextRenderer) Refresh() {
	r.Layout(r.b.Size())
	r.b.text.Refresh()
}

func (r *bigTextRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.b.text} }
func (r *bigTextRenderer) Destroy()                     {}
