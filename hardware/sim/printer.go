package sim

import (
	"image"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"

	"poscashier/hardware/escpos"
)

// PrinterOptions configure a simulated ESC/POS receipt printer.
type PrinterOptions struct {
	Paper escpos.Paper // 58 or 80 (default 80)
	// MaxReceiptDots ends a receipt that grows longer than this many dot
	// rows without a cut (default 8000, about a metre of paper).
	MaxReceiptDots int
	// Keep is how many finished receipts Receipts returns (default 50).
	Keep int
	// Now stamps receipts (default time.Now).
	Now func() time.Time
}

// PrinterReceipt is one piece of paper that came out: everything printed
// up to a cut.
type PrinterReceipt struct {
	Seq      int
	At       time.Time
	Image    *image.Gray // the paper, with a white margin either side
	Text     string      // the text lines as printed, barcode text included
	Barcodes []string    // CODE128 contents, in order
	QRCodes  []string    // QR contents, in order
	Drawer   []PrinterDrawerKick
	// Cut is false when the receipt ended without a cut: the host went
	// away mid-job or the paper grew longer than MaxReceiptDots.
	Cut   bool
	Bytes int      // bytes received while it was printed
	Notes []string // what the printer could not print (too-wide barcode ...)
}

// PrinterDrawerKick is one drawer pulse asked for (ESC p or DLE DC4).
type PrinterDrawerKick struct {
	Pin   int // 2 or 5
	OnMs  int
	OffMs int
	Safe  bool // off time at least 4× the on time
}

// PrinterStats count what the printer received.
type PrinterStats struct {
	Received      int // bytes
	Dropped       int // bytes of print data thrown away while it could not print
	StatusReplies int
	Receipts      int
	Unknown       int // unknown commands skipped
}

// printerMargin is the paper outside the printable width, each side.
const printerMargin = 16

// printerMaxCommand bounds how much a command may make the emulator buffer
// (raster images, QR data); a header announcing more is skipped.
const printerMaxCommand = 1 << 20

// PrinterEmulator is an ESC/POS printer: it parses what it is sent,
// answers real-time status requests, renders receipts to images and can be
// put into paper-out, cover-open, offline or silent (powered off) states.
// It runs on the far end of a pseudo-terminal (Serve), a TCP listener
// (ListenTCP) or in memory (Port). Safe for concurrent use.
type PrinterEmulator struct {
	opt PrinterOptions

	mu       sync.Mutex
	faults   escpos.Status
	silent   bool
	pending  []byte
	mode     printerMode
	cur      *printerPaper
	seq      int
	receipts []PrinterReceipt
	stats    PrinterStats
	subs     map[int]func(PrinterReceipt)
	nextSub  int
	replies  []byte           // built during one feed
	done     []PrinterReceipt // finished during one feed
	gbDec    func([]byte) (string, bool)
}

type printerMode struct {
	bold        bool
	w, h        int
	align       escpos.Align
	lineSpacing int
	chinese     bool
	bcHeight    int
	bcModule    int
	bcHRI       int
	qrSize      int
	qrLevel     byte
	qrData      []byte
}

func defaultPrinterMode() printerMode {
	return printerMode{w: 1, h: 1, lineSpacing: 30, chinese: true, bcHeight: 162, bcModule: 3, qrSize: 3, qrLevel: 48}
}

