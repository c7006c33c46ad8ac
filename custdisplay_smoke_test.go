package main

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/custdisplay"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

// grabWindow saves one X window (not the whole screen) to path.
func grabWindow(display, id, path string) (image.Image, error) {
	cmd := exec.Command("import", "-window", id, "png:"+path)
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

// TestSmoke_CustomerDisplayWindow starts the real binary with the
// customer display turned on from the command line (as an installer
// would): beside the main window a second one titled 顾客屏 opens, is
// found by its title and drawn with the store's welcome; its picture is
// saved as customer-display-window.png (docs/screenshots under `make
// screenshots`).
func TestSmoke_CustomerDisplayWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("real-window smoke test")
	}
	needTool(t, "Xvfb", "xdotool", "import")
	bin := buildBinary(t)
	shots := screenshotDir(t)
	display := startXvfb(t, 1920, 1080)
	dataDir := t.TempDir()
	out, err := exec.Command(bin, "--data-dir", dataDir, "config", "set", SettingCustomerDisplay, "window").CombinedOutput()
	require.NoError(t, err, string(out))

	var stderr lockedBuffer
	cmd := exec.Command(bin, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "TZ=Asia/Shanghai")
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	find := func(title string) string {
		var win string
		eventually(t, 90*time.Second, "the window "+title+" appears; stderr: "+stderr.String(), func() bool {
			id, err := xdo(display, "search", "--name", title)
			if err == nil && id != "" {
				win = strings.Fields(id)[0]
			}
			return win != ""
		})
		return win
	}
	find("智能收银台")
	win := find(custdisplay.WindowTitle)
	path := filepath.Join(shots, "customer-display-window.png")
	// The main window takes the keyboard back and lies on top on a
	// single screen; a person drags the display to its own screen, the
	// test raises it.
	eventually(t, 60*time.Second, "the customer display is drawn", func() bool {
		if _, err := xdo(display, "windowraise", win); err != nil {
			return false
		}
		img, err := grabWindow(display, win, path)
		return err == nil && distinctColours(img, img.Bounds()) > 20
	})
}

// TestSmoke_CustomerDisplayStates draws each state of the customer display
// at 1024×600 — the widgets its window holds, through the test driver, so
// no sale has to be rung up for them — into the screenshot folder as
// customer-display-<state>.png.
func TestSmoke_CustomerDisplayStates(t *testing.T) {
	if testing.Short() {
		t.Skip("screenshots")
	}
	shots := screenshotDir(t)
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	v := custdisplay.New(custdisplay.Deps{StoreName: "好邻居便利店（科技园店）", Now: func() time.Time { return now }})
	t.Cleanup(v.Stop)
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 600))
	lines := []custdisplay.Line{
		{Name: "农夫山泉饮用天然水 550ml", Qty: "2", Amount: 400},
		{Name: "猪肉 0.600kg", Qty: "1", Amount: 3120},
		{Name: "乐事原味薯片 70g", Qty: "1", Amount: 800},
	}
	for _, c := range []struct {
		name string
		s    custdisplay.Screen
	}{
		{"idle", custdisplay.Screen{}},
		{"cart", custdisplay.Screen{Phase: custdisplay.Cart, Lines: lines, Total: 4320, Discount: 120, Due: 4200}},
		{"code", custdisplay.Screen{Phase: custdisplay.AwaitCode, Lines: lines, Total: 4320, Discount: 120, Due: 4200}},
		{"qr", custdisplay.Screen{Phase: custdisplay.QR, Lines: lines, Total: 4320, Due: 4200, QRWallet: app.WalletWeChat,
			QR: "weixin://wxpay/bizpayurl?pr=Ab12Cd3", Expires: now.Add(118 * time.Second)}},
		{"paid", custdisplay.Screen{Phase: custdisplay.Paid, Paid: 4200, Change: 800}},
		{"failed", custdisplay.Screen{Phase: custdisplay.Failed, Due: 4200, Message: "余额不足"}},
	} {
		v.Show(c.s)
		img := w.Canvas().Capture()
		require.Greater(t, distinctColours(img, img.Bounds()), 2, c.name)
		f, err := os.Create(filepath.Join(shots, "customer-display-"+c.name+".png"))
		require.NoError(t, err)
		require.NoError(t, png.Encode(f, img))
		require.NoError(t, f.Close())
	}
}
