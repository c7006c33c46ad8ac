// Package about shows what this build is and where its data lives.
package about

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"cashier/ui/i18n"
)

// Info describes the running program.
type Info struct {
	Version  string
	DataDir  string
	Database string
	Sandbox  bool
	Channels string // where payments go, e.g. "沙箱 http://127.0.0.1:port"
}

// New builds the About workspace.
func New(in Info) fyne.CanvasObject {
	mode := i18n.T("about.mode.live", "正式")
	if in.Sandbox {
		mode = i18n.T("about.mode.sandbox", "沙箱（演示，不会真实扣款）")
	}
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("about.version", "版本"), widget.NewLabel(in.Version)),
		widget.NewFormItem(i18n.T("about.mode", "运行模式"), widget.NewLabel(mode)),
		widget.NewFormItem(i18n.T("about.channels", "支付通道"), widget.NewLabel(in.Channels)),
		widget.NewFormItem(i18n.T("about.datadir", "数据目录"), widget.NewLabel(in.DataDir)),
		widget.NewFormItem(i18n.T("about.db", "数据库"), widget.NewLabel(in.Database)),
	)
	licence := widget.NewLabel(i18n.T("about.licences", "中文字体：Noto Sans SC（SIL Open Font License 1.1）。界面：Fyne（BSD-3-Clause）。数据库：SQLite（公有领域）。"))
	licence.Wrapping = fyne.TextWrapWord
	return container.NewVBox(
		widget.NewCard(i18n.T("about.title", "智能收银台"), i18n.T("about.sub", "门店收银 · 押金 · 交接班"), form),
		licence,
	)
}
