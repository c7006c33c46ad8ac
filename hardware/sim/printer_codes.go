package sim

import (
	"fmt"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	qrcode "github.com/skip2/go-qrcode"
)

// printerCode128Text reads the data of GS k 73 (code set selection {A {B
// {C, {{ for a literal brace, set C bytes 0..99 as digit pairs) into the
// barcode's content.
func printerCode128Text(d []byte) (string, error) {
	if len(d) < 2 || d[0] != '{' || (d[1] != 'A' && d[1] != 'B' && d[1] != 'C') {
		return "", fmt.Errorf("CODE128 数据须以 {A/{B/{C 开头 / data must start with {A, {B or {C")
	}
	set := d[1]
	var sb strings.Builder
	for i := 2; i < len(d); {
		c := d[i]
		if c == '{' {
			if i+1 >= len(d) {
				return "", fmt.Errorf("CODE128 数据以 { 结尾 / data ends in {")
			}
			switch n := d[i+1]; n {
			case 'A', 'B', 'C':
				set = n
			case '{':
				if set == 'C' {
					return "", fmt.Errorf("CODE128 C 集不能有 {{ / {{ in code set C")
				}
				sb.WriteByte('{')
			case 'S', '1', '2', '3', '4': // shift, FNC1-4: nothing to show
			default:
				return "", fmt.Errorf("CODE128 无效的 {%c / invalid {%c", n, n)
			}
			i += 2
			continue
		}
		switch set {
		case 'C':
			if c > 99 {
				return "", fmt.Errorf("CODE128 C 集字节 %d 超过99 / set C byte over 99", c)
			}
			sb.WriteByte('0' + c/10)
			sb.WriteByte('0' + c%10)
		case 'A':
			if c > 0x5F {
				return "", fmt.Errorf("CODE128 A 集字节无效 / invalid set A byte %#02x", c)
			}
			sb.WriteByte(c)
		default:
			if c < 0x20 || c > 0x7F {
				return "", fmt.Errorf("CODE128 B 集字节无效 / invalid set B byte %#02x", c)
			}
			sb.WriteByte(c)
		}
		i++
	}
	if sb.Len() == 0 {
		return "", fmt.Errorf("CODE128 内容为空 / empty")
	}
	return sb.String(), nil
}

var code128Writer = oned.NewCode128Writer()

func (e *PrinterEmulator) code128(data []byte) {
	e.blockStart()
	text, err := printerCode128Text(data)
	if err != nil {
		e.note(err.Error())
		return
	}
	bm, err := code128Writer.Encode(text, gozxing.BarcodeFormat_CODE_128, 0, 1,
		map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_MARGIN: 0})
	if err != nil {
		e.note("CODE128 无法绘制 / cannot draw: " + err.Error())
		return
	}
	e.bars(text, bm)
}

// The GTIN symbologies of GS k (function B): m, its name, gozxing's
// writer, and the digit counts the printer takes (without or with the
// check digit, which it works out when left off).
var gtinCodes = map[byte]struct {
	name   string
	format gozxing.BarcodeFormat
	writer gozxing.Writer
	digits [2]int
}{
	65: {"UPC-A", gozxing.BarcodeFormat_UPC_A, oned.NewUPCAWriter(), [2]int{11, 12}},
	67: {"EAN-13", gozxing.BarcodeFormat_EAN_13, oned.NewEAN13Writer(), [2]int{12, 13}},
	68: {"EAN-8", gozxing.BarcodeFormat_EAN_8, oned.NewEAN8Writer(), [2]int{7, 8}},
}

// gtin draws a UPC-A, EAN-13 or EAN-8 (GS k 65/67/68), as a shelf label
// prints a product's code.
func (e *PrinterEmulator) gtin(kind byte, data []byte) {
	e.blockStart()
	c := gtinCodes[kind]
	text := string(data)
	if (len(text) != c.digits[0] && len(text) != c.digits[1]) || strings.Trim(text, "0123456789") != "" {
		e.note(fmt.Sprintf("%s 数据无效 / invalid data: %q", c.name, text))
		return
	}
	bm, err := c.writer.Encode(text, c.format, 0, 1, map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_MARGIN: 0})
	if err != nil {
		e.note(c.name + " 无法绘制 / cannot draw: " + err.Error())
		return
	}
	e.bars(text, bm)
}

// bars draws a one-row barcode with its human-readable text as GS H asks.
func (e *PrinterEmulator) bars(text string, bm *gozxing.BitMatrix) {
	m := &e.mode
	mods := bm.GetWidth()
	w := mods * m.bcModule
	if w > e.dots() {
		e.note(fmt.Sprintf("条码太宽未打印 / barcode too wide, not printed: %s (%d > %d dots)", text, w, e.dots()))
		return
	}
	hriH := printerCellH + 4
	above, below := m.bcHRI&1 != 0, m.bcHRI&2 != 0
	total := m.bcHeight
	if above {
		total += hriH
	}
	if below {
		total += hriH
	}
	e.ensure(e.cur.y + total)
	x0 := e.alignX(m.align, w)
	y := e.cur.y
	if above {
		e.hri(text, x0, w, y)
		y += hriH
	}
	for x := 0; x < mods; x++ {
		if bm.Get(x, 0) {
			e.fillRect(x0+x*m.bcModule, y, m.bcModule, m.bcHeight)
		}
	}
	y += m.bcHeight
	if below {
		e.hri(text, x0, w, y+4)
	}
	e.cur.barcodes = append(e.cur.barcodes, text)
	if above || below {
		e.cur.text = append(e.cur.text, text)
	}
	e.cur.drawn = true
	e.feedDots(total)
}

// hri writes a barcode's text centred under (or over) it in font A.
func (e *PrinterEmulator) hri(text string, x0, w, y int) {
	tw := len(text) * printerNarrowW
	x := x0 + (w-tw)/2
	x = max(x, printerMargin)
	for _, r := range text {
		if x+printerNarrowW > printerMargin+e.dots() {
			break
		}
		e.drawMask(printerFonts.glyph(r, false), x, y, 1, 1)
		x += printerNarrowW
	}
}

func (e *PrinterEmulator) qr(data []byte) {
	e.blockStart()
	m := &e.mode
	if len(data) == 0 {
		e.note("二维码没有数据 / QR print without stored data")
		return
	}
	level := map[byte]qrcode.RecoveryLevel{48: qrcode.Low, 49: qrcode.Medium, 50: qrcode.High, 51: qrcode.Highest}[m.qrLevel]
	q, err := qrcode.New(string(data), level)
	if err != nil {
		e.note("二维码无法生成 / cannot make QR: " + err.Error())
		return
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	size := len(bits) * m.qrSize
	if size > e.dots() {
		e.note(fmt.Sprintf("二维码太大未打印 / QR too large, not printed (%d > %d dots)", size, e.dots()))
		return
	}
	e.ensure(e.cur.y + size)
	x0 := e.alignX(m.align, size)
	for r, row := range bits {
		for c, on := range row {
			if on {
				e.fillRect(x0+c*m.qrSize, e.cur.y+r*m.qrSize, m.qrSize, m.qrSize)
			}
		}
	}
	e.cur.qrs = append(e.cur.qrs, string(data))
	e.cur.drawn = true
	e.feedDots(size)
}
