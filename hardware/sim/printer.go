package sim

import (
	"image"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/hardware/escpos"
)

// PrinterOptions configure a simulated ESC/POS receipt printer.
type PrinterOptions struct {
	Paper escpos.Paper // 58 or 80 (default 80)
	// MaxReceiptDots ends a receipt that grows longer than this many dot
	// rows without a cut (default 8000, about a metre of paper).
	MaxReceiptDots int
	// Keep is how many finished receipts Receipts returns (default 20).
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
	Barcodes []string    // the contents of the barcodes drawn (CODE128, EAN-13, EAN-8, UPC-A), in order
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
		o.Keep = 20
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
	} else {
		e.cur = e.newPaper() // blank paper fed out is torn off with it
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
