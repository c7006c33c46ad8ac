package custdisplay

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// bigTheme is the app's theme with text for reading across a counter.
type bigTheme struct{ base fyne.Theme }

func (t bigTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.base.Color(n, v)
}
func (t bigTheme) Font(s fyne.TextStyle) fyne.Resource     { return t.base.Font(s) }
func (t bigTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }
func (t bigTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return sizeLine
	case theme.SizeNameSubHeadingText:
		return sizeLabel
	}
	return t.base.Size(n)
}

// bigger draws obj's widgets (labels, list rows) in large type.
func bigger(obj fyne.CanvasObject) fyne.CanvasObject {
	var base fyne.Theme = theme.DefaultTheme()
	if a := fyne.CurrentApp(); a != nil && a.Settings().Theme() != nil {
		base = a.Settings().Theme()
	}
	return container.NewThemeOverride(obj, bigTheme{base: base})
}

// lineLayout is a cart line: the name takes what the quantity and the
// amount leave.
type lineLayout struct{}

const (
	qtyWidth    = 110
	amountWidth = 170
)

func (lineLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	name := max(size.Width-qtyWidth-amountWidth, 0)
	x := float32(0)
	for i, w := range []float32{name, qtyWidth, amountWidth} {
		if i >= len(objs) {
			break
		}
		objs[i].Move(fyne.NewPos(x, 0))
		objs[i].Resize(fyne.NewSize(w, size.Height))
		x += w
	}
}

func (lineLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(qtyWidth+amountWidth+80, h)
}

// fraction puts two objects side by side, the first taking this share
// of the width.
type fraction float32

func (f fraction) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) < 2 {
		return
	}
	w := size.Width * float32(f)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(w, size.Height))
	objs[1].Move(fyne.NewPos(w, 0))
	objs[1].Resize(fyne.NewSize(size.Width-w, size.Height))
}

func (f fraction) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		m := o.MinSize()
		w += m.Width
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}
