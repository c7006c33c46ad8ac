package scanner_test

import (
	"image"
	"image/color"
	"image/png"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	qr "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/require"

	"cashier/hardware"
	"cashier/hardware/scanner"
	"cashier/hardware/sim"
	"cashier/hardware/transport"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func TestFramerEndings(t *testing.T) {
	f := &scanner.Framer{}
	require.Equal(t, []string{"A1"}, f.Feed([]byte("A1\r"), t0))
	require.Equal(t, []string{"B2"}, f.Feed([]byte("B2\n"), t0))
	require.Equal(t, []string{"C3"}, f.Feed([]byte("C3\r\n"), t0))
	require.Empty(t, f.Feed([]byte("\r\n\n\r"), t0), "no empty scans")
	// CRLF split across reads
	require.Equal(t, []string{"D4"}, f.Feed([]byte("D4\r"), t0))
	require.Empty(t, f.Feed([]byte("\n"), t0.Add(time.Millisecond)))
	// several codes in one read
	require.Equal(t, []string{"E5", "F6"}, f.Feed([]byte("E5\r\nF6\r\n"), t0))
}

func TestFramerIdleGap(t *testing.T) {
	f := &scanner.Framer{Gap: 50 * time.Millisecond}
	require.Empty(t, f.Feed([]byte("69012"), t0))
	require.Empty(t, f.Feed([]byte("34567"), t0.Add(10*time.Millisecond)))
	require.Empty(t, f.Idle(t0.Add(40*time.Millisecond)))
	require.Equal(t, []string{"6901234567"}, f.Idle(t0.Add(60*time.Millisecond)))
	require.False(t, f.Pending())
	// a gap between two unterminated codes splits them even without Idle
	require.Empty(t, f.Feed([]byte("AAA"), t0))
	require.Equal(t, []string{"AAA"}, f.Feed([]byte("BBB"), t0.Add(100*time.Millisecond)))
}

func TestCleanCode(t *testing.T) {
	require.Equal(t, "(01)123\x1d(10)ABC", scanner.CleanCode([]byte(" (01)123\x1d(10)ABC\x00\x02 ")))
	// GB18030 bytes from a scanner reading a Chinese QR code
	require.Equal(t, "收款", scanner.CleanCode([]byte{0xCA, 0xD5, 0xBF, 0xEE}))
	require.Equal(t, "", scanner.CleanCode([]byte{0x01, 0x02, ' '}))
}

func TestSerialScannerOverPty(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ending sim.ScannerEnding
		delay  time.Duration
	}{
		{"CR", sim.ScannerCR, 0}, {"LF", sim.ScannerLF, 0}, {"CRLF", sim.ScannerCRLF, 0},
		{"gap", sim.ScannerGap, 0}, {"CRLF-slow-line", sim.ScannerCRLF, time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := sim.NewScanner(tc.ending)
			sc.ByteDelay = tc.delay
			path, err := sc.ServePTY()
			require.NoError(t, err)
			defer sc.Close()
			port, err := transport.OpenString(path)
			require.NoError(t, err)
			defer port.Close()
			hub := scanner.NewHub()
			scans, cancel := hub.Subscribe()
			defer cancel()
			r := hub.AttachSerial(port, scanner.SerialOptions{Device: path})
			defer r.Stop()

			codes := []string{"6901234567892", "https://qr.example/收款?id=7", "A"}
			for _, c := range codes {
				require.NoError(t, sc.Emit(c))
			}
			for _, c := range codes {
				select {
				case s := <-scans:
					require.Equal(t, c, s.Code)
					require.Equal(t, scanner.SourceSerial, s.Source)
					require.Equal(t, path, s.Device)
				case <-time.After(3 * time.Second):
					t.Fatalf("scan %q not received", c)
				}
			}
			select {
			case s := <-scans:
				t.Fatalf("unexpected extra scan %q", s.Code)
			case <-time.After(120 * time.Millisecond):
			}
		})
	}
}

func TestSerialScannerOnManagedPortUnplugAndClose(t *testing.T) {
	sc := sim.NewScanner(sim.ScannerCR)
	path, err := sc.ServePTY()
	require.NoError(t, err)
	m := transport.NewManaged("scanner", transport.MustParseSpec(path), transport.ManagedOptions{
		Backoff: transport.ExponentialBackoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond}})
	m.Start()
	defer m.Close()
	hub := scanner.NewHub()
	scans, cancel := hub.Subscribe()
	defer cancel()
	errs := make(chan error, 8)
	r := hub.AttachSerial(m.Port(), scanner.SerialOptions{OnError: func(e error) {
		select {
		case errs <- e:
		default:
		}
	}})
	defer r.Stop()
	require.Eventually(t, func() bool { return m.Current() != nil }, 3*time.Second, 5*time.Millisecond)
	require.NoError(t, sc.Emit("111111"))
	require.Equal(t, "111111", (<-scans).Code)
	sc.Close() // unplugged, never comes back at that path
	require.ErrorIs(t, <-errs, hardware.ErrPortClosed, "the reader hears the unplug")
	m.Close()
	r.Stop() // ends promptly on a closed Managed port
}

