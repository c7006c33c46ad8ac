package escpos

import (
	"fmt"
	"strings"
)

// HRI is where the printer writes the human-readable text of a barcode.
type HRI byte

const (
	HRINone  HRI = 0
	HRIAbove HRI = 1
	HRIBelow HRI = 2
	HRIBoth  HRI = 3
)

// Code128Options shape a CODE128 barcode. Zero values: 80 dots high,
// module width 2, text below. HRI is only "none" when NoHRI is set.
type Code128Options struct {
	Height int // dots, 1..255
	Module int // dots per narrow bar, 2..6
	HRI    HRI
	NoHRI  bool
}

// Code128Modules is the width in modules of CODE128 for data encoded as
// ESC/POS code128 data (the bytes after the length byte): start, one symbol
// per character/digit pair/code switch, check, stop (13).
func code128Modules(symbols int) int { return 11*(symbols+2) + 13 }

// Code128Data turns printable ASCII (0x20..0x7E) into the data of the ESC/POS
// CODE128 command: code set B for text, code set C for runs of digits (two
// digits a byte, 0..99), switching with {B / {C, a literal { written as {{.
// It returns the data and the number of barcode symbols it makes.
func Code128Data(s string) ([]byte, int, error) {
	if s == "" {
		return nil, 0, fmt.Errorf("%w: 内容为空 / empty", ErrBarcodeData)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return nil, 0, fmt.Errorf("%w: 只能是ASCII字母数字 / only printable ASCII, got byte %#02x at %d", ErrBarcodeData, s[i], i)
		}
	}
	out := make([]byte, 0, len(s)+6)
	symbols := 0 // the start code is counted by code128Modules
	set := byte(0)
	digitRun := func(i int) int {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return j - i
	}
	for i := 0; i < len(s); {
		run := digitRun(i)
		// Set C pays off for 4+ digits, or 2+ when they are the whole rest
		// of the data and we are at the start (no switch needed).
		useC := run >= 4 || (run >= 2 && i == 0 && run == len(s))
		if useC && dleEOTInPairs(s[i:i+run&^1]) {
			// A real-time status request (10 04) hidden in the pairs would
			// be answered by the printer: shift the pairing by one digit
			// (that digit goes in set B), or keep the run in set B.
			useC = run-1 >= 4 && !dleEOTInPairs(s[i+1:i+1+(run-1)&^1])
			if useC {
				if set != 'B' {
					out = append(out, '{', 'B')
					if set != 0 {
						symbols++
					}
					set = 'B'
				}
				out = append(out, s[i])
				symbols++
				i++
				run--
			}
		}
		if useC {
			even := run &^ 1
			if set != 'C' {
				out = append(out, '{', 'C')
				if set != 0 {
					symbols++ // code switch symbol
				}
				set = 'C'
			}
			for k := 0; k < even; k += 2 {
				out = append(out, (s[i+k]-'0')*10+(s[i+k+1]-'0'))
				symbols++
			}
			i += even
			continue
		}
		if set != 'B' {
			out = append(out, '{', 'B')
			if set != 0 {
				symbols++
			}
			set = 'B'
		}
		if s[i] == '{' {
			out = append(out, '{', '{')
		} else {
			out = append(out, s[i])
		}
		symbols++
		i++
	}
	if len(out) > 255 {
		return nil, 0, fmt.Errorf("%w: 太长 / too long (%d bytes)", ErrBarcodeData, len(out))
	}
	return out, symbols, nil
}

// dleEOTInPairs reports whether packing the digits two by two would put
// the bytes 10 04 next to each other.
func dleEOTInPairs(digits string) bool {
	prev := -1
	for k := 0; k+1 < len(digits); k += 2 {
		v := int(digits[k]-'0')*10 + int(digits[k+1]-'0')
		if prev == 16 && v == 4 {
			return true
		}
		prev = v
	}
	return false
}

