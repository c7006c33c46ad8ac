package settings

import (
	"context"

	"fyne.io/fyne/v2/widget"

	"cashier/app"
	appsettings "cashier/app/settings"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// DisplaySettings is this terminal's customer display setting (顾客屏;
// app/settings.Service has it). A Service without it offers no choice.
type DisplaySettings interface {
	CustomerDisplay(ctx context.Context) (string, error)
	SaveCustomerDisplay(ctx context.Context, staffID int64, value string) error
}

func displayLabel(v string) string {
	if v == appsettings.DisplayWindow {
		return i18n.T("settings.display.window")
	}
	return i18n.T("settings.display.off")
}

// displayItem is the customer display's row of the terminal's details:
// saved when chosen, by a person with the settings permission (it is the
// terminal's equipment); the window opens or closes at once. Nil when the
// service has no such setting.
func (v *View) displayItem() *widget.FormItem {
	ds, ok := v.deps.Settings.(DisplaySettings)
	if !ok {
		return nil
	}
	var labels []string
	for _, d := range appsettings.CustomerDisplays {
		labels = append(labels, displayLabel(d))
	}
	v.Display = widget.NewSelect(labels, func(label string) { v.chooseDisplay(ds, label) })
	v.Display.Disable() // until loaded, and for good without the permission
	var cur string
	var err error
	async.Run(func() { cur, err = ds.CustomerDisplay(context.Background()) }, func() {
		if err != nil {
			v.Status.SetText(i18n.T("settings.err.load", "Err", i18n.Err(err)))
			return
		}
		v.display = cur // before the picker shows it: showing is not choosing
		v.Display.SetSelected(displayLabel(cur))
		if v.deps.Staff.Has(app.PermSettings) {
			v.Display.Enable()
		}
	})
	return &widget.FormItem{Text: i18n.T("settings.display"), Widget: v.Display, HintText: i18n.T("settings.display.hint")}
}

func (v *View) chooseDisplay(ds DisplaySettings, label string) {
	value := appsettings.DisplayOff
	for _, d := range appsettings.CustomerDisplays {
		if displayLabel(d) == label {
			value = d
		}
	}
	if value == v.display {
		return
	}
	v.Display.Disable()
	v.Status.SetText(i18n.T("settings.saving"))
	staff := v.deps.Staff.ID
	var err error
	async.Run(func() { err = ds.SaveCustomerDisplay(context.Background(), staff, value) }, func() {
		v.Display.Enable()
		if err != nil {
			v.Status.SetText(i18n.T("settings.err.save", "Err", i18n.Err(err)))
			v.Display.SetSelected(displayLabel(v.display)) // back to what is stored
			return
		}
		v.display = value
		v.Status.SetText(i18n.T("settings.saved"))
	})
}
