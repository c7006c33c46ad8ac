package postheme

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/font/sfnt"
)

// render draws one string with the current theme on a white canvas and
// returns the captured pixels.
func render(t *testing.T, s string) image.Image {
	t.Helper()
	txt := canvas.NewText(s, color.Black)
	txt.TextSize = 48
	w := test.NewTempWindow(t, txt)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(120, 80))
	return w.Canvas().Capture()
}

func inked(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r < 0x8000 && g < 0x8000 && bb < 0x8000 {
				n++
			}
		}
	}
	return n
}

func differs(a, b image.Image) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, _, _, _ := a.At(x, y).RGBA()
			br, _, _, _ := b.At(x, y).RGBA()
			if (ar < 0x8000) != (br < 0x8000) {
				n++
			}
		}
	}
	return n
}

// With the app theme "收" and "银" render to different, non-empty glyphs
// that are not the missing-glyph box (a private-use character no font has).
// The bundled font itself maps both characters, so this holds on a machine
// with no system fonts (this machine may have some, which Fyne would use as
// fallback; the cmap check below does not depend on them).
func TestTheme_RendersChineseGlyphs(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(&lightCJK{New()})
	shou := render(t, "收")
	yin := render(t, "银")
	missing := render(t, "\uE000")

	require.Greater(t, inked(shou), 100, "收 drew nothing")
	require.Greater(t, inked(yin), 100, "银 drew nothing")
	require.Greater(t, differs(shou, yin), 100, "收 and 银 look the same: not real glyphs")
	require.Greater(t, differs(shou, missing), 100, "收 looks like the missing-glyph box")
	require.Greater(t, differs(yin, missing), 100, "银 looks like the missing-glyph box")

	f, err := sfnt.Parse(New().Font(fyne.TextStyle{}).Content())
	require.NoError(t, err)
	var buf sfnt.Buffer
	for _, r := range "收银台押金退款￥0123456789" {
		gi, err := f.GlyphIndex(&buf, r)
		require.NoError(t, err)
		require.NotZero(t, gi, "bundled font lacks %q", r)
	}
}

// lightCJK forces the light variant so black text is on white.
type lightCJK struct{ fyne.Theme }

func (l *lightCJK) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return l.Theme.Color(n, theme.VariantLight)
}

func TestTheme_FontsAreBundled(t *testing.T) {
	th := New()
	require.Equal(t, "NotoSansSC-Regular-subset.otf", th.Font(fyne.TextStyle{}).Name())
	require.Equal(t, "NotoSansSC-Bold-subset.otf", th.Font(fyne.TextStyle{Bold: true}).Name())
	require.Equal(t, "NotoSansSC-Regular-subset.otf", th.Font(fyne.TextStyle{Monospace: true}).Name())
	require.Greater(t, len(th.Font(fyne.TextStyle{}).Content()), 1_000_000)
}
