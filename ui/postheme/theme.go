// Package postheme is the app's Fyne theme: the default look with a bundled
// CJK font, so Chinese renders on a machine with no fonts installed.
package postheme

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"cashier/assets"
)

var (
	regular = fyne.NewStaticResource("NotoSansSC-Regular-subset.otf", assets.FontRegular)
	bold    = fyne.NewStaticResource("NotoSansSC-Bold-subset.otf", assets.FontBold)
)

// Theme overrides only the fonts and a few sizes that matter at a counter.
type Theme struct{ fyne.Theme }

// New returns the app theme.
func New() fyne.Theme { return &Theme{Theme: theme.DefaultTheme()} }

// Font returns the bundled Noto Sans SC for every style: it covers ASCII
// and GB2312, so mixed text never falls back to boxes. Monospace text also
// uses it because the default monospace font has no Chinese.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Bold {
		return bold
	}
	return regular
}

// Size makes text a little larger than Fyne's default: counters are read
// at arm's length.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 15
	case theme.SizeNameHeadingText:
		return 24
	}
	return t.Theme.Size(n)
}

// Color keeps the default palette with a Chinese-red primary.
func (t *Theme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNamePrimary {
		return color.NRGBA{R: 0xC8, G: 0x1E, B: 0x1E, A: 0xFF}
	}
	return t.Theme.Color(n, v)
}

// RegularFont exposes the bundled regular font (the printer view and tests use it).
func RegularFont() fyne.Resource { return regular }
