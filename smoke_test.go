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
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/localdb"
	"cashier/sync/channel/setup"
)

// buildBinary compiles the real pos binary once per test process (into
// testDir, which TestMain removes); every test gets the same file.
func buildBinary(t *testing.T) string {
	t.Helper()
	b := builtBinary()
	require.NoError(t, b.err, b.out)
	return b.bin
}

type build struct {
	bin, out string
	err      error
}

var builtBinary = sync.OnceValue(func() build {
	bin := filepath.Join(testDir, "pos")
	out, err := exec.Command("go", "build", "-tags", "migrated_fynedo,sqlite_fts5", "-o", bin, ".").CombinedOutput()
	return build{bin, string(out), err}
})

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

// eventually polls cond until it holds or the deadline passes; a busy
// machine only makes it take longer, never fail early.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s%s", what, within, failShot(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// displays is the X display each smoke test runs on, so a step that
// times out can say what was on the screen.
var displays sync.Map // *testing.T → display

// failShot saves the screen of t's display, when it has one, outside the
// test's temporary folders (a failure on a busy CI machine is otherwise
// hard to read) and says where.
func failShot(t *testing.T) string {
	d, ok := displays.Load(t)
	if !ok {
		return ""
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("pos-smoke-fail-%s-%d.png", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), time.Now().Unix()))
	if _, err := grab(d.(string), path); err != nil {
		return fmt.Sprintf(" (no screenshot: %v)", err)
	}
	return " (the screen: " + path + ")"
}

// startXvfb starts a private X server and returns its DISPLAY once it
// answers.
func startXvfb(t *testing.T, w, h int) string {
	t.Helper()
	r, wr, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{wr}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	wr.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err, "Xvfb did not report its display: %s", errb.String())
	display := ":" + strings.TrimSpace(line)
	eventually(t, 120*time.Second, "Xvfb answers on "+display, func() bool {
		_, err := xdo(display, "getdisplaygeometry")
		return err == nil
	})
	displays.Store(t, display)
	t.Cleanup(func() { displays.Delete(t) })
	return display
}

func xdo(display string, args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// screenshotDir is where the smoke test saves its pictures: a temporary
// folder, or docs/screenshots when `make screenshots` asks
// (POS_SCREENSHOTS), so `make test` leaves the tree unchanged.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("POS_SCREENSHOTS"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.TempDir()
}