// NewPrinterEmulator makes a printer with paper in and the cover shut.
func NewPrinterEmulator(o PrinterOptions) *PrinterEmulator {
	if !o.Paper.Valid() {
		o.Paper = escpos.Paper80
	}
	if o.MaxReceiptDots <= 0 {
		o.MaxReceiptDots = 8000
	}
	if o.Keep <= 0 {
		o.Keep = 50
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dec := simplifiedchinese.GB18030.NewDecoder()
	e := &PrinterEmulator{opt: o, mode: defaultPrinterMode(), subs: map[int]func(PrinterReceipt){}}
	e.gbDec = func(b []byte) (string, bool) {
		dec.Reset()
		out, err := dec.Bytes(b)
		if err != nil || len(out) == 0 || strings.ContainsRune(string(out), '\uFFFD') {
			return "", false
		}
		return string(out), true
	}
	e.cur = e.newPaper()
	return e
}

// Paper is the emulated paper width.
func (e *PrinterEmulator) Paper() escpos.Paper { return e.opt.Paper }

// SetPaperOut takes the paper out (or puts it back). Out of paper the
// printer is offline, answers status requests accordingly and throws away
// print data (the worst case of a real printer with a full buffer).
func (e *PrinterEmulator) SetPaperOut(out bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.PaperEnd = out
	e.faults.PaperStopped = out
	e.faults.PaperNearEnd = out // a new roll clears the near-end sensor too
	e.updateOffline()
}

// SetPaperNearEnd sets the near-end sensor; the printer still prints.
func (e *PrinterEmulator) SetPaperNearEnd(near bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.PaperNearEnd = near
}

// SetCoverOpen opens or shuts the cover.
func (e *PrinterEmulator) SetCoverOpen(open bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.CoverOpen = open
	e.updateOffline()
}

// SetError raises or clears the printer's error flag (cutter jam).
func (e *PrinterEmulator) SetError(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.Error = on
	e.updateOffline()
}

// SetOffline puts the printer offline by itself (as the feed button does).
func (e *PrinterEmulator) SetOffline(off bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.FeedButton = off
	e.updateOffline()
}

// SetSilent makes the printer a dead end: it prints nothing and answers
// nothing, like a printer switched off behind a live serial adapter.
func (e *PrinterEmulator) SetSilent(silent bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.silent = silent
}

func (e *PrinterEmulator) updateOffline() {
	f := &e.faults
	f.Offline = f.PaperEnd || f.CoverOpen || f.Error || f.FeedButton
}

// Status is what the printer would answer now.
func (e *PrinterEmulator) Status() escpos.Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.faults
}

// Stats counts what was received so far.
func (e *PrinterEmulator) Stats() PrinterStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}

// Receipts returns the finished receipts still kept, oldest first.
func (e *PrinterEmulator) Receipts() []PrinterReceipt {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]PrinterReceipt(nil), e.receipts...)
}

// OnReceipt calls fn with every receipt finished from now on, on the
// goroutine that fed the bytes (a UI must hand it to its own thread).
func (e *PrinterEmulator) OnReceipt(fn func(PrinterReceipt)) (cancel func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.nextSub
	e.nextSub++
	e.subs[id] = fn
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.subs, id)
	}
}

// Feed gives the printer bytes as if they came down the wire and returns
// the bytes it answers (status replies). Bytes of a command split across
// calls are kept until the rest arrives.
func (e *PrinterEmulator) Feed(p []byte) []byte {
	e.mu.Lock()
	e.stats.Received += len(p)
	e.pending = append(e.pending, p...)
	off := 0
	for off < len(e.pending) {
		paper := e.cur
		n := e.step(e.pending[off:])
		if n == 0 {
			break
		}
		paper.bytes += n
		off += n
	}
	rest := len(e.pending) - off
	copy(e.pending, e.pending[off:])
	e.pending = e.pending[:rest]
	if cap(e.pending) > 64<<10 && rest < 1024 {
		e.pending = append([]byte(nil), e.pending...)
	}
	replies, done := e.replies, e.done
	e.replies, e.done = nil, nil
	subs := e.subscribers()
	e.mu.Unlock()
	e.publish(subs, done)
	return replies
}

// Disconnect tells the printer the host went away: a half-received command
// is dropped and a receipt in progress comes out without a cut.
func (e *PrinterEmulator) Disconnect() {
	e.mu.Lock()
	e.pending = e.pending[:0]
	if e.cur.hasContent() {
		e.finish(false, "主机中途断开 / host disconnected mid-receipt")
	}
	done := e.done
	e.done = nil
	subs := e.subscribers()
	e.mu.Unlock()
	e.publish(subs, done)
}

func (e *PrinterEmulator) subscribers() []func(PrinterReceipt) {
	if len(e.done) == 0 && len(e.subs) == 0 {
		return nil
	}
	out := make([]func(PrinterReceipt), 0, len(e.subs))
	for _, fn := range e.subs {
		out = append(out, fn)
	}
	return out
}

func (e *PrinterEmulator) publish(subs []func(PrinterReceipt), done []PrinterReceipt) {
	for _, r := range done {
		for _, fn := range subs {
			fn(r)
		}
	}
}

func (e *PrinterEmulator) canPrint() bool { return !e.silent && e.faults.CanPrint() }

// ---- parsing ----

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
	if kind == 73 {
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

// ---- rendering ----

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
	e.ensure(e.cur.y + rows*sy)
	x0 := e.alignX(e.mode.align, min(w, e.dots()))
	for r := 0; r < rows; r++ {
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
	h := max(p.y, 1) + 8
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
