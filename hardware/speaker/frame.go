// Package speaker drives serial voice modules ("cloud speakers"): SYN6288
// and XFS5152. It builds and parses their frames, queues announcements so
// they never overlap (waiting for the module's idle byte), and has phrase
// helpers for amounts ("收款12.50元").
//
// Frames (see shared/reference/hardware.md):
//
//	SYN6288: FD lenH lenL cmd param text… xor   len = len(text)+3, xor over all preceding bytes
//	XFS5152: FD lenH lenL cmd enc text…         len = len(text)+2, no checksum
//
// Control frames (stop 02, pause 03, resume 04, status 21) have no
// parameter byte: SYN6288 FD 00 02 cmd xor, XFS5152 FD 00 01 cmd.
// Module replies are single bytes: 4A ready, 41 frame ok, 45 bad frame,
// 4E busy, 4F idle.
package speaker

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Module is the voice chip on the line.
type Module string

const (
	SYN6288 Module = "syn6288"
	XFS5152 Module = "xfs5152"
)

// ParseModule accepts "syn6288" or "xfs5152" (case-insensitive).
func ParseModule(s string) (Module, error) {
	switch string(bytes.ToLower([]byte(s))) {
	case "syn6288", "syn":
		return SYN6288, nil
	case "xfs5152", "xfs", "xfs5152ce":
		return XFS5152, nil
	}
	return "", fmt.Errorf("未知的语音模块 %q / unknown voice module %q (use syn6288 or xfs5152)", s, s)
}

// Encoding is the text encoding byte of a speak frame.
type Encoding byte

const (
	GB2312   Encoding = 0
	GBK      Encoding = 1
	BIG5     Encoding = 2
	UTF16LE  Encoding = 3 // XFS5152 only
	encLimit Encoding = 4
)

// Commands.
const (
	CmdSpeak  byte = 0x01
	CmdStop   byte = 0x02
	CmdPause  byte = 0x03
	CmdResume byte = 0x04
	CmdStatus byte = 0x21
)

// Reply bytes sent by the module.
const (
	ReplyReady    byte = 0x4A // after power-up
	ReplyOK       byte = 0x41 // frame received
	ReplyBadFrame byte = 0x45
	ReplyBusy     byte = 0x4E
	ReplyIdle     byte = 0x4F
)

const head = 0xFD

// Text limits in bytes (after encoding), from the modules' data sheets.
const (
	MaxTextSYN6288 = 200
	MaxTextXFS5152 = 4000
)

var (
	ErrTooLong     = errors.New("播报文字太长 / announcement text too long")
	ErrEmptyText   = errors.New("播报文字为空 / announcement text is empty")
	ErrUnencodable = errors.New("文字含有无法编码的字符 / text has a character the module cannot encode")
	ErrIncomplete  = errors.New("帧不完整 / incomplete frame")
	ErrBadFrame    = errors.New("语音帧无效 / invalid voice frame")
	ErrChecksum    = errors.New("语音帧校验错误 / voice frame checksum mismatch")
)

// EncodeText encodes text for a speak frame.
func EncodeText(text string, enc Encoding) ([]byte, error) {
	if text == "" {
		return nil, ErrEmptyText
	}
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: invalid UTF-8", ErrUnencodable)
	}
	switch enc {
	case UTF16LE:
		u := utf16.Encode([]rune(text))
		out := make([]byte, 0, 2*len(u))
		for _, c := range u {
			out = append(out, byte(c), byte(c>>8))
		}
		return out, nil
	case GB2312, GBK:
		// GBK is a superset of GB2312; a GB2312 module simply cannot say
		// characters outside it.
		return encodeEach(text, func(s string) ([]byte, error) {
			return simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		})
	case BIG5:
		return encodeEach(text, func(s string) ([]byte, error) {
			return traditionalchinese.Big5.NewEncoder().Bytes([]byte(s))
		})
	}
	return nil, fmt.Errorf("%w: encoding %d", ErrBadFrame, enc)
}

