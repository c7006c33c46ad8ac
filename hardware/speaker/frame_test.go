package speaker

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestGoldenSYN6288Collected(t *testing.T) {
	f, err := SpeakFrame(SYN6288, Collected(1250), GBK, 0)
	require.NoError(t, err)
	require.Equal(t, hx("FD 00 0E 01 01 CA D5 BF EE 31 32 2E 35 30 D4 AA EB"), f, "% X", f)
}

func TestGoldenControlFrames(t *testing.T) {
	cases := map[byte]string{
		CmdStop: "FD 00 02 02 FD", CmdPause: "FD 00 02 03 FC",
		CmdResume: "FD 00 02 04 FB", CmdStatus: "FD 00 02 21 DE",
	}
	for cmd, want := range cases {
		f, err := ControlFrame(SYN6288, cmd)
		require.NoError(t, err)
		require.Equal(t, hx(want), f)
		x, err := ControlFrame(XFS5152, cmd)
		require.NoError(t, err)
		require.Equal(t, []byte{0xFD, 0x00, 0x01, cmd}, x)
	}
	_, err := ControlFrame(SYN6288, 0x77)
	require.Error(t, err)
}

func TestXFS5152Frames(t *testing.T) {
	f, err := SpeakFrame(XFS5152, "收款12.50元", GBK, 0)
	require.NoError(t, err)
	// len = text(11) + 2 = 0x0D, no checksum
	require.Equal(t, hx("FD 00 0D 01 01 CA D5 BF EE 31 32 2E 35 30 D4 AA"), f)

	u, err := SpeakFrame(XFS5152, "收款1元", UTF16LE, 0)
	require.NoError(t, err)
	// 收 U+6536, 款 U+6B3E, 1 U+0031, 元 U+5143 → 8 bytes LE; len 10
	require.Equal(t, hx("FD 00 0A 01 03 36 65 3E 6B 31 00 43 51"), u)

	_, err = SpeakFrame(SYN6288, "收款", UTF16LE, 0)
	require.Error(t, err)
}

func TestSYN6288BackgroundMusicAndBig5(t *testing.T) {
	f, err := SpeakFrame(SYN6288, "ab", GBK, 3)
	require.NoError(t, err)
	require.Equal(t, byte(0x31), f[4])
	fr, n, err := ParseFrame(SYN6288, f)
	require.NoError(t, err)
	require.Equal(t, len(f), n)
	require.Equal(t, byte(3), fr.Music)
	require.Equal(t, GBK, fr.Encoding)

	b, err := SpeakFrame(SYN6288, "收款", BIG5, 0)
	require.NoError(t, err)
	fr, _, err = ParseFrame(SYN6288, b)
	require.NoError(t, err)
	require.Equal(t, "收款", fr.Text)
}

func TestTextErrors(t *testing.T) {
	_, err := SpeakFrame(SYN6288, "", GBK, 0)
	require.ErrorIs(t, err, ErrEmptyText)
	_, err = SpeakFrame(SYN6288, strings.Repeat("款", 101), GBK, 0)
	require.ErrorIs(t, err, ErrTooLong)
	_, err = SpeakFrame(SYN6288, strings.Repeat("款", 100), GBK, 0)
	require.NoError(t, err)
	_, err = SpeakFrame(SYN6288, "收款😀", GBK, 0)
	require.ErrorIs(t, err, ErrUnencodable)
	require.Contains(t, err.Error(), "😀")
	_, err = SpeakFrame(XFS5152, "收款😀", UTF16LE, 0)
	require.NoError(t, err, "UTF-16 can carry any character")
}

