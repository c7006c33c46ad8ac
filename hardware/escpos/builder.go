// Package escpos encodes receipts for ESC/POS thermal printers: GB18030
// text in Chinese mode, bold, character sizes, alignment, columns measured
// in printer columns (a Chinese character is two), the printer's own
// CODE128 and QR commands, raster images, cut and cash-drawer kick; and it
// reads the printer's real-time status replies (DLE EOT).
//
// The byte values follow /work/shared/reference/hardware.md. A Builder
// tracks the printer's mode so an unchanged style is never sent twice.
package escpos

import (
	"errors"
	"fmt"
	"strings"
)

// Command bytes.
const (
	ESC = 0x1B
	GS  = 0x1D
	FS  = 0x1C
	DLE = 0x10
	EOT = 0x04
	LF  = 0x0A
)

// Paper is the roll width in millimetres: 58 or 80.
type Paper int

const (
	Paper58 Paper = 58
	Paper80 Paper = 80
)

// ParsePaper reads "58" or "80" (with or without "mm").
func ParsePaper(s string) (Paper, error) {
	switch strings.TrimSuffix(strings.TrimSpace(strings.ToLower(s)), "mm") {
	case "58":
		return Paper58, nil
	case "80":
		return Paper80, nil
	}
	return 0, fmt.Errorf("纸宽只能是58或80 / paper width must be 58 or 80, got %q", s)
}

// Valid reports whether p is 58 or 80.
func (p Paper) Valid() bool { return p == Paper58 || p == Paper80 }

// Columns is the number of ASCII columns of font A (12×24): 32 or 48.
func (p Paper) Columns() int {
	if p == Paper58 {
		return 32
	}
	return 48
}

// Dots is the printable width in dots at 203 dpi: 384 or 576.
func (p Paper) Dots() int {
	if p == Paper58 {
		return 384
	}
	return 576
}

// Align is the justification of a line (ESC a n).
type Align byte

const (
	AlignLeft   Align = 0
	AlignCenter Align = 1
	AlignRight  Align = 2
)

// Errors a Builder reports (through Bytes).
var (
	ErrBadPaper       = errors.New("纸宽只能是58或80 / paper width must be 58 or 80")
	ErrBarcodeData    = errors.New("条码内容无效 / invalid barcode data")
	ErrBarcodeTooWide = errors.New("条码太宽，纸上放不下 / barcode too wide for the paper")
	ErrQRData         = errors.New("二维码内容无效 / invalid QR data")
	ErrImage          = errors.New("图片无效 / invalid image")
	ErrImageTooWide   = errors.New("图片比纸宽 / image wider than the paper")
	ErrBadSize        = errors.New("字号倍数只能是1-8 / character size must be 1-8")
)

type style struct {
	bold  bool
	w, h  int // 1..8
	align Align
}

// Builder accumulates one print job. Methods chain; the first error sticks
// and is returned by Bytes. A Builder is not safe for concurrent use.
type Builder struct {
	buf   []byte
	paper Paper
	enc   gbEncoder
	err   error

	cur, want   style
	atLineStart bool

	// printer state for barcode and QR settings; 0 means "not sent yet"
	bcHeight, bcModule, bcHRI int
	qrModel, qrSize, qrLevel  int
}

// New starts a job for the paper: initialise (ESC @) and Chinese mode on
// (FS &).
func New(paper Paper) *Builder {
	b := &Builder{buf: make([]byte, 0, 2048), paper: paper, enc: newGBEncoder()}
	if !paper.Valid() {
		b.err = fmt.Errorf("%w: %d", ErrBadPaper, paper)
		b.paper = Paper80
	}
	b.Init()
	return b
}

// Init sends ESC @ and FS & again; the printer forgets every mode.
func (b *Builder) Init() *Builder {
	b.buf = append(b.buf, ESC, '@', FS, '&')
	def := style{w: 1, h: 1}
	b.cur, b.want = def, def
	b.atLineStart = true
	b.bcHeight, b.bcModule, b.bcHRI = 0, 0, 0
	b.qrModel, b.qrSize, b.qrLevel = 0, 0, 0
	return b
}

// Paper is the paper the job is for.
func (b *Builder) Paper() Paper { return b.paper }