func encodeEach(text string, f func(string) ([]byte, error)) ([]byte, error) {
	out, err := f(text)
	if err == nil {
		return out, nil
	}
	for _, r := range text {
		if _, err := f(string(r)); err != nil {
			return nil, fmt.Errorf("%w: %q (U+%04X)", ErrUnencodable, r, r)
		}
	}
	return nil, fmt.Errorf("%w: %v", ErrUnencodable, err)
}

// DecodeText is EncodeText backwards.
func DecodeText(b []byte, enc Encoding) (string, error) {
	switch enc {
	case UTF16LE:
		if len(b)%2 != 0 {
			return "", fmt.Errorf("%w: odd UTF-16 length", ErrBadFrame)
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return string(utf16.Decode(u)), nil
	case GB2312, GBK:
		out, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadFrame, err)
		}
		return string(out), nil
	case BIG5:
		out, err := traditionalchinese.Big5.NewDecoder().Bytes(b)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadFrame, err)
		}
		return string(out), nil
	}
	return "", fmt.Errorf("%w: unknown encoding %d", ErrBadFrame, enc)
}

func xorOf(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// SpeakFrame builds the speak frame for module m. For SYN6288 enc must
// be GB2312, GBK or BIG5 and bg (0-15) selects background music (0 none);
// XFS5152 ignores bg and also accepts UTF16LE.
func SpeakFrame(m Module, text string, enc Encoding, bg byte) ([]byte, error) {
	data, err := EncodeText(text, enc)
	if err != nil {
		return nil, err
	}
	switch m {
	case SYN6288:
		if enc > BIG5 {
			return nil, fmt.Errorf("%w: SYN6288 不支持 UTF-16 / SYN6288 has no UTF-16", ErrBadFrame)
		}
		if bg > 15 {
			return nil, fmt.Errorf("%w: 背景音乐编号 0-15 / background music must be 0-15", ErrBadFrame)
		}
		if len(data) > MaxTextSYN6288 {
			return nil, fmt.Errorf("%w: %d 字节，最多 %d / %d bytes, at most %d", ErrTooLong, len(data), MaxTextSYN6288, len(data), MaxTextSYN6288)
		}
		n := len(data) + 3
		f := make([]byte, 0, n+3)
		f = append(f, head, byte(n>>8), byte(n), CmdSpeak, byte(enc)|bg<<4)
		f = append(f, data...)
		return append(f, xorOf(f)), nil
	case XFS5152:
		if len(data) > MaxTextXFS5152 {
			return nil, fmt.Errorf("%w: %d 字节，最多 %d / %d bytes, at most %d", ErrTooLong, len(data), MaxTextXFS5152, len(data), MaxTextXFS5152)
		}
		n := len(data) + 2
		f := make([]byte, 0, n+3)
		f = append(f, head, byte(n>>8), byte(n), CmdSpeak, byte(enc))
		return append(f, data...), nil
	}
	return nil, fmt.Errorf("未知的语音模块 / unknown voice module %q", m)
}

// ControlFrame builds stop/pause/resume/status frames.
func ControlFrame(m Module, cmd byte) ([]byte, error) {
	switch cmd {
	case CmdStop, CmdPause, CmdResume, CmdStatus:
	default:
		return nil, fmt.Errorf("%w: not a control command 0x%02X", ErrBadFrame, cmd)
	}
	switch m {
	case SYN6288:
		f := []byte{head, 0x00, 0x02, cmd}
		return append(f, xorOf(f)), nil
	case XFS5152:
		return []byte{head, 0x00, 0x01, cmd}, nil
	}
	return nil, fmt.Errorf("未知的语音模块 / unknown voice module %q", m)
}

// Frame is a parsed module frame.
type Frame struct {
	Cmd      byte
	Encoding Encoding // speak frames
	Music    byte     // SYN6288 background music (high nibble of param)
	Data     []byte   // raw encoded text (speak frames)
	Text     string   // decoded text (speak frames)
}

// Encode builds the frame bytes again.
func (f Frame) Encode(m Module) ([]byte, error) {
	if f.Cmd == CmdSpeak {
		return SpeakFrame(m, f.Text, f.Encoding, f.Music)
	}
	return ControlFrame(m, f.Cmd)
}

// ParseFrame reads one frame of module m from the front of buf.
//
//   - (frame, n, nil): a good frame of n bytes.
//   - (_, 0, ErrIncomplete): need more bytes (buf is a prefix of a frame).
//   - (_, n, err): bad input; drop n bytes (n ≥ 1) and try again. A
//     module answers such input with 0x45. err wraps ErrBadFrame or
//     ErrChecksum.
func ParseFrame(m Module, buf []byte) (Frame, int, error) {
	if len(buf) == 0 {
		return Frame{}, 0, ErrIncomplete
	}
	if buf[0] != head {
		i := bytes.IndexByte(buf, head)
		if i < 0 {
			i = len(buf)
		}
		return Frame{}, i, fmt.Errorf("%w: %d byte(s) before frame head FD", ErrBadFrame, i)
	}
	if len(buf) < 3 {
		return Frame{}, 0, ErrIncomplete
	}
	n := int(buf[1])<<8 | int(buf[2])
	var minLen, maxLen int
	switch m {
	case SYN6288:
		minLen, maxLen = 2, MaxTextSYN6288+3
	case XFS5152:
		minLen, maxLen = 1, MaxTextXFS5152+2
	default:
		return Frame{}, len(buf), fmt.Errorf("unknown module %q", m)
	}
	if n < minLen || n > maxLen {
		return Frame{}, 1, fmt.Errorf("%w: length %d", ErrBadFrame, n)
	}
	total := 3 + n
	if len(buf) < total {
		// A command byte that cannot start a frame tells us early.
		if len(buf) > 3 && !knownCmd(buf[3]) {
			return Frame{}, 1, fmt.Errorf("%w: unknown command 0x%02X", ErrBadFrame, buf[3])
		}
		return Frame{}, 0, ErrIncomplete
	}
	fr := buf[:total]
	body := fr[3:]
	if m == SYN6288 {
		if xorOf(fr[:total-1]) != fr[total-1] {
			return Frame{}, 1, fmt.Errorf("%w: got %02X, want %02X", ErrChecksum, fr[total-1], xorOf(fr[:total-1]))
		}
		body = fr[3 : total-1]
	}
	f := Frame{Cmd: body[0]}
	switch f.Cmd {
	case CmdSpeak:
		if len(body) < 2 {
			return Frame{}, 1, fmt.Errorf("%w: speak frame without parameter", ErrBadFrame)
		}
		p := body[1]
		if m == SYN6288 {
			f.Encoding, f.Music = Encoding(p&0x0F), p>>4
			if f.Encoding > BIG5 {
				return Frame{}, 1, fmt.Errorf("%w: encoding %d", ErrBadFrame, f.Encoding)
			}
		} else {
			f.Encoding = Encoding(p)
			if f.Encoding >= encLimit {
				return Frame{}, 1, fmt.Errorf("%w: encoding %d", ErrBadFrame, f.Encoding)
			}
		}
		f.Data = append([]byte(nil), body[2:]...)
		if len(f.Data) == 0 {
			return Frame{}, 1, fmt.Errorf("%w: %v", ErrBadFrame, ErrEmptyText)
		}
		t, err := DecodeText(f.Data, f.Encoding)
		if err != nil {
			return Frame{}, 1, err
		}
		f.Text = t
	case CmdStop, CmdPause, CmdResume, CmdStatus:
		if len(body) != 1 {
			return Frame{}, 1, fmt.Errorf("%w: control frame 0x%02X with %d extra bytes", ErrBadFrame, f.Cmd, len(body)-1)
		}
	default:
		return Frame{}, 1, fmt.Errorf("%w: unknown command 0x%02X", ErrBadFrame, f.Cmd)
	}
	return f, total, nil
}

func knownCmd(c byte) bool {
	switch c {
	case CmdSpeak, CmdStop, CmdPause, CmdResume, CmdStatus:
		return true
	}
	return false
}
