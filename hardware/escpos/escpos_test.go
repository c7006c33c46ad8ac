package escpos_test

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/hardware"
	"cashier/hardware/escpos"
)

var initBytes = []byte{0x1B, 0x40, 0x1C, 0x26}

func build(t *testing.T, b *escpos.Builder) []byte {
	t.Helper()
	out, err := b.Bytes()
	require.NoError(t, err)
	require.Equal(t, initBytes, out[:4], "every job starts with ESC @ FS &")
	return out[4:]
}

func TestBuilder_TextGB18030AndYuanSign(t *testing.T) {
	got := build(t, escpos.New(escpos.Paper80).Line("收款12.50元").Line("￥1 ¥2"))
	want := []byte{
		0xCA, 0xD5, 0xBF, 0xEE, '1', '2', '.', '5', '0', 0xD4, 0xAA, 0x0A,
		0xA3, 0xA4, '1', ' ', 0xA3, 0xA4, '2', 0x0A, // ¥ (U+00A5) is sent as ￥ (A3 A4)
	}
	assert.Equal(t, want, got)
}

func TestBuilder_ControlCharsAndFourByteRunes(t *testing.T) {
	got := build(t, escpos.New(escpos.Paper58).Text("a\x1b@b\x10\x04\x01😀"))
	// control characters become spaces, a 4-byte rune becomes ？ (A3 BF)
	assert.Equal(t, []byte{'a', ' ', '@', 'b', ' ', ' ', ' ', 0xA3, 0xBF}, got)
}

func TestBuilder_StylesNotRepeated(t *testing.T) {
	b := escpos.New(escpos.Paper80)
	b.Align(escpos.AlignCenter).Bold(true).Size(2, 2).Text("A")
	b.Bold(true).Size(2, 2).Text("B")    // unchanged: nothing sent
	b.Align(escpos.AlignRight).Text("C") // mid-line: align waits for the next line
	b.Newline().Text("D")
	b.Normal().Line("E")
	b.Align(escpos.AlignRight).Bold(false).Line("F")
	want := []byte{
		0x1B, 0x61, 0x01, 0x1B, 0x45, 0x01, 0x1D, 0x21, 0x11, 'A',
		'B',
		'C', 0x0A,
		0x1B, 0x61, 0x02, 'D',
		0x1B, 0x45, 0x00, 0x1D, 0x21, 0x00, 'E', 0x0A,
		'F', 0x0A,
	}
	assert.Equal(t, want, build(t, b))
}

func TestBuilder_SizeBits(t *testing.T) {
	got := build(t, escpos.New(escpos.Paper80).Size(3, 1).Text("x"))
	assert.Equal(t, []byte{0x1D, 0x21, 0x20, 'x'}, got) // width bits 4-7 = 2, height 0
	_, err := escpos.New(escpos.Paper80).Size(9, 1).Bytes()
	assert.ErrorIs(t, err, escpos.ErrBadSize)
}

func TestCode128_Framing(t *testing.T) {
	got := build(t, escpos.New(escpos.Paper80).Align(escpos.AlignCenter).Code128("AB{1", escpos.Code128Options{}))
	want := []byte{
		0x1B, 0x61, 0x01, // centre
		0x1D, 0x68, 80, // height
		0x1D, 0x77, 2, // module width
		0x1D, 0x48, 2, // HRI below
		0x1D, 0x6B, 73, 7, '{', 'B', 'A', 'B', '{', '{', '1',
	}
	assert.Equal(t, want, got)
}