func grab(display, path string) (image.Image, error) {
	cmd := exec.Command("import", "-window", "root", "png:"+path)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

// shotWhen takes screenshots until cond holds for one (the window has
// drawn, changed ...), keeping the last in path.
func shotWhen(t *testing.T, display, path, what string, cond func(image.Image) bool) image.Image {
	t.Helper()
	var img image.Image
	eventually(t, 120*time.Second, what, func() bool {
		var err error
		img, err = grab(display, path)
		return err == nil && cond(img)
	})
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

func drawn(img image.Image) bool { return distinctColours(img, image.Rect(0, 0, 1000, 700)) > 20 }

// TestSmoke_RealWindowUnderXvfb starts the real binary on a fresh data
// folder, waits for the login window, measures cold start, logs in by
// keyboard, takes a payment with a scanner-speed burst, and opens Devices
// with Ctrl+2, at 1024×768 and 1920×1080, checking each screen is drawn
// and changed. Every wait has a deadline; none is a fixed sleep.
func TestSmoke_RealWindowUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("real-window smoke test")
	}
	needTool(t, "Xvfb", "xdotool", "import")
	bin := buildBinary(t)
	shots := screenshotDir(t)
	for _, size := range []struct {
		w, h int
		tag  string
	}{{1024, 768, "1024x768"}, {1920, 1080, "1920x1080"}} {
		t.Run(size.tag, func(t *testing.T) {
			display := startXvfb(t, size.w, size.h)
			dataDir := t.TempDir()
			var stderr lockedBuffer
			cmd := exec.Command(bin, "--data-dir", dataDir)
			// The till's clock is the demo store's (Shenzhen): the times on
			// screen and the business day the shift report names agree.
			cmd.Env = append(os.Environ(), "DISPLAY="+display, "TZ=Asia/Shanghai")
			cmd.Stderr = &stderr
			start := time.Now()
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			var win string
			eventually(t, 180*time.Second, "the login window appears; stderr: "+stderr.String(), func() bool {
				id, err := xdo(display, "search", "--name", "智能收银台")
				if err == nil && id != "" {
					win = strings.Fields(id)[0]
				}
				return win != ""
			})
			coldStart := time.Since(start)
			png := func(name string) string { return filepath.Join(shots, name+"-"+size.tag+".png") }
			login := shotWhen(t, display, png("login"), "the login screen is drawn", drawn)

			// The app reports when its login window was shown.
			var m []string
			eventually(t, 90*time.Second, "the start-up line", func() bool {
				m = regexp.MustCompile(`login window shown (\d+) ms`).FindStringSubmatch(stderr.String())
				return m != nil
			})
			ms, _ := strconv.Atoi(m[1])
			t.Logf("cold start: window found by xdotool after %v; app reports %d ms", coldStart.Round(time.Millisecond), ms)
			require.NoError(t, os.WriteFile(filepath.Join(shots, "coldstart-"+size.tag+".txt"),
				[]byte(fmt.Sprintf("window_found_ms=%d app_reported_ms=%d\n", coldStart.Milliseconds(), ms)), 0o644))

			// Keyboard-only login as the demo manager, then the Counter.
			_, err := xdo(display, "windowfocus", "--sync", win)
			require.NoError(t, err)
			xdo(display, "type", "--delay", "40", "1001")
			xdo(display, "key", "Return")
			xdo(display, "type", "--delay", "40", "8888")
			xdo(display, "key", "Return")
			// Settled, not just changed: the Counter takes the keyboard once
			// it is laid out, and keys typed before that go nowhere.
			counter := settled(t, display, png("counter"), "login changes the screen to the Counter", login)

			// A sale by keyboard alone: amount, Enter, a scanner-speed burst
			// of the customer's code and Enter; the Counter shows the
			// result. Then Ctrl+2 shows Devices with the receipt the virtual
			// printer rendered.
			xdo(display, "type", "--delay", "60", "12.50")
			xdo(display, "key", "Return")
			xdo(display, "type", "--delay", "4", "134567890123456789")
			xdo(display, "key", "--delay", "4", "Return")
			eventually(t, 120*time.Second, "the order is paid and its receipt printed", func() bool {
				return count(t, dataDir, `SELECT count(*) FROM orders WHERE status='paid'`) == 1 &&
					count(t, dataDir, `SELECT count(*) FROM print_jobs WHERE state='printed'`) == 1
			})
			// The Counter ticks the seconds while it waits for the channel:
			// the paid screen is the one that stays still for longer than
			// a tick.
			paid := quiet(t, display, png("counter-paid"), "the payment shows on the Counter", counter, 1500*time.Millisecond)
			xdo(display, "key", navDevices)
			devices := shotWhen(t, display, png("devices"), "Ctrl+3 opens Devices", func(img image.Image) bool {
				return drawn(img) && !sameImage(paid, img)
			})
			shiftHandover(t, display, dataDir, png, devices)
		})
	}
}

// The demo manager's navigation (guiwiring.go's order, every workspace
// offered to a manager on a 收银+押金 terminal): Counter, Deposits,
// Devices, Staff, Shift, Store transactions, Reports, Reconciliation,
// Products.
const (
	navCounter      = "ctrl+1"
	navDeposits     = "ctrl+2"
	navDevices      = "ctrl+3"
	navShift        = "ctrl+5"
	navTransactions = "ctrl+6"
	navReports      = "ctrl+7"
	navReconcile    = "ctrl+8"
	navProducts     = "ctrl+9"
)

