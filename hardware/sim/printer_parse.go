package sim

import (
	"golang.org/x/text/encoding/charmap"

	"cashier/hardware/escpos"
)

// step parses one command or character at the start of b and returns how
// many bytes it used, or 0 when b ends inside a command.
func (e *PrinterEmulator) step(b []byte) int {
	c := b[0]
	switch {
	case c == escpos.LF:
		if e.printing(1) {
			e.printLine(true)
		}
		return 1
	case c == '\t':
		if e.printing(1) {
			e.tab()
		}
		return 1
	case c == escpos.DLE:
		return e.stepDLE(b)
	case c == escpos.ESC:
		return e.stepESC(b)
	case c == escpos.GS:
		return e.stepGS(b)
	case c == escpos.FS:
		return e.stepFS(b)
	case c < 0x20 || c == 0x7F:
		return 1 // CR, FF, NUL and other controls: nothing to print
	case c < 0x80:
		if e.printing(1) {
			e.addRune(rune(c))
		}
		return 1
	}
	return e.stepHigh(b)
}

// printing reports whether print data can be printed now and counts n
// bytes as dropped when it cannot.
func (e *PrinterEmulator) printing(n int) bool {
	if e.canPrint() {
		return true
	}
	e.stats.Dropped += n
	return false
}

func (e *PrinterEmulator) stepHigh(b []byte) int {
	c := b[0]
	if !e.mode.chinese {
		if e.printing(1) {
			e.addRune(charmap.CodePage437.DecodeByte(c))
		}
		return 1
	}
	if c < 0x81 || c == 0xFF {
		if e.printing(1) {
			e.addRune('?')
		}
		return 1
	}
	if len(b) < 2 {
		return 0
	}
	n := 0
	switch t := b[1]; {
	case t >= 0x30 && t <= 0x39:
		if len(b) < 4 {
			return 0
		}
		if b[2] >= 0x81 && b[2] <= 0xFE && b[3] >= 0x30 && b[3] <= 0x39 {
			n = 4
		}
	case t >= 0x40 && t <= 0xFE && t != 0x7F:
		n = 2
	}
	if n == 0 {
		if e.printing(1) {
			e.addRune('?')
		}
		return 1
	}
	if e.printing(n) {
		s, ok := e.gbDec(b[:n])
		if !ok {
			e.addRune('?')
		} else {
			for _, r := range s {
				e.addRune(r)
			}
		}
	}
	return n
}

func (e *PrinterEmulator) stepDLE(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case escpos.EOT:
		if len(b) < 3 {
			return 0
		}
		n := b[2]
		if n == 7 || n == 8 {
			if len(b) < 4 {
				return 0
			}
			return 4
		}
		if n >= 1 && n <= 4 && !e.silent {
			e.replies = append(e.replies, e.faults.Reply(n))
			e.stats.StatusReplies++
		}
		return 3
	case 0x05: // DLE ENQ n: real-time request to the printer
		if len(b) < 3 {
			return 0
		}
		return 3
	case 0x14: // DLE DC4 fn ...
		if len(b) < 3 {
			return 0
		}
		switch b[2] {
		case 1: // DLE DC4 1 m t: pulse t×100 ms
			if len(b) < 5 {
				return 0
			}
			if !e.silent {
				t := int(b[4])
				if t < 1 || t > 8 {
					t = 1
				}
				e.kick(b[3], t*100, t*100)
			}
			return 5
		case 2:
			if len(b) < 5 {
				return 0
			}
			return 5
		case 7, 8:
			if len(b) < 8 {
				return 0
			}
			return 8
		}
		return 3
	}
	return 1 // a stray DLE
}

// escArgs is the number of parameter bytes of the fixed-length ESC commands.
var escArgs = map[byte]int{
	' ': 1, '!': 1, '$': 2, '%': 1, '-': 1, '2': 0, '3': 1, '<': 0, '=': 1, '?': 1,
	'@': 0, 'E': 1, 'G': 1, 'J': 1, 'K': 1, 'L': 0, 'M': 1, 'R': 1, 'S': 0, 'T': 1,
	'U': 1, 'V': 1, 'W': 8, '\\': 2, 'a': 1, 'c': 2, 'd': 1, 'e': 1, 'i': 0, 'm': 0,
	'p': 3, 'r': 1, 't': 1, 'u': 1, 'v': 0, '{': 1,
}

