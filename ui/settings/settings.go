// Package settings is the Settings workspace: store details (printed on
// receipts), terminal details and cashier mode, and the UI language.
package settings

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Deps is what the workspace needs.
type Deps struct {
	Settings app.Settings
	Staff    app.Staff // who is logged in: saving needs the settings permission
	// OnSaved is told the new details (the shell updates its title bar).
	OnSaved func(app.StoreInfo, app.TerminalInfo)
}

// View is the Settings workspace.
type View struct {
	deps                         Deps
	store                        app.StoreInfo
	term                         app.TerminalInfo
	Name, Address, Phone, Footer *widget.Entry
	TermName                     *widget.Entry
	Mode                         *widget.RadioGroup
	Language                     *widget.Select
	Save                         *widget.Button
	Status                       *widget.Label
	content                      fyne.CanvasObject
}

var modes = []app.CashierMode{app.ModeSale, app.ModeDeposit, app.ModeSaleDeposit}

func modeLabel(m app.CashierMode) string {
	switch m {
	case app.ModeSale:
		return i18n.T("settings.mode.sale", "仅收银")
	case app.ModeDeposit:
		return i18n.T("settings.mode.deposit", "仅押金")
	}
	return i18n.T("settings.mode.both", "收银+押金")
}

var languages = []string{"zh", "en", "system"}

func langLabel(l string) string {
	switch l {
	case "en":
		return "English"
	case "system":
		return i18n.T("settings.lang.system", "跟随系统")
	}
	return "中文"
}

// New builds the workspace and loads the current values in the background.
func New(d Deps) *View {
	v := &View{deps: d}
	v.Name, v.Address, v.Phone, v.Footer = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewMultiLineEntry()
	v.Footer.SetMinRowsVisible(2)
	v.TermName = widget.NewEntry()
	var modeLabels []string
	for _, m := range modes {
		modeLabels = append(modeLabels, modeLabel(m))
	}
	v.Mode = widget.NewRadioGroup(modeLabels, nil)
	v.Mode.Horizontal = true
	var langLabels []string
	for _, l := range languages {
		langLabels = append(langLabels, langLabel(l))
	}
	v.Language = widget.NewSelect(langLabels, nil)
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	v.Save = widget.NewButtonWithIcon(i18n.T("settings.save", "保存"), theme.DocumentSaveIcon(), v.save)
	v.Save.Importance = widget.HighImportance
	if !d.Staff.Has(app.PermSettings) {
		v.Save.Disable()
		v.Status.SetText(i18n.T("settings.readonly", "只有店长或管理员可以修改设置"))
	}

	langNote := i18n.T("settings.lang.note", "重启后生效")
	if !i18n.SettingTakesEffect() {
		langNote = i18n.T("settings.lang.os", "本系统上界面语言跟随操作系统")
	}
	storeForm := widget.NewForm(
		widget.NewFormItem(i18n.T("settings.store.name", "门店名称"), v.Name),
		widget.NewFormItem(i18n.T("settings.store.address", "地址"), v.Address),
		widget.NewFormItem(i18n.T("settings.store.phone", "电话"), v.Phone),
		widget.NewFormItem(i18n.T("settings.store.footer", "小票页脚"), v.Footer),
	)
	termForm := widget.NewForm(
		widget.NewFormItem(i18n.T("settings.terminal.name", "终端名称"), v.TermName),
		widget.NewFormItem(i18n.T("settings.terminal.mode", "收银模式"), v.Mode),
		widget.NewFormItem(i18n.T("settings.language", "界面语言"), container.NewBorder(nil, nil, nil, widget.NewLabel(langNote), v.Language)),
	)
	v.content = container.NewVScroll(container.NewVBox(
		widget.NewCard(i18n.T("settings.store", "门店信息"), i18n.T("settings.store.sub", "打印在小票上"), storeForm),
		widget.NewCard(i18n.T("settings.terminal", "本机终端"), "", termForm),
		container.NewHBox(v.Save), v.Status,
	))
	v.reload()
	return v
}

// Content is the workspace's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

func (v *View) reload() {
	var st app.StoreInfo
	var tm app.TerminalInfo
	var err1, err2 error
	var lang string
	async.Run(func() {
		ctx := context.Background()
		st, err1 = v.deps.Settings.Store.CurrentStore(ctx)
		tm, err2 = v.deps.Settings.Store.CurrentTerminal(ctx)
		lang, _ = v.deps.Settings.Store.GetSetting(ctx, "language", "zh")
	}, func() {
		if err := errors.Join(err1, err2); err != nil {
			v.Status.SetText(i18n.T("settings.err.load", "读取设置失败：{{.Err}}", map[string]any{"Err": err.Error()}))
			return
		}
		v.store, v.term = st, tm
		v.Name.SetText(st.Name)
		v.Address.SetText(st.Address)
		v.Phone.SetText(st.Phone)
		v.Footer.SetText(st.ReceiptFooter)
		v.TermName.SetText(tm.Name)
		v.Mode.SetSelected(modeLabel(tm.CashierMode))
		v.Language.SetSelected(langLabel(lang))
	})
}

func (v *View) save() {
	st := v.store
	st.Name, st.Address, st.Phone, st.ReceiptFooter = v.Name.Text, v.Address.Text, v.Phone.Text, v.Footer.Text
	tm := v.term
	tm.Name = v.TermName.Text
	for _, m := range modes {
		if modeLabel(m) == v.Mode.Selected {
			tm.CashierMode = m
		}
	}
	lang := "zh"
	for _, l := range languages {
		if langLabel(l) == v.Language.Selected {
			lang = l
		}
	}
	if err := errors.Join(st.Validate(), tm.Validate()); err != nil {
		v.Status.SetText(i18n.T("settings.err.invalid", "请检查输入：{{.Err}}", map[string]any{"Err": err.Error()}))
		return
	}
	v.Save.Disable()
	v.Status.SetText(i18n.T("settings.saving", "正在保存…"))
	staff := v.deps.Staff
	var err error
	async.Run(func() {
		ctx := context.Background()
		err = errors.Join(
			v.deps.Settings.SaveStore(ctx, staff, st),
			v.deps.Settings.SaveTerminal(ctx, staff, tm),
			v.deps.Settings.SaveLanguage(ctx, lang),
		)
	}, func() {
		v.Save.Enable()
		if err != nil {
			v.Status.SetText(i18n.T("settings.err.save", "保存失败：{{.Err}}", map[string]any{"Err": err.Error()}))
			return
		}
		v.store, v.term = st, tm
		v.Status.SetText(i18n.T("settings.saved", "已保存"))
		if v.deps.OnSaved != nil {
			v.deps.OnSaved(st, tm)
		}
	})
}