// shiftHandover clocks the demo manager on and off again by keyboard
// alone, from the Shift workspace: the clock-on dialog (Space on
// the focused button, the float, Enter), a sale on the shift, then the
// blind count (Enter between the denominations), the review and Enter to
// confirm. Each screen is saved once it has changed and settled, so a key
// never reaches a screen still being drawn.
func shiftHandover(t *testing.T, display, dataDir string, png func(string) string, before image.Image) {
	step := func(name, what string, prev image.Image) image.Image {
		return settled(t, display, png(name), what, prev)
	}
	scratch := t.TempDir()
	// between is a step whose screen the docs need not show.
	between := func(name, what string, prev image.Image) image.Image {
		return settled(t, display, filepath.Join(scratch, name+".png"), what, prev)
	}
	xdo(display, "key", navShift)
	off := step("shift", "the Shift workspace opens", before)
	xdo(display, "key", "space")
	step("shift-clock-on", "the clock-on dialog opens", off)
	xdo(display, "key", "ctrl+a")
	xdo(display, "type", "--delay", "40", "200")
	xdo(display, "key", "Return")
	eventually(t, 90*time.Second, "the manager is on shift", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM shift WHERE ended_at IS NULL AND opening_float = 20000`) == 1
	})
	on := step("shift-on", "the dialog closes on the open shift", off)

	// A sale on the shift, so its takings show.
	xdo(display, "key", navCounter)
	counter := between("shift-counter", "the Counter opens", on)
	xdo(display, "type", "--delay", "60", "8.80")
	xdo(display, "key", "Return")
	xdo(display, "type", "--delay", "4", "134567890123456790")
	xdo(display, "key", "--delay", "4", "Return")
	eventually(t, 120*time.Second, "the sale on the shift is paid", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM takings WHERE shift_id IS NOT NULL AND kind='sale'`) == 1
	})
	paid := between("shift-counter-paid", "the sale shows on the Counter", counter)
	xdo(display, "key", navShift)
	on = step("shift-on", "the Shift workspace shows the open shift and its takings", paid)

	// Two deposits at the front desk: one consumed at check-out, one
	// still held when the shift is handed over.
	desk := depositDesk(t, display, dataDir, png, on)
	xdo(display, "key", navShift)
	on = between("shift-on-again", "back to the Shift workspace", desk)

	// Clock off: the blind count (1×100, 1×50, 2×20 and 5.50 in coins:
	// 195.50 against 200.00 expected), by keyboard.
	xdo(display, "key", "space")
	wizard := between("handover-start", "the blind count opens", on)
	for _, n := range []string{"1", "1", "2", "", "", "", "", ""} {
		if n != "" {
			xdo(display, "type", "--delay", "40", n)
		}
		xdo(display, "key", "Return")
	}
	xdo(display, "type", "--delay", "40", "5.50")
	count1 := step("handover-count", "the blind count", wizard)
	xdo(display, "key", "Return")
	review := step("handover-review", "the handover review", count1)
	xdo(display, "key", "Return")
	eventually(t, 90*time.Second, "the shift is closed with its handover", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM shift WHERE ended_at IS NOT NULL AND counted = 19550 AND expected = 20000`) == 1
	})
	done := step("handover-done", "the handover is done", review)
	xdo(display, "key", navTransactions)
	tx := step("transactions", "the store's transactions open", done)
	xdo(display, "key", navReports)
	summary := step("reports-summary", "today's summary with its chart", tx)
	xdo(display, "key", "F3")
	details := step("reports-details", "the transaction details", summary)
	xdo(display, "key", "F4")
	bills := step("reports-bills", "the month by day with its chart", details)
	xdo(display, "key", navReconcile)
	recon := step("reconcile", "the reconciliation view opens on yesterday", bills)
	xdo(display, "key", "Next") // today: the day's sales and deposits are in the sandbox's bill
	xdo(display, "key", "F5")
	eventually(t, 120*time.Second, "today is reconciled", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM reconcile_run`) >= 1
	})
	recon = quiet(t, display, png("reconcile-run"), "the day's result", recon, 1500*time.Millisecond)
	xdo(display, "key", navProducts)
	products := step("products", "the Products workspace opens", recon)
	counterStates(t, display, dataDir, png, products)
}

