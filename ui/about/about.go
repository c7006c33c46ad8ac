// Package about shows what this build is and where its data lives.
package about

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/i18n"
)

// Info describes the running program.
type Info struct {
	Version  string
	DataDir  string
	Database string
	Sandbox  bool
	Channels app.Message // where payments go
}

// New builds the About workspace.
func New(in Info) fyne.CanvasObject {
	mode := i18n.T("about.mode.live")
	if in.Sandbox {
		mode = i18n.T("about.mode.sandbox")
	}
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("about.version"), widget.NewLabel(in.Version)),
		widget.NewFormItem(i18n.T("about.mode"), widget.NewLabel(mode)),
		widget.NewFormItem(i18n.T("about.channels"), widget.NewLabel(i18n.M(in.Channels))),
		widget.NewFormItem(i18n.T("about.datadir"), widget.NewLabel(in.DataDir)),
		widget.NewFormItem(i18n.T("about.db"), widget.NewLabel(in.Database)),
	)
	licence := widget.NewLabel(i18n.T("about.licences"))
	licence.Wrapping = fyne.TextWrapWord
	return container.NewVBox(
		widget.NewCard(i18n.T("about.title"), i18n.T("about.sub"), form),
		licence,
	)
}