func TestParseFrameStream(t *testing.T) {
	a, _ := SpeakFrame(SYN6288, "收款12.50元", GBK, 0)
	b, _ := ControlFrame(SYN6288, CmdStatus)
	stream := append(append([]byte{0x00, 0x13}, a...), b...)

	_, n, err := ParseFrame(SYN6288, stream)
	require.ErrorIs(t, err, ErrBadFrame)
	require.Equal(t, 2, n)
	stream = stream[n:]
	f, n, err := ParseFrame(SYN6288, stream)
	require.NoError(t, err)
	require.Equal(t, "收款12.50元", f.Text)
	stream = stream[n:]
	f, n, err = ParseFrame(SYN6288, stream)
	require.NoError(t, err)
	require.Equal(t, CmdStatus, f.Cmd)
	require.Equal(t, len(stream), n)

	for i := 0; i < len(a); i++ {
		_, n, err := ParseFrame(SYN6288, a[:i])
		require.ErrorIs(t, err, ErrIncomplete, "prefix %d", i)
		require.Zero(t, n)
	}
}

func TestParseFrameBadChecksumAndGarbage(t *testing.T) {
	a, _ := SpeakFrame(SYN6288, "收款12.50元", GBK, 0)
	bad := append([]byte(nil), a...)
	bad[len(bad)-1] ^= 0xFF
	_, n, err := ParseFrame(SYN6288, bad)
	require.ErrorIs(t, err, ErrChecksum)
	require.Equal(t, 1, n)

	for _, g := range [][]byte{
		hx("FD FF FF 01 01"),          // absurd length
		hx("FD 00 02 77 88"),          // unknown command (checksum ok? no) -> error either way
		hx("FD 00 03 02 00 FC"),       // control frame with extra byte
		hx("FD 00 03 01 01 FF"),       // speak without text
		hx("FD 00 05 01 0F 41 42 B9"), // encoding 15
	} {
		_, n, err := ParseFrame(SYN6288, g)
		require.Error(t, err, "% X", g)
		require.NotErrorIs(t, err, ErrIncomplete, "% X", g)
		require.GreaterOrEqual(t, n, 1)
	}
	_, _, err = ParseFrame(XFS5152, hx("FD 00 03 01 09 41"))
	require.ErrorIs(t, err, ErrBadFrame)
}

func TestPhrases(t *testing.T) {
	require.Equal(t, "收款12.50元", Collected(1250))
	require.Equal(t, "退款0.01元", Refunded(1))
	require.Equal(t, "退款3.00元", Refunded(-300))
	require.Equal(t, "押金200.00元", Deposit(app.Money(20000)))
	require.Equal(t, "押金退还5.50元", DepositReleased(550))
}

func FuzzSpeakerDecode(f *testing.F) {
	a, _ := SpeakFrame(SYN6288, "收款12.50元", GBK, 0)
	b, _ := SpeakFrame(XFS5152, "退款1.00元", UTF16LE, 0)
	c, _ := ControlFrame(SYN6288, CmdStatus)
	f.Add(a, false)
	f.Add(b, true)
	f.Add(c, false)
	f.Add(hx("FD 00 0E 01 01 CA"), false)
	f.Add(hx("FD FD FD 00 02 21 DE"), false)
	f.Fuzz(func(t *testing.T, data []byte, xfs bool) {
		m := SYN6288
		if xfs {
			m = XFS5152
		}
		buf := data
		for steps := 0; len(buf) > 0; steps++ {
			if steps > len(data)+1 {
				t.Fatalf("no progress")
			}
			fr, n, err := ParseFrame(m, buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("n=%d out of range for %d bytes", n, len(buf))
			}
			if err != nil {
				if n == 0 {
					break // incomplete
				}
				buf = buf[n:]
				continue
			}
			// A good frame encodes back to the same bytes when its text
			// round-trips through the encoding.
			if !strings.ContainsRune(fr.Text, '\uFFFD') {
				again, err := fr.Encode(m)
				if err == nil && !bytes.Equal(again, buf[:n]) {
					if back, err := EncodeText(fr.Text, fr.Encoding); err == nil && bytes.Equal(back, fr.Data) {
						t.Fatalf("re-encode mismatch:\n% X\n% X", buf[:n], again)
					}
				}
			}
			buf = buf[n:]
		}
	})
}