// depositDesk takes two deposits at the front desk by keyboard and the
// scanner alone (the form, the guest's code, the frozen banner), lists the
// open ones, opens one and consumes part of it at check-out, keeping each
// screen for docs/deposits.md.
func depositDesk(t *testing.T, display, dataDir string, png func(string) string, before image.Image) image.Image {
	step := func(name, what string, prev image.Image) image.Image {
		return settled(t, display, png(name), what, prev)
	}
	typeText := func(s string) {
		delay := "40"
		if strings.ContainsFunc(s, func(r rune) bool { return r > 0x7f }) {
			// Each Chinese character makes xdotool remap a spare key; typed
			// quickly, the window still reads the old map and drops it.
			delay = "250"
		}
		if s != "" {
			xdo(display, "type", "--delay", delay, s)
		}
	}
	typeLine := func(s string) {
		typeText(s)
		xdo(display, "key", "Return")
	}
	scratch := t.TempDir()
	// take fills the form, waits for the code prompt on screen (a scan
	// is a burst of keys into whichever field has the cursor: at a desk
	// the guest's code comes after the prompt), then scans the code.
	take := func(fields []string, code string, n int, prev image.Image) {
		xdo(display, "key", "F2")
		form := settled(t, display, filepath.Join(scratch, "form.png"), "the take form", prev)
		for _, f := range fields[:len(fields)-1] {
			typeLine(f)
		}
		typeText(fields[len(fields)-1])
		filled := settled(t, display, filepath.Join(scratch, "filled.png"), "the form filled in", form)
		xdo(display, "key", "Return")
		eventually(t, 90*time.Second, "the deposit's order is written", func() bool {
			return count(t, dataDir, `SELECT count(*) FROM orders WHERE kind='deposit'`) == n
		})
		settled(t, display, filepath.Join(scratch, "prompt.png"), "the code prompt", filled)
		xdo(display, "type", "--delay", "4", code)
		xdo(display, "key", "--delay", "4", "Return")
		eventually(t, 120*time.Second, "the deposit is frozen", func() bool {
			return count(t, dataDir, `SELECT count(*) FROM deposit WHERE state='frozen'`) == n
		})
	}
	xdo(display, "key", navDeposits)
	open := step("deposits", "the deposit desk opens", before)
	take([]string{"500", "1208", "陈静", "13812345678", "两晚"}, "134567890123456791", 1, open)
	taken := quiet(t, display, png("deposits-taken"), "the frozen banner", open, 1500*time.Millisecond)
	take([]string{"300", "0806", "王芳", "", ""}, "134567890123456792", 2, taken)
	second := quiet(t, display, filepath.Join(scratch, "second.png"), "the second deposit", taken, 1500*time.Millisecond)
	xdo(display, "key", "F4")
	list := step("deposits-open", "the open deposits", second)
	xdo(display, "key", "Return")
	detail := step("deposits-detail", "a deposit's details", list)
	xdo(display, "key", "F6")
	xdo(display, "type", "--delay", "60", "120")
	consume := step("deposits-consume", "the amount to charge and what goes back", detail)
	xdo(display, "key", "Return")
	eventually(t, 120*time.Second, "the deposit is consumed", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM deposit WHERE state='consumed' AND consumed=12000`) == 1
	})
	return quiet(t, display, png("deposits-settled"), "charged and returned", consume, 1500*time.Millisecond)
}

// counterStates rings up a sale as a cashier would, by keyboard and the
// scanner alone, and keeps each state of the Counter for the docs: the
// cart, the cash prompt, paid with change, a payment QR (then cancelled),
// a held cart and the held list, the refund screen over the Counter and
// today's orders.
func counterStates(t *testing.T, display, dataDir string, png func(string) string, before image.Image) {
	step := func(name, what string, prev image.Image) image.Image {
		return settled(t, display, png(name), what, prev)
	}
	scan := func(code string) { // a scanner's burst: far faster than a person types
		xdo(display, "type", "--delay", "4", code)
		xdo(display, "key", "--delay", "4", "Return")
	}
	threeProducts := func() {
		for i := range 3 {
			scan(localdb.DemoBarcode(i))
		}
	}
	xdo(display, "key", navCounter)
	empty := step("counter-empty", "the Counter opens", before)
	threeProducts()
	xdo(display, "type", "--delay", "60", "kl")
	search := step("counter-search", "the search as you type", empty)
	xdo(display, "key", "Return")
	cart := step("counter-cart", "the cart with four lines", search)
	// A key that opens a prompt is followed by the next keys only once the
	// prompt is on screen: typed sooner (a loaded machine), they go to
	// the scan line.
	scratch := t.TempDir()
	xdo(display, "key", "F7")
	prompt := settled(t, display, filepath.Join(scratch, "cash-prompt.png"), "the cash prompt", cart)
	xdo(display, "type", "--delay", "60", "50")
	cash := step("counter-cash", "the cash prompt with the change", prompt)
	xdo(display, "key", "Return")
	eventually(t, 90*time.Second, "the cash sale is paid", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM tender WHERE kind='cash' AND cash_received = 5000`) == 1
	})
	paid := quiet(t, display, png("counter-paid-change"), "paid with the change", cash, time.Second)

	threeProducts()
	rung := settled(t, display, filepath.Join(scratch, "rung.png"), "three products rung up", paid)
	xdo(display, "key", "F8")
	chooser := settled(t, display, filepath.Join(scratch, "qr-chooser.png"), "the wallet chooser", rung)
	xdo(display, "key", "Return") // 1: WeChat
	qr := quiet(t, display, png("counter-qr"), "the payment QR", chooser, 1500*time.Millisecond)
	xdo(display, "key", "Escape")
	eventually(t, 120*time.Second, "the QR payment is cancelled", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM payment_intent WHERE qr = 1 AND state IN ('closed','reversed','failed')`) == 1
	})
	closed := quiet(t, display, png("counter-qr-cancelled"), "the cancelled QR", qr, time.Second)
	xdo(display, "key", "Escape") // the order: void it
	xdo(display, "key", "Return")
	eventually(t, 90*time.Second, "the order is voided", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM orders WHERE status = 'closed'`) >= 1
	})
	voided := quiet(t, display, filepath.Join(t.TempDir(), "voided.png"), "the order is voided", closed, time.Second)

	threeProducts()
	rung = settled(t, display, filepath.Join(scratch, "rung-again.png"), "three products rung up again", voided)
	xdo(display, "key", "F5")
	settled(t, display, filepath.Join(scratch, "hold-prompt.png"), "the hold prompt", rung)
	xdo(display, "type", "--delay", "60", "A")
	xdo(display, "key", "Return")
	eventually(t, 90*time.Second, "the cart is held", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM held_order`) == 1
	})
	held := quiet(t, display, filepath.Join(t.TempDir(), "held.png"), "the cart is held", voided, time.Second)
	xdo(display, "key", "F6")
	list := step("counter-held", "the held carts", held)
	xdo(display, "key", "Escape")
	back := step("counter-after-held", "the held list closes", list)
	xdo(display, "key", "F9")
	refund := step("counter-refund", "the refund screen over the Counter", back)
	xdo(display, "key", "Escape")
	back = settled(t, display, filepath.Join(t.TempDir(), "back.png"), "the refund screen closes", refund)
	xdo(display, "key", "F10")
	step("counter-today", "today's orders over the Counter", back)
	xdo(display, "key", "Escape")
}

// quiet takes screenshots until one differs from prev and the screen has
// not changed for at least still.
func quiet(t *testing.T, display, path, what string, prev image.Image, still time.Duration) image.Image {
	t.Helper()
	var last image.Image
	var since time.Time
	eventually(t, 120*time.Second, what, func() bool {
		img, err := grab(display, path)
		if err != nil || !drawn(img) || sameImage(prev, img) {
			last = nil
			return false
		}
		if last == nil || !sameImage(last, img) {
			last, since = img, time.Now()
			return false
		}
		return time.Since(since) >= still
	})
	return last
}

// settled takes screenshots until one differs from prev and the next is
// the same as it (the screen has finished changing), keeping it in path.
func settled(t *testing.T, display, path, what string, prev image.Image) image.Image {
	t.Helper()
	var last image.Image
	eventually(t, 120*time.Second, what, func() bool {
		img, err := grab(display, path)
		if err != nil || !drawn(img) || sameImage(prev, img) {
			last = nil
			return false
		}
		done := last != nil && sameImage(last, img)
		last = img
		return done
	})
	return last
}

// count reads a number from the app's database beside it (read-only, as
// `pos db check` does while the app runs).
func count(t *testing.T, dataDir, query string) int {
	db, err := localdb.OpenExisting(dbPath(dataDir))
	if err != nil {
		return -1
	}
	defer db.Close()
	var n int
	if err := db.Read().QueryRow(query).Scan(&n); err != nil {
		return -1
	}
	return n
}

// sameImage compares two screenshots coarsely; the text cursor's blink is
// too thin to count.
func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	diff := 0
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			if a.At(x, y) != b.At(x, y) {
				diff++
			}
		}
	}
	return diff < 40
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
	require.NotContains(t, string(out), "Error parsing user locale", "no Fyne locale noise")
}

// TestSmoke_FirstStartOnALiveFolder is an installer's first start: a data
// folder holding only a channels.json (pointing at a separately started
// `pos sandbox`) opens on the set-up form; it is filled in by keyboard
// alone, the login window replaces it, the new administrator logs in and
// takes a payment that reaches that gateway. No demo data appears.
func TestSmoke_FirstStartOnALiveFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("real-window smoke test")
	}
	needTool(t, "Xvfb", "xdotool", "import")
	bin := buildBinary(t)
	shots := screenshotDir(t)
	base, gwDir, channelsJSON := separateSandbox(t)
	dataDir := t.TempDir()
	f, err := setup.LoadFile(channelsJSON)
	require.NoError(t, err)
	require.NoError(t, f.Write(filepath.Join(dataDir, setup.FileName)))

	display := startXvfb(t, 1024, 768)
	var stderr lockedBuffer
	cmd := exec.Command(bin, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	findWin := func() string {
		id, err := xdo(display, "search", "--onlyvisible", "--name", "智能收银台")
		if err != nil || id == "" {
			return ""
		}
		return strings.Fields(id)[0]
	}
	var win string
	eventually(t, 180*time.Second, "the set-up window appears; stderr: "+stderr.String(), func() bool {
		win = findWin()
		return win != ""
	})
	form := shotWhen(t, display, filepath.Join(shots, "setup-1024x768.png"), "the set-up form is drawn", drawn)
	require.Zero(t, count(t, dataDir, `SELECT count(*) FROM staff`), "no demo staff in a live folder")

	_, err = xdo(display, "windowfocus", "--sync", win)
	require.NoError(t, err)
	for _, step := range []string{"Corner Shop 7", "", "9001", "Zhao", "246810", "246810"} {
		if step != "" {
			xdo(display, "type", "--delay", "30", step)
		}
		xdo(display, "key", "Return")
	}
	eventually(t, 120*time.Second, "the folder is set up; stderr: "+stderr.String(), func() bool {
		return count(t, dataDir, `SELECT count(*) FROM staff WHERE code='9001'`) == 1
	})
	// Settled, not just changed: the staff number field takes the
	// keyboard once the window is laid out, and digits typed before that
	// go nowhere (a busy machine lost the first two of 9001).
	login := settled(t, display, filepath.Join(shots, "setup-done-1024x768.png"), "the login window replaces the form", form)
	require.Equal(t, 1, count(t, dataDir, `SELECT count(*) FROM staff`), "only the administrator")
	require.Zero(t, count(t, dataDir, `SELECT count(*) FROM product`), "no demo products")

	eventually(t, 90*time.Second, "the main window", func() bool {
		win = findWin()
		return win != ""
	})
	_, err = xdo(display, "windowfocus", "--sync", win)
	require.NoError(t, err)
	xdo(display, "type", "--delay", "40", "9001")
	xdo(display, "key", "Return")
	xdo(display, "type", "--delay", "40", "246810")
	xdo(display, "key", "Return")
	eventually(t, 90*time.Second, "the administrator is logged in", func() bool {
		return count(t, dataDir, `SELECT count(*) FROM audit_log WHERE action='login'`) == 1
	})
	shotWhen(t, display, filepath.Join(shots, "setup-counter-1024x768.png"), "the administrator reaches the Counter", func(img image.Image) bool {
		// the workspace's navigation fills the left edge the login screen leaves empty
		return drawn(img) && !sameImage(login, img) && distinctColours(img, image.Rect(0, 90, 180, 240)) > 8
	})
	xdo(display, "type", "--delay", "60", "3.20")
	xdo(display, "key", "Return")
	xdo(display, "type", "--delay", "4", "134567890123456001")
	xdo(display, "key", "--delay", "4", "Return")
	var outTrade string
	eventually(t, 120*time.Second, "the order is paid", func() bool {
		db, err := localdb.OpenExisting(dbPath(dataDir))
		if err != nil {
			return false
		}
		defer db.Close()
		return db.Read().QueryRow(`SELECT out_trade_no FROM payment_intent WHERE state='paid'`).Scan(&outTrade) == nil
	})
	require.Contains(t, getLedger(t, base, gwDir), outTrade, "the payment went to the separate gateway")
	require.NoDirExists(t, filepath.Join(dataDir, "sandbox"), "no embedded sandbox on a live folder")
}