func (e *PrinterEmulator) stepESC(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	c := b[1]
	switch c {
	case '*': // ESC * m nL nH d...: bit image (not sent by our encoder)
		if len(b) < 5 {
			return 0
		}
		k := 1
		if b[2] == 32 || b[2] == 33 {
			k = 3
		}
		return e.skip(b, 5, (int(b[3])+int(b[4])<<8)*k)
	case 'D': // ESC D n1 ... NUL: tab positions
		for i := 2; i < len(b) && i < 2+33; i++ {
			if b[i] == 0 {
				return i + 1
			}
		}
		if len(b) < 2+33 {
			return 0
		}
		return 2
	case '&': // ESC & y c1 c2 ...: user characters, not supported
		e.stats.Unknown++
		return 2
	}
	n, ok := escArgs[c]
	if !ok {
		e.stats.Unknown++
		return 2
	}
	if len(b) < 2+n {
		return 0
	}
	a := b[2 : 2+n]
	m := &e.mode
	switch c {
	case '@':
		e.cur.line = e.cur.line[:0]
		e.cur.lineDots = 0
		qr := m.qrData
		*m = defaultPrinterMode()
		m.qrData = qr[:0]
	case 'E':
		m.bold = a[0]&1 != 0
	case 'G':
		m.bold = a[0]&1 != 0
	case '!':
		m.bold = a[0]&0x08 != 0
		m.h = 1 + int(a[0]>>4&1)
		m.w = 1 + int(a[0]>>5&1)
	case 'a':
		if len(e.cur.line) == 0 {
			switch a[0] {
			case 0, '0':
				m.align = escpos.AlignLeft
			case 1, '1':
				m.align = escpos.AlignCenter
			case 2, '2':
				m.align = escpos.AlignRight
			}
		}
	case '2':
		m.lineSpacing = 30
	case '3':
		m.lineSpacing = int(a[0])
	case 'd':
		if e.printing(3) {
			e.printLine(false)
			e.feedDots(int(a[0]) * m.lineSpacing)
		}
	case 'J':
		if e.printing(3) {
			e.printLine(false)
			e.feedDots(int(a[0]))
		}
	case 'p':
		if !e.silent {
			pin := a[0]
			e.kick(pin, int(a[1])*2, int(a[2])*2)
		}
	case 'i', 'm':
		if e.printing(2) {
			e.cut()
		}
	}
	return 2 + n
}

func (e *PrinterEmulator) kick(pin byte, on, off int) {
	p := 2
	if pin&1 == 1 {
		p = 5
	}
	e.cur.drawer = append(e.cur.drawer, PrinterDrawerKick{Pin: p, OnMs: on, OffMs: off, Safe: off >= 4*on})
}

// skip consumes a command of hdr header bytes and n data bytes, or only
// its header when n is beyond what a printer would buffer.
func (e *PrinterEmulator) skip(b []byte, hdr, n int) int {
	if n > printerMaxCommand {
		e.stats.Unknown++
		return hdr
	}
	if len(b) < hdr+n {
		return 0
	}
	return hdr + n
}

// gsArgs is the number of parameter bytes of the fixed-length GS commands.
var gsArgs = map[byte]int{
	'!': 1, '$': 2, '/': 1, ':': 0, 'B': 1, 'H': 1, 'I': 1, 'L': 2, 'P': 2, 'W': 2,
	'\\': 2, '^': 3, 'a': 1, 'b': 1, 'c': 0, 'f': 1, 'h': 1, 'r': 1, 'w': 1,
}

