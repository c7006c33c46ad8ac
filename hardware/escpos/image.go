package escpos

import (
	"fmt"
	"image"
	"image/color"
)

// RasterBand is the most rows sent in one GS v 0 command. Printers keep a
// whole raster command in their small receive buffer before printing it, so
// a logo goes out in bands (72 bytes × 24 rows = 1.7 KB at 576 dots).
const RasterBand = 24

// Image prints img as a raster bit image (GS v 0), one dot per pixel,
// dark pixels (luminance below half, not transparent) black. The most
// significant bit of each byte is the leftmost dot. img must not be wider
// than the paper; its alignment follows Align.
//
// Raster data is large and slow to print: the printer driver paces it.
func (b *Builder) Image(img image.Image) *Builder {
	if img == nil {
		b.fail(fmt.Errorf("%w: nil", ErrImage))
		return b
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		b.fail(fmt.Errorf("%w: 尺寸 %dx%d / size %dx%d", ErrImage, w, h, w, h))
		return b
	}
	if w > b.paper.Dots() {
		b.fail(fmt.Errorf("%w: %d > %d 点 / dots", ErrImageTooWide, w, b.paper.Dots()))
		return b
	}
	b.startBlock()
	xb := (w + 7) / 8
	for y0 := 0; y0 < h; y0 += RasterBand {
		rows := min(RasterBand, h-y0)
		b.buf = append(b.buf, GS, 'v', '0', 0, byte(xb), byte(xb>>8), byte(rows), byte(rows>>8))
		start := len(b.buf)
		for y := y0; y < y0+rows; y++ {
			for x := 0; x < xb*8; x += 8 {
				var v byte
				for bit := 0; bit < 8; bit++ {
					if x+bit < w && dark(img.At(r.Min.X+x+bit, r.Min.Y+y)) {
						v |= 0x80 >> bit
					}
				}
				b.buf = append(b.buf, v)
			}
		}
		// Printers act on 10 04 (a status request) even inside image data:
		// drop the one dot that makes 04 after 10.
		data := b.buf[start:]
		for i := 1; i < len(data); i++ {
			if data[i-1] == DLE && data[i] == EOT {
				data[i] = 0
			}
		}
	}
	b.atLineStart = true
	return b
}

func dark(c color.Color) bool {
	g := color.GrayModel.Convert(c).(color.Gray)
	_, _, _, a := c.RGBA()
	return a >= 0x8000 && g.Y < 128
}