// Code128 prints data as a CODE128 barcode with the printer's own command
// (GS k 73 n data). The module width is narrowed (down to 2) when the
// barcode with its quiet zones would not fit the paper.
func (b *Builder) Code128(data string, o Code128Options) *Builder {
	d, symbols, err := Code128Data(data)
	if err != nil {
		b.fail(err)
		return b
	}
	if o.Height <= 0 {
		o.Height = 80
	}
	if o.Height > 255 {
		o.Height = 255
	}
	if o.Module <= 0 {
		o.Module = 2
	}
	if o.Module > 6 {
		o.Module = 6
	}
	if o.Module < 2 {
		o.Module = 2
	}
	hri := o.HRI
	if o.NoHRI {
		hri = HRINone
	} else if hri == HRINone {
		hri = HRIBelow
	}
	mods := code128Modules(symbols)
	for o.Module > 2 && (mods+20)*o.Module > b.paper.Dots() {
		o.Module--
	}
	if mods*o.Module > b.paper.Dots() {
		b.fail(fmt.Errorf("%w: %q", ErrBarcodeTooWide, data))
		return b
	}
	b.startBlock()
	if b.bcHeight != o.Height {
		b.buf = append(b.buf, GS, 'h', byte(o.Height))
		b.bcHeight = o.Height
	}
	if b.bcModule != o.Module {
		b.buf = append(b.buf, GS, 'w', byte(o.Module))
		b.bcModule = o.Module
	}
	if b.bcHRI != int(hri)+1 {
		b.buf = append(b.buf, GS, 'H', byte(hri))
		b.bcHRI = int(hri) + 1
	}
	b.buf = append(b.buf, GS, 'k', 73, byte(len(d)))
	b.buf = append(b.buf, d...)
	b.atLineStart = true
	return b
}

// QRLevel is the QR error correction level.
type QRLevel byte

const (
	QRLevelL QRLevel = 48
	QRLevelM QRLevel = 49
	QRLevelQ QRLevel = 50
	QRLevelH QRLevel = 51
)

// QROptions shape a QR code. Zero values: module size 6 dots, level M.
type QROptions struct {
	Size  int // dots per module, 1..16
	Level QRLevel
}

// QRMaxData is the most a QR symbol (version 40, level L, bytes) holds.
const QRMaxData = 2953

// QR prints data as a model 2 QR code with the printer's own command
// (GS ( k): model, module size and error level (each only when it
// changed), store data, print.
func (b *Builder) QR(data string, o QROptions) *Builder {
	if data == "" || len(data) > QRMaxData {
		b.fail(fmt.Errorf("%w: 长度 %d / length %d (1..%d)", ErrQRData, len(data), len(data), QRMaxData))
		return b
	}
	if n := len(data) + 3; strings.Contains(data, "\x10\x04") || (n&0xFF == DLE && n>>8 == EOT) {
		// the printer would take the bytes 10 04 for a status request
		b.fail(fmt.Errorf("%w: 含有 10 04 字节 / contains the bytes 10 04", ErrQRData))
		return b
	}
	if o.Size <= 0 {
		o.Size = 6
	}
	if o.Size > 16 {
		o.Size = 16
	}
	if o.Level < QRLevelL || o.Level > QRLevelH {
		o.Level = QRLevelM
	}
	b.startBlock()
	if b.qrModel != 2 {
		b.buf = append(b.buf, GS, '(', 'k', 4, 0, 49, 65, 50, 0)
		b.qrModel = 2
	}
	if b.qrSize != o.Size {
		b.buf = append(b.buf, GS, '(', 'k', 3, 0, 49, 67, byte(o.Size))
		b.qrSize = o.Size
	}
	if b.qrLevel != int(o.Level) {
		b.buf = append(b.buf, GS, '(', 'k', 3, 0, 49, 69, byte(o.Level))
		b.qrLevel = int(o.Level)
	}
	n := len(data) + 3
	b.buf = append(b.buf, GS, '(', 'k', byte(n), byte(n>>8), 49, 80, 48)
	b.buf = append(b.buf, data...)
	b.buf = append(b.buf, GS, '(', 'k', 3, 0, 49, 81, 48)
	b.atLineStart = true
	return b
}