func TestCode128_DataSets(t *testing.T) {
	cases := []struct {
		in   string
		want []byte
	}{
		{"12", []byte{'{', 'C', 12}},
		{"123456", []byte{'{', 'C', 12, 34, 56}},
		{"12345", []byte{'{', 'C', 12, 34, '{', 'B', '5'}},
		{"A1", []byte{'{', 'B', 'A', '1'}},
		{"AB123", []byte{'{', 'B', 'A', 'B', '1', '2', '3'}},
		{"S20260116000123", []byte{'{', 'B', 'S', '{', 'C', 20, 26, 01, 16, 00, 01, 23}},
		{"X1234Y", []byte{'{', 'B', 'X', '{', 'C', 12, 34, '{', 'B', 'Y'}},
		{"{", []byte{'{', 'B', '{', '{'}},
		// pairs 16 04 would put a status request (10 04) in the data: shift by one digit
		{"16040102", []byte{'{', 'B', '1', '{', 'C', 60, 40, 10, '{', 'B', '2'}},
	}
	for _, c := range cases {
		got, _, err := escpos.Code128Data(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
		assert.NotContains(t, string(got), "\x10\x04", c.in)
	}
	for _, bad := range []string{"", "中文", "a\nb", strings.Repeat("A", 300)} {
		_, _, err := escpos.Code128Data(bad)
		assert.ErrorIs(t, err, escpos.ErrBarcodeData, "%q", bad)
	}
}

func TestCode128_SettingsSentOnce(t *testing.T) {
	got := build(t, escpos.New(escpos.Paper80).
		Code128("1234", escpos.Code128Options{Height: 60, Module: 3}).
		Code128("5678", escpos.Code128Options{Height: 60, Module: 3}))
	want := []byte{
		0x1D, 0x68, 60, 0x1D, 0x77, 3, 0x1D, 0x48, 2,
		0x1D, 0x6B, 73, 4, '{', 'C', 12, 34,
		0x1D, 0x6B, 73, 4, '{', 'C', 56, 78,
	}
	assert.Equal(t, want, got)
}

func TestCode128_TooWideNarrowsThenFails(t *testing.T) {
	// 10 letters at module 6 would not fit 384 dots: narrowed, not refused
	got := build(t, escpos.New(escpos.Paper58).Code128("ABCDEFGHIJ", escpos.Code128Options{Module: 6}))
	assert.Equal(t, []byte{0x1D, 0x77, 2}, got[3:6])
	_, err := escpos.New(escpos.Paper58).Code128(strings.Repeat("AB", 20), escpos.Code128Options{}).Bytes()
	assert.ErrorIs(t, err, escpos.ErrBarcodeTooWide)
}

func TestQR_Framing(t *testing.T) {
	got := build(t, escpos.New(escpos.Paper80).QR("https://x.cn/o/1", escpos.QROptions{Size: 6, Level: escpos.QRLevelM}))
	want := []byte{
		0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00, // model 2
		0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06, // module size 6
		0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31, // level M
		0x1D, 0x28, 0x6B, 19, 0x00, 0x31, 0x50, 0x30, // store 16 bytes + 3
	}
	want = append(want, "https://x.cn/o/1"...)
	want = append(want, 0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30) // print
	assert.Equal(t, want, got)
}

func TestQR_LongDataLengthBytesAndRepeat(t *testing.T) {
	data := strings.Repeat("9", 300)
	got := build(t, escpos.New(escpos.Paper80).QR("a", escpos.QROptions{}).QR(data, escpos.QROptions{}))
	// second QR: same model/size/level, so only store + print
	second := got[len(got)-(8+300+8):]
	assert.Equal(t, []byte{0x1D, 0x28, 0x6B, 0x2F, 0x01, 0x31, 0x50, 0x30}, second[:8]) // 303 = 0x012F
	_, err := escpos.New(escpos.Paper80).QR("", escpos.QROptions{}).Bytes()
	assert.ErrorIs(t, err, escpos.ErrQRData)
	_, err = escpos.New(escpos.Paper80).QR("a\x10\x04b", escpos.QROptions{}).Bytes()
	assert.ErrorIs(t, err, escpos.ErrQRData)
}

func TestImage_RasterMSBLeft(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 10, 2))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	img.SetGray(0, 0, color.Gray{0})  // top-left dot
	img.SetGray(9, 0, color.Gray{0})  // 10th dot: second byte, bit 6
	img.SetGray(7, 1, color.Gray{10}) // 8th dot of row 2: LSB of first byte
	got := build(t, escpos.New(escpos.Paper58).Image(img))
	want := []byte{0x1D, 0x76, 0x30, 0x00, 2, 0, 2, 0, 0x80, 0x40, 0x01, 0x00}
	assert.Equal(t, want, got)
}

func TestImage_BandsAndTooWide(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 16, 30))
	got := build(t, escpos.New(escpos.Paper58).Image(img))
	assert.Equal(t, []byte{0x1D, 0x76, 0x30, 0, 2, 0, 24, 0}, got[:8])
	assert.Equal(t, []byte{0x1D, 0x76, 0x30, 0, 2, 0, 6, 0}, got[8+48:8+48+8])
	assert.Len(t, got, 8+48+8+12)

	_, err := escpos.New(escpos.Paper58).Image(image.NewGray(image.Rect(0, 0, 385, 1))).Bytes()
	assert.ErrorIs(t, err, escpos.ErrImageTooWide)
}

func TestImage_NoStatusRequestInData(t *testing.T) {
	// dots making bytes 10 04 in a row
	img := image.NewGray(image.Rect(0, 0, 16, 1))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	img.SetGray(3, 0, color.Gray{0})  // 0x10
	img.SetGray(13, 0, color.Gray{0}) // 0x04
	got := build(t, escpos.New(escpos.Paper58).Image(img))
	assert.Equal(t, []byte{0x10, 0x00}, got[8:])
}

func TestCutAndDrawer(t *testing.T) {
	got := build(t, escpos.New(escpos.Paper80).Text("x").Cut())
	assert.Equal(t, []byte{'x', 0x0A, 0x1D, 0x56, 0x42, 0x00}, got)

	got = build(t, escpos.New(escpos.Paper80).DrawerKick(escpos.DrawerPulse{}))
	assert.Equal(t, []byte{0x1B, 0x70, 0x00, 25, 250}, got)
	// too short a rest is lengthened to 4× the pulse
	got = build(t, escpos.New(escpos.Paper80).DrawerKick(escpos.DrawerPulse{Pin: escpos.DrawerPin5, OnMs: 100, OffMs: 100}))
	assert.Equal(t, []byte{0x1B, 0x70, 0x01, 50, 200}, got)
	// a pulse longer than 126 ms is shortened so that 4·t1 ≤ 255
	_, t1, t2 := escpos.DrawerPulse{OnMs: 500, OffMs: 100}.Normalize()
	assert.Equal(t, byte(63), t1)
	assert.Equal(t, byte(252), t2)
}