// --- keyboard wedge ---

func feed(w *scanner.Wedge, s string, start time.Time, gap time.Duration) (typed []rune, at time.Time) {
	at = start
	for i, r := range s {
		if i > 0 {
			at = at.Add(gap)
		}
		typed = append(typed, w.Key(r, at)...)
	}
	return typed, at
}

func TestWedgeBurstIsScan(t *testing.T) {
	hub := scanner.NewHub()
	scans, cancel := hub.Subscribe()
	defer cancel()
	w := hub.Keyboard()
	typed, at := feed(w, "6901234567892", t0, 8*time.Millisecond)
	require.Empty(t, typed, "keys of a possible scan are held")
	code, isScan, rest := w.Enter(at.Add(8 * time.Millisecond))
	require.True(t, isScan)
	require.Equal(t, "6901234567892", code)
	require.Empty(t, rest)
	s := <-scans
	require.Equal(t, "6901234567892", s.Code)
	require.Equal(t, scanner.SourceKeyboard, s.Source)
	require.Zero(t, w.Held())
}

func TestWedgeSlowTypingIsNotScan(t *testing.T) {
	hub := scanner.NewHub()
	scans, cancel := hub.Subscribe()
	defer cancel()
	w := hub.Keyboard()
	var delivered []rune
	at := t0
	for _, r := range "12.50" + "abcdef" {
		delivered = append(delivered, w.Key(r, at)...)
		at = at.Add(120 * time.Millisecond) // a person
	}
	code, isScan, rest := w.Enter(at)
	require.False(t, isScan)
	require.Empty(t, code)
	delivered = append(delivered, rest...)
	require.Equal(t, "12.50abcdef", string(delivered), "every key comes back, in order")
	select {
	case s := <-scans:
		t.Fatalf("typing published as scan %q", s.Code)
	default:
	}
}

func TestWedgeEdgeCases(t *testing.T) {
	w := scanner.NewWedge(nil)
	// five fast characters is too short
	typed, at := feed(w, "12345", t0, 5*time.Millisecond)
	require.Empty(t, typed)
	_, isScan, rest := w.Enter(at.Add(5 * time.Millisecond))
	require.False(t, isScan)
	require.Equal(t, "12345", string(rest))

	// exactly six is a scan
	_, at = feed(w, "123456", t0.Add(time.Second), 29*time.Millisecond)
	code, isScan, _ := w.Enter(at.Add(29 * time.Millisecond))
	require.True(t, isScan)
	require.Equal(t, "123456", code)

	// a slow Enter after a fast burst is a person pasting/typing then pressing Enter
	_, at = feed(w, "ABCDEFG", t0.Add(2*time.Second), 5*time.Millisecond)
	_, isScan, rest = w.Enter(at.Add(300 * time.Millisecond))
	require.False(t, isScan)
	require.Equal(t, "ABCDEFG", string(rest))

	// one slow key in the middle breaks the burst: the earlier keys are typing
	typed, _ = feed(w, "abc", t0.Add(3*time.Second), 5*time.Millisecond)
	require.Empty(t, typed)
	typed = w.Key('d', t0.Add(3*time.Second+500*time.Millisecond))
	require.Equal(t, "abc", string(typed))
	require.Equal(t, 1, w.Held())

	// another key releases held ones
	require.Equal(t, "d", string(w.Other(t0.Add(4*time.Second))))

	// Flush releases typing after the gap, not before
	w.Key('x', t0.Add(5*time.Second))
	require.Equal(t, t0.Add(5*time.Second+30*time.Millisecond), w.Deadline())
	require.Empty(t, w.Flush(t0.Add(5*time.Second+10*time.Millisecond)))
	require.Equal(t, "x", string(w.Flush(t0.Add(5*time.Second+30*time.Millisecond))))
	require.True(t, w.Deadline().IsZero())

	// a lone Enter is just an Enter
	_, isScan, rest = w.Enter(t0.Add(6 * time.Second))
	require.False(t, isScan)
	require.Empty(t, rest)
}