func (e *PrinterEmulator) stepGS(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	c := b[1]
	m := &e.mode
	switch c {
	case '(': // GS ( fn pL pH ...
		if len(b) < 5 {
			return 0
		}
		n := int(b[3]) | int(b[4])<<8
		if len(b) < 5+n {
			return 0
		}
		if b[2] == 'k' {
			e.qrCommand(b[5 : 5+n])
		}
		return 5 + n
	case '8': // GS 8 L p1 p2 p3 p4 ...: large data
		if len(b) < 7 {
			return 0
		}
		n := int(b[3]) | int(b[4])<<8 | int(b[5])<<16 | int(b[6])<<24
		if b[2] != 'L' || n < 0 {
			e.stats.Unknown++
			return 3
		}
		return e.skip(b, 7, n)
	case '*': // GS * x y d...: define downloaded bit image
		if len(b) < 4 {
			return 0
		}
		return e.skip(b, 4, int(b[2])*int(b[3])*8)
	case 'V': // cut
		if len(b) < 3 {
			return 0
		}
		fn := b[2]
		n := 3
		feed := 0
		switch fn {
		case 65, 66, 97, 98, 103, 104:
			if len(b) < 4 {
				return 0
			}
			n = 4
			feed = int(b[3])
		}
		if e.printing(n) {
			e.printLine(false)
			e.feedDots(feed + 24)
			e.cut()
		}
		return n
	case 'g':
		if len(b) < 6 {
			return 0
		}
		return 6
	case 'k':
		return e.stepBarcode(b)
	case 'v':
		if len(b) < 8 {
			return 0
		}
		if b[2] != '0' {
			e.stats.Unknown++
			return 3
		}
		xb := int(b[4]) | int(b[5])<<8
		rows := int(b[6]) | int(b[7])<<8
		size := xb * rows
		if size > printerMaxCommand {
			e.stats.Unknown++
			return 8
		}
		if len(b) < 8+size {
			return 0
		}
		if e.printing(8 + size) {
			e.raster(b[3], xb, rows, b[8:8+size])
		}
		return 8 + size
	}
	n, ok := gsArgs[c]
	if !ok {
		e.stats.Unknown++
		return 2
	}
	if len(b) < 2+n {
		return 0
	}
	a := b[2 : 2+n]
	switch c {
	case '!':
		m.w = 1 + int(a[0]>>4&7)
		m.h = 1 + int(a[0]&7)
	case 'h':
		if a[0] > 0 {
			m.bcHeight = int(a[0])
		}
	case 'w':
		if a[0] >= 1 && a[0] <= 6 {
			m.bcModule = int(a[0])
		}
	case 'H':
		m.bcHRI = int(a[0] & 3)
	}
	return 2 + n
}

func (e *PrinterEmulator) stepBarcode(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	kind := b[2]
	if kind <= 6 { // GS k m d1...dk NUL
		for i := 3; i < len(b) && i < 3+256; i++ {
			if b[i] == 0 {
				e.printing(i + 1)
				e.stats.Unknown++ // only CODE128 is drawn
				return i + 1
			}
		}
		if len(b) < 3+256 {
			return 0
		}
		return 3
	}
	if len(b) < 4 {
		return 0
	}
	n := int(b[3])
	if len(b) < 4+n {
		return 0
	}
	if _, ok := gtinCodes[kind]; ok {
		if e.printing(4 + n) {
			e.gtin(kind, b[4:4+n])
		}
	} else if kind == 73 {
		if e.printing(4 + n) {
			e.code128(b[4 : 4+n])
		}
	} else {
		e.printing(4 + n)
		e.stats.Unknown++
	}
	return 4 + n
}

func (e *PrinterEmulator) qrCommand(p []byte) {
	if len(p) < 2 || p[0] != 49 { // cn 49 is QR; others (PDF417 ...) skipped
		e.stats.Unknown++
		return
	}
	m := &e.mode
	switch p[1] {
	case 67: // module size
		if len(p) >= 3 && p[2] >= 1 && p[2] <= 16 {
			m.qrSize = int(p[2])
		}
	case 69: // error level
		if len(p) >= 3 && p[2] >= 48 && p[2] <= 51 {
			m.qrLevel = p[2]
		}
	case 80: // store
		if len(p) >= 3 {
			m.qrData = append(m.qrData[:0], p[3:]...)
		}
	case 81: // print
		if e.printing(len(p) + 5) {
			e.qr(m.qrData)
		}
	}
}

func (e *PrinterEmulator) stepFS(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '&':
		e.mode.chinese = true
		return 2
	case '.':
		e.mode.chinese = false
		return 2
	case '!', '-', 'C', 'W', 'r', 'v':
		if len(b) < 3 {
			return 0
		}
		if b[1] == 'W' {
			q := 1 + int(b[2]&1)
			e.mode.w, e.mode.h = q, q
		}
		return 3
	case 'S', 'p', '?':
		if len(b) < 4 {
			return 0
		}
		return 4
	case '2':
		return e.skip(b, 4, 72)
	}
	e.stats.Unknown++
	return 2
}
