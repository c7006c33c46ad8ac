package sim

import (
	"image"
	"image/draw"
	"sync"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"cashier/assets"
)

// The emulator draws text the way a printer's font A does: ASCII in cells
// 12 dots wide, Chinese and other double-byte characters in cells 24 dots
// wide, all 24 dots high. Glyphs come from the bundled Noto Sans SC (a CFF
// OpenType font, which golang.org/x/image/font/opentype rasterises); a glyph
// wider than its cell is squeezed into it.

const (
	printerCellH      = 24
	printerNarrowW    = 12
	printerWideW      = 24
	printerFontPx     = 22
	printerBaselinePx = 19
)

type printerGlyphKey struct {
	r    rune
	bold bool
}

type printerFontCache struct {
	mu      sync.Mutex
	faces   [2]font.Face
	err     error
	glyphs  map[printerGlyphKey]*image.Alpha
	initted bool
}

var printerFonts printerFontCache

func (c *printerFontCache) init() {
	c.initted = true
	c.glyphs = map[printerGlyphKey]*image.Alpha{}
	for i, data := range [][]byte{assets.FontRegular, assets.FontBold} {
		f, err := opentype.Parse(data)
		if err != nil {
			c.err = err
			return
		}
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: printerFontPx, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			c.err = err
			return
		}
		c.faces[i] = face
	}
}

// glyph returns the cell mask for r: 12 or 24 dots wide, 24 high. The
// returned image is shared and must not be modified.
func (c *printerFontCache) glyph(r rune, bold bool) *image.Alpha {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.initted {
		c.init()
	}
	k := printerGlyphKey{r, bold}
	if g, ok := c.glyphs[k]; ok {
		return g
	}
	cellW := printerNarrowW
	if r >= 0x80 {
		cellW = printerWideW
	}
	cell := image.NewAlpha(image.Rect(0, 0, cellW, printerCellH))
	if len(c.glyphs) > 20000 { // a fuzzer can ask for every rune there is
		clear(c.glyphs)
	}
	c.glyphs[k] = cell
	if r == ' ' {
		return cell
	}
	face := c.faces[0]
	if bold && c.faces[1] != nil {
		face = c.faces[1]
	}
	if c.err != nil || face == nil {
		tofu(cell)
		return cell
	}
	adv, ok := face.GlyphAdvance(r)
	if !ok {
		tofu(cell)
		return cell
	}
	w := adv.Ceil()
	if w < 1 {
		w = 1
	}
	tmp := image.NewAlpha(image.Rect(0, 0, w, printerCellH))
	d := font.Drawer{Dst: tmp, Src: image.Opaque, Face: face, Dot: fixed.P(0, printerBaselinePx)}
	d.DrawString(string(r))
	if w <= cellW {
		off := (cellW - w) / 2
		draw.Draw(cell, image.Rect(off, 0, off+w, printerCellH), tmp, image.Point{}, draw.Src)
	} else {
		xdraw.ApproxBiLinear.Scale(cell, cell.Bounds(), tmp, tmp.Bounds(), draw.Src, nil)
	}
	return cell
}

// tofu draws the empty box a printer shows for a character it lacks.
func tofu(a *image.Alpha) {
	b := a.Bounds()
	for x := b.Min.X + 2; x < b.Max.X-2; x++ {
		a.Pix[a.PixOffset(x, 2)] = 0xFF
		a.Pix[a.PixOffset(x, b.Max.Y-3)] = 0xFF
	}
	for y := 2; y < b.Max.Y-2; y++ {
		a.Pix[a.PixOffset(b.Min.X+2, y)] = 0xFF
		a.Pix[a.PixOffset(b.Max.X-3, y)] = 0xFF
	}
}