func TestWedgeAutoFlush(t *testing.T) {
	w := scanner.NewWedge(nil)
	woken := make(chan struct{}, 4)
	w.SetAutoFlush(func() { woken <- struct{}{} })
	w.Key('h', time.Now())
	select {
	case <-woken:
		require.Equal(t, "h", string(w.Flush(time.Now())))
	case <-time.After(2 * time.Second):
		t.Fatal("typed key never released")
	}
}

// A person typing on a busy machine: the flush timer fires for a held key,
// but before the UI gets round to it the next key arrives. The held key is
// still in the detector, so it comes out first: keys are never reordered.
func TestWedgeAutoFlushKeepsTheOrder(t *testing.T) {
	w := scanner.NewWedge(nil)
	woken := make(chan struct{}, 4)
	w.SetAutoFlush(func() { woken <- struct{}{} })
	t0 := time.Now()
	var typed []rune
	typed = append(typed, w.Key('1', t0)...)
	<-woken // the timer fired; the UI is busy and has not flushed yet
	typed = append(typed, w.Key('2', t0.Add(80*time.Millisecond))...)
	typed = append(typed, w.Key('.', t0.Add(160*time.Millisecond))...)
	typed = append(typed, w.Flush(t0.Add(240*time.Millisecond))...) // the UI's late flush
	require.Equal(t, "12.", string(typed))
}

// --- images ---

func writePNG(t *testing.T, img image.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "code.png")
	f, err := os.Create(p)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
	return p
}

func withMargin(img image.Image, m int) image.Image {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()+2*m, b.Dy()+2*m))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(x+m, y+m, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

func TestDecodeQRFile(t *testing.T) {
	q, err := qr.New("weixin://wxpay/bizpayurl?pr=abc123 收款", qr.Medium)
	require.NoError(t, err)
	path := writePNG(t, q.Image(256))
	r, err := scanner.DecodeFile(path)
	require.NoError(t, err)
	require.Equal(t, "weixin://wxpay/bizpayurl?pr=abc123 收款", r.Text)
	require.Equal(t, "QR_CODE", r.Format)
}

func TestDecode1D(t *testing.T) {
	for _, tc := range []struct {
		w      gozxing.Writer
		format gozxing.BarcodeFormat
		text   string
		name   string
	}{
		{oned.NewEAN13Writer(), gozxing.BarcodeFormat_EAN_13, "6901234567892", "EAN_13"},
		{oned.NewCode128Writer(), gozxing.BarcodeFormat_CODE_128, "R20250301-0042", "CODE_128"},
		{oned.NewEAN8Writer(), gozxing.BarcodeFormat_EAN_8, "96385074", "EAN_8"},
		{oned.NewCode39Writer(), gozxing.BarcodeFormat_CODE_39, "SKU-42", "CODE_39"},
	} {
		m, err := tc.w.Encode(tc.text, tc.format, 400, 120, nil)
		require.NoError(t, err, tc.name)
		r, err := scanner.DecodeImage(withMargin(m, 20))
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.text, r.Text)
		require.Equal(t, tc.name, r.Format)
	}
}

func TestDecodeNoCodeAndBadFiles(t *testing.T) {
	noise := image.NewGray(image.Rect(0, 0, 200, 200))
	rng := rand.New(rand.NewSource(1))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.Intn(256))
	}
	_, err := scanner.DecodeImage(noise)
	require.ErrorIs(t, err, scanner.ErrNoCode)

	blank := image.NewUniform(color.White)
	_, err = scanner.DecodeImage(image.NewRGBA(image.Rect(0, 0, 0, 0)))
	require.ErrorIs(t, err, scanner.ErrNoCode)
	_ = blank

	_, err = scanner.DecodeFile(filepath.Join(t.TempDir(), "missing.png"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Contains(t, err.Error(), "missing.png")

	txt := filepath.Join(t.TempDir(), "x.png")
	require.NoError(t, os.WriteFile(txt, []byte("not an image"), 0o600))
	_, err = scanner.DecodeFile(txt)
	require.ErrorIs(t, err, scanner.ErrNotImage)
	require.True(t, strings.Contains(err.Error(), "x.png"))
}

func TestHubDecodeFrame(t *testing.T) {
	hub := scanner.NewHub()
	scans, cancel := hub.Subscribe()
	defer cancel()
	q, _ := qr.New("ORDER-77", qr.Low)
	r, err := hub.DecodeFrame(q.Image(200), "camera0")
	require.NoError(t, err)
	require.Equal(t, "ORDER-77", r.Text)
	s := <-scans
	require.Equal(t, scanner.SourceImage, s.Source)
	require.Equal(t, "QR_CODE", s.Format)
}
