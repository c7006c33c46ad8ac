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

// The open reply reads like a query reply: the examples from public board
// documents, for boards whose feedback is "closed when locked" and for
// boards wired the other way.
func TestGoldenXOROpenReplies(t *testing.T) {
	opened := []byte{0x8A, 0x01, 0x01, 0x00, 0x8A}
	notOpened := []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}
	for _, c := range []struct {
		reply    []byte
		inverted bool
		open     bool
	}{
		{opened, false, true},
		{notOpened, false, false},
		{opened, true, false},
		{notOpened, true, true},
	} {
		f, n, err := ParseXOR(c.reply)
		require.NoError(t, err)
		require.Equal(t, 5, n)
		require.Equal(t, XORFrame{HeadOpen, 1, 1, f.Func}, f)
		open, err := XORDoorOpen(f.Func, c.inverted)
		require.NoError(t, err)
		require.Equal(t, c.open, open, "% X inverted=%v", c.reply, c.inverted)
	}
	// The query uses the same bytes for the same meaning.
	open, err := XORDoorOpen(0x11, false)
	require.NoError(t, err)
	require.False(t, open)
	_, err = XORDoorOpen(0x33, false) // an echoed query, not a state
	require.ErrorIs(t, err, ErrBadFrame)
}

func TestGoldenKerongFrames(t *testing.T) {
	// SUM = low byte of the sum of every byte before it
	require.Equal(t, []byte{0x02, 0x00, 0x30, 0x03, 0x35}, KerongRequest(KerongAddr(0, 0), KCmdStatus))
	require.Equal(t, []byte{0x02, 0x00, 0x31, 0x03, 0x36}, KerongRequest(KerongAddr(0, 1), KCmdUnlock))
	require.Equal(t, []byte{0x02, 0x02, 0x31, 0x03, 0x38}, KerongRequest(KerongAddr(0, 3), KCmdUnlock)) // specification: unlock lock 3 of board 0
	require.Equal(t, []byte{0x02, 0x1F, 0x31, 0x03, 0x55}, KerongRequest(KerongAddr(1, 16), KCmdUnlock))
	require.Equal(t, []byte{0x02, 0x90, 0x30, 0x03, 0xC5}, KerongRequest(KerongAddr(9, 0), KCmdStatus))
	require.Equal(t, []byte{0x02, 0xF0, 0x32, 0x03, 0x27}, KerongRequest(KAddrAll, KCmdStatusAll)) // specification: every board
	require.Equal(t, []byte{0x02, 0x00, 0x33, 0x03, 0x38}, KerongRequest(KerongAddr(0, 0), KCmdUnlockAll))
}

// The replies printed in Kerong's KR-CU16 specification: 9 bytes,
// 02 ADDR CMD hooks1-8 hooks9-16 IR1-8 IR9-16 03 SUM.
func TestGoldenKerongReplies(t *testing.T) {
	for _, c := range []struct {
		wire      []byte
		board     int
		cmd       byte
		hooks, ir uint16
	}{
		// 0x30 to board 0: lock 1 locked, an item in locker 1.
		{[]byte{0x02, 0x00, 0x35, 0x01, 0x00, 0x01, 0x00, 0x03, 0x3C}, 0, KReplyStatus, 0x0001, 0x0001},
		// 0x32 to F0, board 0: locks 9 and 10 locked, an item in locker 1.
		{[]byte{0x02, 0x00, 0x36, 0x00, 0x03, 0x01, 0x00, 0x03, 0x3F}, 0, KReplyStatusAll, 0x0300, 0x0001},
		// 0x32 to F0, board 1: lock 1 locked, an item in locker 12.
		{[]byte{0x02, 0x10, 0x36, 0x01, 0x00, 0x00, 0x08, 0x03, 0x54}, 1, KReplyStatusAll, 0x0001, 0x0800},
		// 0x33 to board 0: locks 1-4 still locked, an item in locker 1.
		{[]byte{0x02, 0x00, 0x35, 0x0F, 0x00, 0x01, 0x00, 0x03, 0x4A}, 0, KReplyStatus, 0x000F, 0x0001},
	} {
		require.Equal(t, c.wire, KerongReply(c.board, c.cmd, c.hooks, c.ir))
		f, n, err := ParseKerongReply(c.wire)
		require.NoError(t, err, "% X", c.wire)
		require.Equal(t, KerongReplyLen, n)
		require.Equal(t, c.board, f.Board())
		require.Equal(t, c.cmd, f.Cmd)
		require.Equal(t, c.hooks, f.Hooks())
		require.Equal(t, c.ir, f.IR())
	}
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
	r := KerongReply(3, KReplyStatus, 0xBEEF, 0x1234)
	f, n, err := ParseKerongReply(r)
	require.NoError(t, err)
	require.Equal(t, 9, n)
	require.Equal(t, 3, f.Board())
	require.Equal(t, uint16(0xBEEF), f.Hooks())
	require.Equal(t, uint16(0x1234), f.IR())
	r[8]++
	_, n, err = ParseKerongReply(r)
	require.ErrorIs(t, err, ErrChecksum)
	require.Equal(t, 1, n)
	_, n, err = ParseKerongReply([]byte{0x55, 0x02, 0x10})
	require.ErrorIs(t, err, ErrBadFrame)
	require.Equal(t, 1, n)
	// The old 7-byte reading (ETX at index 5) is not a CU16 frame: the
	// parser waits for all nine bytes.
	_, n, err = ParseKerongReply([]byte{0x02, 0x10, 0x35, 0x01, 0x01, 0x03, 0x4C})
	require.ErrorIs(t, err, ErrIncomplete)
	require.Equal(t, 0, n)
	// A request on the line (an echo) is not a reply.
	_, n, err = ParseKerongReply(KerongRequest(0x10, KCmdStatus))
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
	f.Add(KerongReply(2, KReplyStatus, 0x00FF, 0x0100))
	f.Add(append(KerongReply(0, KReplyStatusAll, 1, 2), KerongReply(1, KReplyStatusAll, 3, 4)...))
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
						again = v.Bytes()
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
