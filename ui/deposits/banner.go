package deposits

import (
	"image/color"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Banner is the big line that says how a freeze or a check-out ended:
// green done, red failed, amber not known yet. White text on the colour,
// so it reads the same in either theme.
type Banner struct {
	Text *canvas.Text
	Sub  *widget.Label
	bg   *canvas.Rectangle
	box  fyne.CanvasObject
	// Colour is the banner's colour now (nil: cleared).
	Colour color.Color
}

var (
	colorDone = color.NRGBA{R: 0x1b, G: 0x8a, B: 0x3c, A: 0xff}
	colorFail = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	// colorOpen: neither done nor failed, amber.
	colorOpen = color.NRGBA{R: 0xb2, G: 0x6a, B: 0x00, A: 0xff}
)

func newBanner() *Banner {
	b := &Banner{}
	b.Text = canvas.NewText("", color.White)
	b.Text.TextSize = 26
	b.Text.TextStyle = fyne.TextStyle{Bold: true}
	b.Text.Alignment = fyne.TextAlignCenter
	b.bg = canvas.NewRectangle(color.Transparent)
	b.bg.CornerRadius = 6
	b.Sub = widget.NewLabel("")
	b.Sub.Wrapping = fyne.TextWrapWord
	b.Sub.Alignment = fyne.TextAlignCenter
	b.box = container.NewVBox(container.NewStack(b.bg, container.NewPadded(b.Text)), b.Sub)
	b.box.Hide()
	return b
}

func (b *Banner) set(text, sub string, c color.Color) {
	b.Text.Text, b.Text.Color = text, color.White
	b.bg.FillColor, b.Colour = c, c
	b.Sub.SetText(sub)
	b.box.Show()
	b.Text.Refresh()
	b.bg.Refresh()
}

func (b *Banner) clear() {
	b.Text.Text, b.Colour = "", nil
	b.bg.FillColor = theme.Color(theme.ColorNameBackground)
	b.Sub.SetText("")
	b.box.Hide()
}

func trim(s string) string { return strings.TrimSpace(s) }

func runes(s string) int { return utf8.RuneCountInString(s) }
