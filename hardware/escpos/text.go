package escpos

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Printers in Chinese mode print every double-byte GB18030 character as one
// full-width glyph, two columns of ASCII wide. Runes that GB18030 can only
// write as four bytes (emoji, rare characters, U+00A5 ¥) come out as garbage
// on most printers, so the encoder replaces them: ¥ (U+00A5) by ￥ (U+FFE5,
// A3 A4) and anything else by the full-width question mark ？ (A3 BF). Control
// characters become spaces, so text can never smuggle a command.
//
// With those rules the width of a rune is known without encoding it: ASCII
// is one column, everything else two.

const (
	yuanWide    = '￥' // U+FFE5, GB18030 A3 A4
	replaceWide = '？' // U+FF1F, GB18030 A3 BF
)

// normRune is the rune the printer will be sent for r.
func normRune(r rune) rune {
	switch {
	case r == '¥':
		return yuanWide
	case r == utf8.RuneError:
		return replaceWide
	case r < 0x20 || r == 0x7F:
		return ' '
	case r >= 0x80 && r < 0xA0: // C1 controls
		return ' '
	}
	return r
}

// RuneWidth is the number of columns r takes on the printer: 1 for ASCII,
// 2 for everything else (Chinese characters, full-width forms, ￥).
func RuneWidth(r rune) int {
	if normRune(r) < 0x80 {
		return 1
	}
	return 2
}

// Width is the number of printer columns s takes.
func Width(s string) int {
	w := 0
	for _, r := range s {
		w += RuneWidth(r)
	}
	return w
}

// Truncate cuts s to at most w columns. It never splits a double-byte
// character: when only one column is left for a two-column character, the
// character is dropped and the column is left empty (the result may be one
// column narrower than w).
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	used := 0
	for i, r := range s {
		rw := RuneWidth(r)
		if used+rw > w {
			return s[:i]
		}
		used += rw
	}
	return s
}

// PadRight truncates s to w columns and fills it with spaces to exactly w.
func PadRight(s string, w int) string {
	s = Truncate(s, w)
	if n := w - Width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// PadLeft truncates s to w columns and right-aligns it in w columns.
func PadLeft(s string, w int) string {
	s = Truncate(s, w)
	if n := w - Width(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}

// Center truncates s to w columns and centres it in w columns (the spare
// column, if any, goes to the right).
func Center(s string, w int) string {
	s = Truncate(s, w)
	n := w - Width(s)
	if n <= 0 {
		return s
	}
	return strings.Repeat(" ", n/2) + s + strings.Repeat(" ", n-n/2)
}

// Wrap breaks s into lines of at most w columns, never splitting a
// double-byte character. It breaks at the last space when a line holds one,
// otherwise anywhere (Chinese has no spaces). Newlines in s start new lines.
func Wrap(s string, w int) []string {
	if w <= 1 {
		w = 2
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		para = strings.TrimRight(para, " ")
		if para == "" {
			out = append(out, "")
			continue
		}
		for para != "" {
			if Width(para) <= w {
				out = append(out, para)
				break
			}
			cut := Truncate(para, w)
			if sp := strings.LastIndexByte(cut, ' '); sp > 0 {
				cut = cut[:sp]
			}
			out = append(out, strings.TrimRight(cut, " "))
			para = strings.TrimLeft(para[len(cut):], " ")
		}
	}
	return out
}

// gbEncoder writes runes as GB18030, applying the replacements above.
type gbEncoder struct {
	t transform.Transformer
}

func newGBEncoder() gbEncoder {
	return gbEncoder{t: simplifiedchinese.GB18030.NewEncoder()}
}

// appendText appends s encoded for the printer.
func (e gbEncoder) appendText(dst []byte, s string) []byte {
	var src [utf8.UTFMax]byte
	var out [8]byte
	for _, r := range s {
		r = normRune(r)
		if r < 0x80 {
			dst = append(dst, byte(r))
			continue
		}
		n := utf8.EncodeRune(src[:], r)
		e.t.Reset()
		m, _, err := e.t.Transform(out[:], src[:n], true)
		if err != nil || m != 2 || out[0] < 0x81 {
			dst = append(dst, 0xA3, 0xBF) // ？
			continue
		}
		dst = append(dst, out[0], out[1])
	}
	return dst
}

// EncodeText returns s as the bytes a printer in Chinese mode is sent (see
// the rules above). Handy for tests and for callers building raw jobs.
func EncodeText(s string) []byte {
	return newGBEncoder().appendText(nil, s)
}
