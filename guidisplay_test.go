package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/settings"
	"cashier/ui/async"
	"cashier/ui/counter"
	"cashier/ui/custdisplay"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
	"cashier/ui/shell"
)

// The customer display follows this terminal's setting: off, no window;
// turned on in Settings, the 顾客屏 window opens at once and shows what
// the Counter sends it; turned off, it closes; it closes with the main
// window too.
func TestCustomerDisplay_FollowsTheSetting(t *testing.T) {
	s := embedded(t)
	ctx := context.Background()
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	sh := shell.New(a, shell.Deps{Auth: s.Auth, Staff: s.DB, Settings: s.Settings, Signals: s.Signals})
	d := startCustomerDisplay(a, s, sh, "好邻居便利店")
	require.Same(t, d, s.CustomerDisplay)
	require.False(t, d.IsOpen(), "off until someone turns it on")

	show := customerDisplay(s)
	require.NotNil(t, show)
	show.ShowCustomer(counter.CustomerView{Phase: counter.CustomerAwaitCode, Due: 4320, Order: app.Order{Total: 4500, Discount: 180,
		Payable: 4320, Lines: []app.OrderLine{{Name: "农夫山泉 550ml", Qty: 2, Amount: 400}}}})

	require.NoError(t, s.Settings.SaveCustomerDisplay(ctx, mgr.ID, settings.DisplayWindow))
	require.True(t, d.IsOpen(), "SignalTerminal opened it")
	require.Equal(t, custdisplay.WindowTitle, d.Window().Title())
	on := strings.Join(screenTexts(d.View().Content()), " | ")
	for _, want := range []string{"请出示付款码", "￥43.20", "农夫山泉 550ml", "-￥1.80", "好邻居便利店"} {
		require.Contains(t, on, want)
	}

	show.ShowCustomer(counter.CustomerView{Phase: counter.CustomerPaid, Change: 180, Order: app.Order{Payable: 4320, Paid: 4320}})
	on = strings.Join(screenTexts(d.View().Content()), " | ")
	require.Contains(t, on, "支付成功")
	require.Contains(t, on, "找零 ￥1.80")

	show.ShowCustomer(counter.CustomerView{Phase: counter.CustomerQR, Due: 4320, QR: "weixin://wxpay/bizpayurl?pr=x",
		Wallet: app.WalletWeChat, Expires: time.Now().Add(time.Minute)})
	require.Contains(t, strings.Join(screenTexts(d.View().Content()), " | "), "请用微信支付扫码付款")

	require.NoError(t, s.Settings.SaveCustomerDisplay(ctx, mgr.ID, settings.DisplayOff))
	require.False(t, d.IsOpen())

	require.NoError(t, s.Settings.SaveCustomerDisplay(ctx, mgr.ID, settings.DisplayWindow))
	require.True(t, d.IsOpen())
	sh.Window().Close()
	require.False(t, d.IsOpen(), "closed with the main window")
}

// The installer may set it from the command line; a value it does not
// take changes nothing.
func TestConfig_CustomerDisplay(t *testing.T) {
	dir := demoFolder(t)
	code, out, errOut := runCmd(t, nil, "--data-dir", dir, "config", "set", "customer_display", "window")
	require.Equal(t, 0, code, out+errOut)
	code, out, _ = runCmd(t, nil, "--data-dir", dir, "config", "get", "customer_display")
	require.Equal(t, 0, code)
	require.Equal(t, "window", strings.TrimSpace(out))
	code, _, errOut = runCmd(t, nil, "--data-dir", dir, "config", "set", "customer_display", "projector")
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "window")
}
