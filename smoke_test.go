package main

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// buildBinary compiles the real pos binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pos")
	cmd := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// needTool skips outside CI when an X tool is missing, and fails in CI,
// where `make test` has installed them.
func needTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing; `make deps` installs it", n)
			}
			t.Skipf("%s not installed (make deps installs it)", n)
		}
	}
}

// startXvfb starts a private X server and returns its DISPLAY.
func startXvfb(t *testing.T, w, h int) string {
	t.Helper()
	r, wr, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{wr}
	require.NoError(t, cmd.Start())
	wr.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err, "Xvfb did not report its display")
	return ":" + strings.TrimSpace(line)
}

func xdo(display string, args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

func screenshot(t *testing.T, display, path string) image.Image {
	t.Helper()
	cmd := exec.Command("import", "-window", "root", "png:"+path)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

// distinctColours counts colours in the window area: a blank or
// single-colour screen has one or two; rendered text and widgets have many.
func distinctColours(img image.Image, r image.Rectangle) int {
	seen := map[[3]uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = true
		}
	}
	return len(seen)
}

// TestSmoke_RealWindowUnderXvfb starts the real binary on a fresh data
// folder, waits for the login window, measures cold start, saves
// screenshots of login and (after a keyboard-only login) Settings at
// 1024×768 and 1920×1080, and checks they are not blank.
func TestSmoke_RealWindowUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("real-window smoke test")
	}
	needTool(t, "Xvfb", "xdotool", "import")
	bin := buildBinary(t)
	for _, size := range []struct {
		w, h int
		tag  string
	}{{1024, 768, "1024x768"}, {1920, 1080, "1920x1080"}} {
		t.Run(size.tag, func(t *testing.T) {
			display := startXvfb(t, size.w, size.h)
			dataDir := t.TempDir()
			var stderr bytes.Buffer
			cmd := exec.Command(bin, "--data-dir", dataDir)
			cmd.Env = append(os.Environ(), "DISPLAY="+display)
			cmd.Stderr = &stderr
			start := time.Now()
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			var win string
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				if id, err := xdo(display, "search", "--name", "智能收银台"); err == nil && id != "" {
					win = strings.Fields(id)[0]
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			require.NotEmpty(t, win, "login window never appeared; stderr:\n%s", stderr.String())
			coldStart := time.Since(start)
			time.Sleep(700 * time.Millisecond) // let the first frames render
			img := screenshot(t, display, filepath.Join("docs", "screenshots", "login-"+size.tag+".png"))
			n := distinctColours(img, image.Rect(0, 0, 1000, 700))
			require.Greater(t, n, 20, "login screenshot looks blank (%d colours)", n)

			// The app reports when its login window was shown.
			m := regexp.MustCompile(`login window shown (\d+) ms`).FindStringSubmatch(stderr.String())
			require.NotNil(t, m, "no startup line; stderr:\n%s", stderr.String())
			ms, _ := strconv.Atoi(m[1])
			t.Logf("cold start: window found by xdotool after %v; app reports %d ms", coldStart.Round(time.Millisecond), ms)
			os.WriteFile(filepath.Join("docs", "screenshots", "coldstart-"+size.tag+".txt"),
				[]byte(fmt.Sprintf("window_found_ms=%d app_reported_ms=%d\n", coldStart.Milliseconds(), ms)), 0o644)

			// Keyboard-only login as the demo manager, then Settings shows.
			_, err := xdo(display, "windowfocus", "--sync", win)
			require.NoError(t, err)
			xdo(display, "type", "--delay", "40", "1001")
			xdo(display, "key", "Return")
			xdo(display, "type", "--delay", "40", "8888")
			xdo(display, "key", "Return")
			time.Sleep(1500 * time.Millisecond)
			after := screenshot(t, display, filepath.Join("docs", "screenshots", "counter-"+size.tag+".png"))
			require.Greater(t, distinctColours(after, image.Rect(0, 0, 1000, 700)), 20)
			require.False(t, sameImage(img, after), "login did not change the screen")

			// A sale by keyboard alone: amount, Enter, a scanner-speed burst
			// of the customer's code and Enter; then Ctrl+2 shows Devices
			// with the receipt the virtual printer rendered.
			xdo(display, "type", "--delay", "60", "12.50")
			xdo(display, "key", "Return")
			xdo(display, "type", "--delay", "4", "134567890123456789")
			xdo(display, "key", "--delay", "4", "Return")
			time.Sleep(2 * time.Second)
			xdo(display, "key", "ctrl+2")
			time.Sleep(1500 * time.Millisecond)
			dev := screenshot(t, display, filepath.Join("docs", "screenshots", "devices-"+size.tag+".png"))
			require.Greater(t, distinctColours(dev, image.Rect(0, 0, 1000, 700)), 20)
			require.False(t, sameImage(after, dev), "Ctrl+2 did not open Devices")
		})
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// Without a display the GUI explains itself and exits 1; it never panics.
func TestGUI_NoDisplayIsAnError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	cmd := exec.Command(bin, "--data-dir", t.TempDir())
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, 1, ee.ExitCode())
	require.Contains(t, string(out), "DISPLAY")
	require.NotContains(t, string(out), "panic")
}