func TestWidthHelpers(t *testing.T) {
	assert.Equal(t, 4, escpos.Width("ab中"))
	assert.Equal(t, 2, escpos.Width("¥"))
	assert.Equal(t, "ab", escpos.Truncate("ab中文", 3), "never half a Chinese character")
	assert.Equal(t, "ab中", escpos.Truncate("ab中文", 4))
	assert.Equal(t, "中 ", escpos.PadRight("中文", 3))
	assert.Equal(t, "  中", escpos.PadLeft("中", 4))
	assert.Equal(t, " 中  ", escpos.Center("中", 5))
	assert.Equal(t, []string{"可口可乐", "330ml", "xyz"}, escpos.Wrap("可口可乐 330ml xyz", 8))
	assert.Equal(t, []string{"一二三", "四五"}, escpos.Wrap("一二三四五", 7))
}

func TestRows(t *testing.T) {
	b := escpos.New(escpos.Paper58) // 32 columns
	b.Row2("合计", "￥12.50")
	b.Row2(strings.Repeat("长", 20), "￥1.00") // left cut to leave a gap
	b.Row3("可乐", "2", "￥7.00")
	got := build(t, b)
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	require.Len(t, lines, 3)
	dec := func(s string) string { return decodeGB(t, []byte(s)) }
	assert.Equal(t, "合计"+strings.Repeat(" ", 32-4-7)+"￥12.50", dec(lines[0]))
	assert.Equal(t, strings.Repeat("长", 12)+"  ￥1.00", dec(lines[1]))
	assert.Equal(t, 32, escpos.Width(dec(lines[1])))
	assert.Equal(t, "可乐"+strings.Repeat(" ", 12)+"       2"+"  ￥7.00", dec(lines[2]))

	// double width halves the columns
	b = escpos.New(escpos.Paper80).Size(2, 1)
	assert.Equal(t, 24, b.Columns())
}

func TestStatus_ParseAndReply(t *testing.T) {
	var s escpos.Status
	require.NoError(t, s.Apply(1, 0x12))
	require.NoError(t, s.Apply(2, 0x12))
	require.NoError(t, s.Apply(4, 0x12))
	assert.True(t, s.CanPrint())
	st, _ := s.State()
	assert.Equal(t, hardware.StateReady, st)

	require.NoError(t, s.Apply(4, 0x7E)) // near end and paper end
	assert.True(t, s.PaperEnd)
	assert.True(t, s.PaperNearEnd)
	st, msg := s.State()
	assert.Equal(t, hardware.StatePaperOut, st)
	assert.Contains(t, msg, "缺纸")

	s = escpos.Status{}
	require.NoError(t, s.Apply(2, 0x16)) // cover open
	st, _ = s.State()
	assert.Equal(t, hardware.StateCoverOpen, st)
	require.NoError(t, s.Apply(1, 0x1A)) // offline too: cover still wins
	st, _ = s.State()
	assert.Equal(t, hardware.StateCoverOpen, st)

	s = escpos.Status{}
	require.NoError(t, s.Apply(4, 0x1E))
	st, _ = s.State()
	assert.Equal(t, hardware.StatePaperNearEnd, st)
	assert.True(t, s.CanPrint())

	for _, bad := range []byte{0x00, 0xFF, 0x13, 0x92, 0x02} {
		assert.ErrorIs(t, s.Apply(1, bad), escpos.ErrStatusReply, "%#02x", bad)
	}
	assert.Equal(t, []byte{0x10, 0x04, 0x02}, escpos.StatusRequest(2))

	// Reply is the inverse of Apply for every combination
	for mask := 0; mask < 1<<7; mask++ {
		in := escpos.Status{
			Offline: mask&1 != 0, CoverOpen: mask&2 != 0, FeedButton: mask&4 != 0,
			PaperStopped: mask&8 != 0, Error: mask&16 != 0, PaperNearEnd: mask&32 != 0, PaperEnd: mask&64 != 0,
		}
		var out escpos.Status
		for _, n := range escpos.StatusQueries {
			r := in.Reply(n)
			require.True(t, escpos.IsStatusByte(r))
			require.NoError(t, out.Apply(n, r))
		}
		assert.Equal(t, in, out)
	}
}

func TestNewBadPaper(t *testing.T) {
	_, err := escpos.New(escpos.Paper(57)).Line("x").Bytes()
	assert.ErrorIs(t, err, escpos.ErrBadPaper)
	p, err := escpos.ParsePaper("58mm")
	require.NoError(t, err)
	assert.Equal(t, escpos.Paper58, p)
	_, err = escpos.ParsePaper("70")
	assert.Error(t, err)
}
