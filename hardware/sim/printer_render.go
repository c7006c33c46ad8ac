package sim

import (
	"image"
	"strings"

	"cashier/hardware/escpos"
)

type printerGlyph struct {
	r    rune
	bold bool
	w, h int
}

type printerPaper struct {
	img      *image.Gray // grows as needed; width = dots + 2 margins
	y        int         // next dot row
	line     []printerGlyph
	lineDots int
	lineAlgn escpos.Align
	text     []string
	barcodes []string
	qrs      []string
	drawer   []PrinterDrawerKick
	notes    []string
	bytes    int
	drawn    bool
}

func (p *printerPaper) hasContent() bool {
	return p.drawn || len(p.line) > 0 || len(p.drawer) > 0 || len(p.text) > 0
}

func (e *PrinterEmulator) newPaper() *printerPaper {
	return &printerPaper{}
}

func (e *PrinterEmulator) dots() int { return e.opt.Paper.Dots() }

// ensure makes the paper at least rows dot rows long.
func (e *PrinterEmulator) ensure(rows int) {
	p := e.cur
	w := e.dots() + 2*printerMargin
	if p.img != nil && p.img.Rect.Dy() >= rows {
		return
	}
	h := 1024
	if p.img != nil {
		h = p.img.Rect.Dy() * 2
	}
	for h < rows {
		h *= 2
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	if p.img != nil {
		copy(img.Pix, p.img.Pix)
	}
	p.img = img
}

func (e *PrinterEmulator) glyphWidth(g printerGlyph) int {
	if g.r >= 0x80 {
		return printerWideW * g.w
	}
	return printerNarrowW * g.w
}

func (e *PrinterEmulator) addRune(r rune) {
	m := &e.mode
	g := printerGlyph{r: r, bold: m.bold, w: m.w, h: m.h}
	gw := e.glyphWidth(g)
	if gw > e.dots() {
		return
	}
	if e.cur.lineDots+gw > e.dots() {
		e.printLine(false) // the printer wraps at the right margin
	}
	if len(e.cur.line) == 0 {
		e.cur.lineAlgn = m.align
	}
	e.cur.line = append(e.cur.line, g)
	e.cur.lineDots += gw
}

func (e *PrinterEmulator) tab() {
	col := e.cur.lineDots / printerNarrowW
	next := (col/8 + 1) * 8
	for i := col; i < next && e.cur.lineDots+printerNarrowW <= e.dots(); i++ {
		e.addRune(' ')
	}
}

// printLine prints the line buffer; on an empty buffer it feeds one line
// when emptyFeeds is set (LF on an empty line).
func (e *PrinterEmulator) printLine(emptyFeeds bool) {
	p := e.cur
	if len(p.line) == 0 {
		if emptyFeeds {
			e.feedDots(e.mode.lineSpacing)
			p.text = append(p.text, "")
		}
		return
	}
	lh := printerCellH
	for _, g := range p.line {
		lh = max(lh, printerCellH*g.h)
	}
	e.ensure(p.y + lh)
	x := e.alignX(p.lineAlgn, p.lineDots)
	var sb strings.Builder
	for _, g := range p.line {
		gw := e.glyphWidth(g)
		if g.r != ' ' {
			mask := printerFonts.glyph(g.r, g.bold)
			e.drawMask(mask, x, p.y+lh-printerCellH*g.h, g.w, g.h)
		}
		sb.WriteRune(g.r)
		x += gw
	}
	p.text = append(p.text, strings.TrimRight(sb.String(), " "))
	p.drawn = true
	p.line = p.line[:0]
	p.lineDots = 0
	e.feedDots(max(e.mode.lineSpacing, lh))
}

func (e *PrinterEmulator) alignX(a escpos.Align, w int) int {
	switch a {
	case escpos.AlignCenter:
		return printerMargin + (e.dots()-w)/2
	case escpos.AlignRight:
		return printerMargin + e.dots() - w
	}
	return printerMargin
}

// drawMask darkens the paper with a glyph mask scaled by (sx, sy).
func (e *PrinterEmulator) drawMask(mask *image.Alpha, x0, y0, sx, sy int) {
	img := e.cur.img
	mw, mh := mask.Rect.Dx(), mask.Rect.Dy()
	for my := 0; my < mh; my++ {
		for mx := 0; mx < mw; mx++ {
			a := mask.Pix[my*mask.Stride+mx]
			if a == 0 {
				continue
			}
			v := 0xFF - a
			for dy := 0; dy < sy; dy++ {
				row := (y0+my*sy+dy)*img.Stride + x0 + mx*sx
				for dx := 0; dx < sx; dx++ {
					if img.Pix[row+dx] > v {
						img.Pix[row+dx] = v
					}
				}
			}
		}
	}
}

// fillRect paints a black rectangle (bars, QR modules, raster dots).
func (e *PrinterEmulator) fillRect(x, y, w, h int) {
	img := e.cur.img
	x1 := min(x+w, printerMargin+e.dots())
	for yy := y; yy < y+h; yy++ {
		row := yy * img.Stride
		for xx := max(x, printerMargin); xx < x1; xx++ {
			img.Pix[row+xx] = 0
		}
	}
}

func (e *PrinterEmulator) feedDots(n int) {
	if n <= 0 {
		return
	}
	e.cur.y += n
	if e.cur.y > e.opt.MaxReceiptDots {
		e.finish(false, "超过最大长度，自动截断 / longer than the paper limit, cut short")
	}
}

// blockStart ends a pending text line before a barcode, QR or image.
func (e *PrinterEmulator) blockStart() {
	if len(e.cur.line) > 0 {
		e.printLine(false)
	}
}

func (e *PrinterEmulator) note(s string) {
	if len(e.cur.notes) < 20 {
		e.cur.notes = append(e.cur.notes, s)
	}
}

func (e *PrinterEmulator) raster(m byte, xb, rows int, data []byte) {
	e.blockStart()
	if xb == 0 || rows == 0 {
		return
	}
	sx, sy := 1, 1
	if m&1 == 1 {
		sx = 2
	}
	if m&2 == 2 {
		sy = 2
	}
	w := xb * 8 * sx
	// draw no further than the paper limit (the feed below ends the receipt)
	drawn := max(0, min(rows, (e.opt.MaxReceiptDots-e.cur.y)/sy+1))
	e.ensure(e.cur.y + drawn*sy)
	x0 := e.alignX(e.mode.align, min(w, e.dots()))
	for r := 0; r < drawn; r++ {
		for i := 0; i < xb; i++ {
			v := data[r*xb+i]
			if v == 0 {
				continue
			}
			for bit := 0; bit < 8; bit++ {
				if v&(0x80>>bit) != 0 {
					e.fillRect(x0+(i*8+bit)*sx, e.cur.y+r*sy, sx, sy)
				}
			}
		}
	}
	e.cur.drawn = true
	e.feedDots(rows * sy)
}

func (e *PrinterEmulator) cut() {
	e.blockStart()
	e.finish(true, "")
}

// finish ends the current receipt and starts a new piece of paper.
func (e *PrinterEmulator) finish(cut bool, note string) {
	p := e.cur
	e.cur = e.newPaper()
	if !p.hasContent() {
		return
	}
	if note != "" && len(p.notes) < 20 {
		p.notes = append(p.notes, note)
	}
	h := min(max(p.y, 1), e.opt.MaxReceiptDots) + 8
	w := e.dots() + 2*printerMargin
	out := image.NewGray(image.Rect(0, 0, w, h))
	copied := 0
	if p.img != nil {
		copied = copy(out.Pix, p.img.Pix)
	}
	for i := copied; i < len(out.Pix); i++ {
		out.Pix[i] = 0xFF
	}
	e.seq++
	r := PrinterReceipt{
		Seq: e.seq, At: e.opt.Now(), Image: out,
		Text:     strings.Join(p.text, "\n"),
		Barcodes: p.barcodes, QRCodes: p.qrs, Drawer: p.drawer,
		Cut: cut, Bytes: p.bytes, Notes: p.notes,
	}
	e.stats.Receipts++
	e.receipts = append(e.receipts, r)
	if len(e.receipts) > e.opt.Keep {
		e.receipts = append([]PrinterReceipt(nil), e.receipts[len(e.receipts)-e.opt.Keep:]...)
	}
	e.done = append(e.done, r)
}