// Len is the number of bytes so far.
func (b *Builder) Len() int { return len(b.buf) }

// Err is the first error, if any.
func (b *Builder) Err() error { return b.err }

// Bytes returns the job, or the first error met while building it.
func (b *Builder) Bytes() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.buf, nil
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Raw appends bytes as they are. For commands the Builder does not know;
// the Builder's idea of the printer's mode is not updated.
func (b *Builder) Raw(p ...byte) *Builder {
	if len(p) > 0 {
		b.buf = append(b.buf, p...)
		b.atLineStart = p[len(p)-1] == LF
	}
	return b
}

// Bold switches emphasis (ESC E n) for the text that follows.
func (b *Builder) Bold(on bool) *Builder { b.want.bold = on; return b }

// Size sets the character width and height multipliers, 1 to 8 (GS ! n).
func (b *Builder) Size(w, h int) *Builder {
	if w < 1 || w > 8 || h < 1 || h > 8 {
		b.fail(fmt.Errorf("%w: %d×%d", ErrBadSize, w, h))
		return b
	}
	b.want.w, b.want.h = w, h
	return b
}

// Normal is bold off and size 1×1.
func (b *Builder) Normal() *Builder { return b.Bold(false).Size(1, 1) }

// Align sets the justification. The printer only takes it at the start of
// a line, so it is sent before the next line's first byte.
func (b *Builder) Align(a Align) *Builder {
	if a > AlignRight {
		a = AlignLeft
	}
	b.want.align = a
	return b
}

// Columns is how many ASCII columns a line holds at the current width
// multiplier.
func (b *Builder) Columns() int { return b.paper.Columns() / b.want.w }

// flush sends the style commands whose value differs from the printer's.
func (b *Builder) flush() {
	if b.atLineStart && b.want.align != b.cur.align {
		b.buf = append(b.buf, ESC, 'a', byte(b.want.align))
		b.cur.align = b.want.align
	}
	if b.want.bold != b.cur.bold {
		v := byte(0)
		if b.want.bold {
			v = 1
		}
		b.buf = append(b.buf, ESC, 'E', v)
		b.cur.bold = b.want.bold
	}
	if b.want.w != b.cur.w || b.want.h != b.cur.h {
		b.buf = append(b.buf, GS, '!', byte((b.want.w-1)<<4|(b.want.h-1)))
		b.cur.w, b.cur.h = b.want.w, b.want.h
	}
}

// Text prints s without ending the line. A newline in s ends the line.
func (b *Builder) Text(s string) *Builder {
	for {
		line, rest, more := strings.Cut(s, "\n")
		if line != "" {
			b.flush()
			b.buf = b.enc.appendText(b.buf, line)
			b.atLineStart = false
		}
		if !more {
			return b
		}
		b.Newline()
		s = rest
	}
}

// Line prints s and ends the line.
func (b *Builder) Line(s string) *Builder { return b.Text(s).Newline() }

// Newline ends the line (LF); on an empty line it feeds one line.
func (b *Builder) Newline() *Builder {
	b.buf = append(b.buf, LF)
	b.atLineStart = true
	return b
}

// EndLine ends the current line if something is on it.
func (b *Builder) EndLine() *Builder {
	if !b.atLineStart {
		b.Newline()
	}
	return b
}

// Feed prints what is buffered and feeds n lines (ESC d n).
func (b *Builder) Feed(n int) *Builder {
	if n <= 0 {
		return b
	}
	if n > 255 {
		n = 255
	}
	b.buf = append(b.buf, ESC, 'd', byte(n))
	b.atLineStart = true
	return b
}

// Rule prints a full-width line of ch (e.g. '-' or '=').
func (b *Builder) Rule(ch rune) *Builder {
	b.EndLine()
	n := b.Columns() / RuneWidth(ch)
	return b.Line(strings.Repeat(string(ch), n))
}

// Column is one cell of a Row: Width in columns (0 means "what is left")
// and the cell's alignment.
type Column struct {
	Width int
	Align Align
}

