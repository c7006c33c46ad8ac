package custdisplay

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

// The window opens titled 顾客屏 with the last screen shown before it
// opened, ignores a close from the customer's side, closes when asked,
// and reopens as it was; a nil display takes Show quietly.
func TestWindow_OpenShowClose(t *testing.T) {
	require.NoError(t, i18n.Use(i18n.Chinese))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	var none *Window
	none.Show(Screen{Phase: Cart}) // the Counter without a display
	require.False(t, none.IsOpen())

	d := NewWindow(a, Deps{StoreName: "好邻居便利店"})
	d.Show(Screen{Phase: AwaitCode, Lines: sample, Total: 4320, Due: 4320})
	require.False(t, d.IsOpen())
	require.Nil(t, d.View())
	before := len(a.Driver().AllWindows())
	d.Open()
	t.Cleanup(d.Close)
	require.True(t, d.IsOpen())
	require.Equal(t, WindowTitle, d.Window().Title())
	s := onScreen(d.View())
	require.Contains(t, s, "请出示付款码")
	require.Contains(t, s, "￥43.20")
	require.Contains(t, s, "好邻居便利店")

	d.Open() // once is enough
	require.Len(t, a.Driver().AllWindows(), before+1)

	d.Show(Screen{Phase: Paid, Paid: 4320})
	require.Contains(t, onScreen(d.View()), "支付成功")

	d.SetStoreName("好邻居便利店（二店）")
	require.Contains(t, onScreen(d.View()), "好邻居便利店（二店）")

	d.Close()
	require.False(t, d.IsOpen())
	d.Show(Screen{Phase: Failed, Message: "余额不足"})
	d.Open()
	require.Contains(t, onScreen(d.View()), "余额不足", "reopened on the last screen")
	require.Contains(t, onScreen(d.View()), "好邻居便利店（二店）")

	// Closed from outside (the app quits): the display forgets the
	// window and can open a new one.
	d.Window().Close()
	require.False(t, d.IsOpen())
	d.Show(Screen{Phase: Cart, Lines: sample, Due: 4320})
	d.Open()
	require.Contains(t, onScreen(d.View()), "农夫山泉 550ml")
}

// A language change rebuilds the open display in the new language.
func TestWindow_Relanguage(t *testing.T) {
	require.NoError(t, i18n.Use(i18n.Chinese))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	a := test.NewTempApp(t)
	d := NewWindow(a, Deps{StoreName: "Store"})
	d.Open()
	t.Cleanup(d.Close)
	d.Show(Screen{Phase: AwaitCode, Due: 100})
	require.NoError(t, i18n.Use(i18n.English))
	d.Relanguage()
	require.Equal(t, "Customer display", d.Window().Title())
	require.Contains(t, onScreen(d.View()), "Please show your payment code")
	d.Window().Resize(fyne.NewSize(1024, 600))
}
