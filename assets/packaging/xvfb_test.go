package packaging_test

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lockedBuffer collects a child's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startXvfb starts a private X server with a black root window and returns
// its DISPLAY once it answers.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-br")
	cmd.ExtraFiles = []*os.File{w}
	var errb lockedBuffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	w.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err, "Xvfb did not report its display: %s", errb.String())
	return ":" + strings.TrimSpace(line)
}

// waitFor polls cond until it holds, the child exits or the deadline
// passes; a slow machine only makes it take longer.
func waitFor(t *testing.T, within time.Duration, what string, exited <-chan struct{}, stderr *lockedBuffer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		select {
		case <-exited:
			t.Fatalf("pos exited before %s:\n%s", what, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s\n%s", what, within, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenshot saves the whole screen as a PNG and says how much of it is
// drawn (per cent of pixels that are not the black root) and how many
// colours it has.
func screenshot(t *testing.T, display, path string) (litPercent, colours int) {
	t.Helper()
	cmd := exec.Command("import", "-window", "root", "png:"+path)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "import: %s", out)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return measure(img)
}

func measure(img image.Image) (litPercent, colours int) {
	b := img.Bounds()
	seen := map[[3]uint32]bool{}
	lit := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r|g|bl != 0 {
				lit++
			}
			if len(seen) < 1000 {
				seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			}
		}
	}
	return lit * 100 / (b.Dx() * b.Dy()), len(seen)
}

func TestMeasure_BlankAndDrawn(t *testing.T) {
	black := image.NewRGBA(image.Rect(0, 0, 10, 10))
	lit, colours := measure(black)
	require.Equal(t, 0, lit)
	require.Equal(t, 1, colours)

	drawn := image.NewRGBA(image.Rect(0, 0, 10, 10))
	for i := range drawn.Pix {
		if i%4 != 3 {
			drawn.Pix[i] = byte(i)
		}
	}
	lit, colours = measure(drawn)
	require.Greater(t, lit, 90, fmt.Sprint(lit))
	require.Greater(t, colours, 16)
}