// Row prints one line of cells. Each cell is truncated to its width (a
// double-byte character is never split) and aligned in it; the line itself
// is printed left-aligned. Trailing spaces are not sent.
func (b *Builder) Row(cols []Column, cells ...string) *Builder {
	b.EndLine()
	total := b.Columns()
	var sb strings.Builder
	used := 0
	for i, c := range cols {
		w := c.Width
		if w <= 0 || used+w > total {
			w = total - used
		}
		if w <= 0 {
			break
		}
		cell := ""
		if i < len(cells) {
			cell = cells[i]
		}
		switch c.Align {
		case AlignRight:
			sb.WriteString(PadLeft(cell, w))
		case AlignCenter:
			sb.WriteString(Center(cell, w))
		default:
			sb.WriteString(PadRight(cell, w))
		}
		used += w
	}
	b.Align(AlignLeft)
	return b.Line(strings.TrimRight(sb.String(), " "))
}

// Row2 prints left at the left margin and right at the right margin. The
// right cell is kept whole (it is usually an amount); the left one is
// truncated to leave at least one space between them.
func (b *Builder) Row2(left, right string) *Builder {
	total := b.Columns()
	right = Truncate(right, total)
	rw := Width(right)
	lw := total - rw
	if rw > 0 && lw > 0 {
		lw-- // the gap
	}
	left = Truncate(left, lw)
	return b.Row([]Column{{Width: total - rw, Align: AlignLeft}, {Align: AlignRight}}, left, right)
}

// Row3 prints three cells: the first left-aligned in half the line, the
// other two right-aligned in a quarter each (name, quantity, amount).
func (b *Builder) Row3(left, mid, right string) *Builder {
	total := b.Columns()
	q := total / 4
	return b.Row([]Column{{Width: total - 2*q, Align: AlignLeft}, {Width: q, Align: AlignRight}, {Align: AlignRight}}, left, mid, right)
}

// startBlock prepares for a barcode, QR code or image: they start on a
// fresh line with the wanted alignment.
func (b *Builder) startBlock() {
	b.EndLine()
	if b.want.align != b.cur.align {
		b.buf = append(b.buf, ESC, 'a', byte(b.want.align))
		b.cur.align = b.want.align
	}
}

// Cut feeds the paper to the cutter and cuts, leaving a small hinge
// (GS V 66 0: partial cut after feeding to the cutting position).
func (b *Builder) Cut() *Builder {
	b.EndLine()
	b.buf = append(b.buf, GS, 'V', 66, 0)
	b.atLineStart = true
	return b
}

// CutFull cuts at once without feeding (GS V 0).
func (b *Builder) CutFull() *Builder {
	b.EndLine()
	b.buf = append(b.buf, GS, 'V', 0)
	b.atLineStart = true
	return b
}

// DrawerPin is the drawer kick connector pin: 2 or 5.
type DrawerPin byte

const (
	DrawerPin2 DrawerPin = 0
	DrawerPin5 DrawerPin = 1
)

// DrawerPulse is the kick pulse: on for OnMs, then off for at least OffMs.
// Zero values mean the common safe pulse, 50 ms on, 500 ms off, pin 2.
type DrawerPulse struct {
	Pin   DrawerPin
	OnMs  int
	OffMs int
}

// Normalize returns the pulse the printer will be sent: t1 = on/2 ms in
// 1..63 and t2 = off/2 ms raised to at least 4·t1 (a longer pulse or a
// shorter rest can burn the drawer's solenoid), at most 255.
func (p DrawerPulse) Normalize() (pin DrawerPin, t1, t2 byte) {
	on, off := p.OnMs, p.OffMs
	if on <= 0 {
		on = 50
	}
	if off <= 0 {
		off = 500
	}
	a := (on + 1) / 2
	if a < 1 {
		a = 1
	}
	if a > 63 {
		a = 63
	}
	c := (off + 1) / 2
	if c < 4*a {
		c = 4 * a
	}
	if c > 255 {
		c = 255
	}
	pin = p.Pin
	if pin != DrawerPin5 {
		pin = DrawerPin2
	}
	return pin, byte(a), byte(c)
}

// DrawerKick opens the cash drawer (ESC p m t1 t2) with a safe pulse.
func (b *Builder) DrawerKick(p DrawerPulse) *Builder {
	pin, t1, t2 := p.Normalize()
	b.buf = append(b.buf, ESC, 'p', byte(pin), t1, t2)
	return b
}
