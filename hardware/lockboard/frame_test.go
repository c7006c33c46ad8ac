package lockboard

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGoldenXORFrames(t *testing.T) {
	require.Equal(t, []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}, XOROpen(1, 1))
	require.Equal(t, []byte{0x8A, 0x01, 0x00, 0x11, 0x9A}, XOROpenAll(1))
	require.Equal(t, []byte{0x80, 0x01, 0x01, 0x33, 0xB3}, XORQuery(1, 1))
	require.Equal(t, []byte{0x8A, 0x20, 0x18, 0x11, 0xA3}, XOROpen(32, 24))
	require.Equal(t, []byte{0x82, 0x03, 0x05, 0x00, 0x84}, XORFrame{HeadReport, 3, 5, 0}.Bytes())
}

func TestGoldenKerongFrames(t *testing.T) {
	// SUM = (02 + ADDR + CMD + 03) & 0xFF
	require.Equal(t, []byte{0x02, 0x00, 0x30, 0x03, 0x35}, KerongRequest(KerongAddr(0, 1), KCmdStatus))
	require.Equal(t, []byte{0x02, 0x00, 0x31, 0x03, 0x36}, KerongRequest(KerongAddr(0, 1), KCmdUnlock))
	require.Equal(t, []byte{0x02, 0x1F, 0x31, 0x03, 0x55}, KerongRequest(KerongAddr(1, 16), KCmdUnlock))
	require.Equal(t, []byte{0x02, 0x20, 0x32, 0x03, 0x57}, KerongRequest(KerongAddr(2, 0), KCmdStatusAll))
	require.Equal(t, []byte{0x02, 0xF0, 0x32, 0x03, 0x27}, KerongRequest(KerongAddr(15, 0), KCmdStatusAll))
	// board 1, locks 1 and 9 closed: 02 10 35 01 01 03 4C
	require.Equal(t, []byte{0x02, 0x10, 0x35, 0x01, 0x01, 0x03, 0x4C}, KerongStatusReply(1, 0x0101))
}

func TestParseXORResync(t *testing.T) {
	good := XORQuery(1, 2)
	bad := XOROpen(1, 1)
	bad[4] ^= 1
	stream := append(append(append([]byte{0x00, 0xFF, 0x33}, bad...), good...), 0x8A, 0x01)
	var frames []XORFrame
	var checksums, noise int
	for len(stream) > 0 {
		f, n, err := ParseXOR(stream)
		if err == ErrIncomplete {
			break
		}
		if err != nil {
			if bytes.Contains([]byte(err.Error()), []byte("checksum")) {
				checksums++
			} else {
				noise++
			}
			stream = stream[n:]
			continue
		}
		frames = append(frames, f)
		stream = stream[n:]
	}
	require.Equal(t, []XORFrame{{HeadQuery, 1, 2, FuncQuery}}, frames)
	require.GreaterOrEqual(t, checksums, 1)
	require.Equal(t, []byte{0x8A, 0x01}, stream, "a partial frame waits for more bytes")
}

func TestParseKerong(t *testing.T) {
	r := KerongStatusReply(3, 0xBEEF)
	f, n, err := ParseKerongReply(r)
	require.NoError(t, err)
	require.Equal(t, 7, n)
	require.Equal(t, 3, f.Board())
	require.Equal(t, uint16(0xBEEF), f.Bits)
	r[6]++
	_, n, err = ParseKerongReply(r)
	require.ErrorIs(t, err, ErrChecksum)
	require.Equal(t, 1, n)
	_, n, err = ParseKerongReply([]byte{0x55, 0x02, 0x10})
	require.ErrorIs(t, err, ErrBadFrame)
	require.Equal(t, 1, n)

	q, n, err := ParseKerongRequest(KerongRequest(KerongAddr(4, 7), KCmdUnlock))
	require.NoError(t, err)
	require.Equal(t, 5, n)
	require.Equal(t, 4, q.Board())
	require.Equal(t, 7, q.Lock())
	_, _, err = ParseKerongRequest([]byte{0x02, 0x00, 0x31, 0x04, 0x37})
	require.ErrorIs(t, err, ErrBadFrame)
}

func FuzzLockFrames(f *testing.F) {
	f.Add(XOROpen(1, 1))
	f.Add(append(XORQuery(3, 4), XORFrame{HeadReport, 3, 4, 0}.Bytes()...))
	f.Add(KerongRequest(0x10, KCmdStatus))
	f.Add(KerongStatusReply(2, 0x00FF))
	f.Add([]byte{0x8A, 0x8A, 0x02, 0x02, 0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		type parser func([]byte) (any, int, error)
		parsers := map[string]parser{
			"xor":    func(b []byte) (any, int, error) { return ParseXOR(b) },
			"kreq":   func(b []byte) (any, int, error) { return ParseKerongRequest(b) },
			"kreply": func(b []byte) (any, int, error) { return ParseKerongReply(b) },
		}
		for name, p := range parsers {
			buf := data
			for steps := 0; len(buf) > 0; steps++ {
				if steps > len(data) {
					t.Fatalf("%s: no progress", name)
				}
				fr, n, err := p(buf)
				if n < 0 || n > len(buf) {
					t.Fatalf("%s: n=%d of %d", name, n, len(buf))
				}
				if err == ErrIncomplete {
					if n != 0 {
						t.Fatalf("%s: incomplete with n=%d", name, n)
					}
					break
				}
				if n == 0 {
					t.Fatalf("%s: error %v without progress", name, err)
				}
				if err == nil {
					// Good frames render back to the same bytes.
					var again []byte
					switch v := fr.(type) {
					case XORFrame:
						again = v.Bytes()
					case KerongFrame:
						if v.Reply {
							again = KerongStatusReply(v.Board(), v.Bits)
							again[1] = v.Addr
							again[6] = ksum(again[:6])
						} else {
							again = KerongRequest(v.Addr, v.Cmd)
						}
					}
					if !bytes.Equal(again, buf[:n]) {
						t.Fatalf("%s: % X re-encodes as % X", name, buf[:n], again)
					}
				}
				buf = buf[n:]
			}
		}
	})
}
