// Package settings is the Settings workspace: store details (printed on
// receipts), the shift handover's variance threshold and the layout of the
// store's label scales, the payment mode and discount floor the Counter
// reads, terminal details and cashier mode, and the UI language.
package settings

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	appsettings "cashier/app/settings"
	"cashier/ui/async"
	"cashier/ui/backofficesync"
	"cashier/ui/i18n"
)

// Service is what the workspace needs: the settings use cases
// (app/settings.Service). Saving tells every open screen (the shell's
// title, the counter's cashier mode, the language) through the signal hub.
type Service interface {
	Current(ctx context.Context) (app.StoreInfo, app.TerminalInfo, error)
	Language(ctx context.Context) (string, error)
	Save(ctx context.Context, staffID int64, s app.StoreInfo, t app.TerminalInfo) error
	SaveLanguage(ctx context.Context, language string) error
	VarianceThreshold(ctx context.Context) (app.Money, error)
	SaveAll(ctx context.Context, staffID int64, st app.StoreInfo, t app.TerminalInfo, threshold app.Money) error
}

// Deps is what the workspace needs.
type Deps struct {
	Settings Service
	Staff    app.Staff // who is logged in: saving needs the settings permission (checked again when saving)
	// Override asks a manager to allow one save for someone without the
	// permission (ui/override); nil: not offered.
	Override func(perm string, then func())
	// Sync is the back-office sync: with it the page shows 后台同步
	// (ui/backofficesync), given Window and Scans. Nil: not shown.
	Sync   backofficesync.Sync
	Window fyne.Window
	Scans  func() (<-chan string, func())
}

// View is the Settings workspace.
type View struct {
	deps                         Deps
	store                        app.StoreInfo
	term                         app.TerminalInfo
	lang                         string    // the stored language setting, as loaded or last saved
	threshold                    app.Money // the stored variance threshold, as loaded or last saved
	Name, Address, Phone, Footer *widget.Entry
	Threshold                    *widget.Entry  // the shift handover's variance threshold, in yuan
	Scale                        *widget.Select // what the store's label scales print (app.ScaleLayouts)
	PayMode                      *widget.Select // how the Counter charges (app.PaymentModes)
	Floor                        *widget.Entry  // the discount floor, percent of the list price (0 none)
	TermName                     *widget.Entry
	Mode                         *widget.RadioGroup
	Language                     *widget.Select
	Display                      *widget.Select // 顾客屏: this terminal's customer display (nil: not offered)
	display                      string         // the stored customer display setting, as loaded or last saved
	Save                         *widget.Button
	Approve                      *widget.Button // 店长授权: a manager allows one save
	Status                       *widget.Label
	JobsSection                  *JobsSection         // 定时任务 (nil: the service has no jobs)
	SyncSection                  *backofficesync.View // 后台同步 (nil: no sync)
	content                      fyne.CanvasObject
}

var modes = []app.CashierMode{app.ModeSale, app.ModeDeposit, app.ModeSaleDeposit}

func modeLabel(m app.CashierMode) string {
	switch m {
	case app.ModeSale:
		return i18n.T("settings.mode.sale")
	case app.ModeDeposit:
		return i18n.T("settings.mode.deposit")
	}
	return i18n.T("settings.mode.both")
}

func langLabel(l string) string {
	switch l {
	case appsettings.LanguageEnglish:
		return "English"
	case appsettings.LanguageSystem:
		return i18n.T("settings.lang.system")
	}
	return "中文"
}

// ScaleName names a scale-label layout (app.ScaleLayouts).
func ScaleName(layout string) string {
	switch layout {
	case "none":
		return i18n.T("settings.scale.none")
	case "price13":
		return i18n.T("settings.scale.price13")
	case "weight13":
		return i18n.T("settings.scale.weight13")
	case "gs1price":
		return i18n.T("settings.scale.gs1price")
	}
	return layout
}

// PaymentModeName names a store payment mode (app.PaymentModes).
func PaymentModeName(m app.PaymentMode) string {
	switch m.Or() {
	case app.PaymentTotalNonDiscount:
		return i18n.T("settings.payment.total_nondiscount")
	case app.PaymentConsumeDeposit:
		return i18n.T("settings.payment.consume_deposit")
	case app.PaymentDefault:
		return i18n.T("settings.payment.default")
	}
	return string(m)
}

// paymentMode is the mode a label of the picker stands for; "" for none.
func paymentMode(label string) app.PaymentMode {
	for _, m := range app.PaymentModes {
		if PaymentModeName(m) == label {
			return m
		}
	}
	return ""
}

// parseFloor reads the discount floor typed: a whole percent 0..100, ""
// is 0 (no floor).
func parseFloor(text string) (int, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), "%"))
	if t == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, app.ErrDiscountFloor.With("Value", text)
	}
	return n, app.CheckDiscountFloor(n)
}

// scaleLayout is the layout a label of the picker stands for; "" for none
// of them (nothing chosen yet).
func scaleLayout(label string) string {
	for _, l := range app.ScaleLayouts {
		if ScaleName(l) == label {
			return l
		}
	}
	return ""
}

// langSetting is the setting a label of the picker stands for.
func langSetting(label string) string {
	for _, l := range appsettings.Languages {
		if langLabel(l) == label {
			return l
		}
	}
	return appsettings.DefaultLanguage
}

// New builds the workspace and loads the current values in the background.
func New(d Deps) *View {
	v := &View{deps: d}
	v.Name, v.Address, v.Phone, v.Footer = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewMultiLineEntry()
	v.Footer.SetMinRowsVisible(2)
	v.Threshold = widget.NewEntry()
	v.TermName = widget.NewEntry()
	var scales []string
	for _, l := range app.ScaleLayouts {
		scales = append(scales, ScaleName(l))
	}
	v.Scale = widget.NewSelect(scales, nil)
	var payModes []string
	for _, m := range app.PaymentModes {
		payModes = append(payModes, PaymentModeName(m))
	}
	v.PayMode = widget.NewSelect(payModes, nil)
	v.Floor = widget.NewEntry()
	v.Floor.SetPlaceHolder("0")
	var modeLabels []string
	for _, m := range modes {
		modeLabels = append(modeLabels, modeLabel(m))
	}
	v.Mode = widget.NewRadioGroup(modeLabels, nil)
	v.Mode.Horizontal = true
	var langLabels []string
	for _, l := range appsettings.Languages {
		langLabels = append(langLabels, langLabel(l))
	}
	// Anyone may choose their language: it is saved when chosen, apart
	// from the store and terminal details (which need the permission).
	v.Language = widget.NewSelect(langLabels, v.chooseLanguage)
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	v.Save = widget.NewButtonWithIcon(i18n.T("settings.save"), theme.DocumentSaveIcon(), v.save)
	v.Save.Importance = widget.HighImportance
	if !d.Staff.Has(app.PermSettings) {
		v.Save.Disable()
		v.Status.SetText(i18n.T("settings.readonly"))
	}
	v.Approve = widget.NewButtonWithIcon(i18n.T("override.button"), theme.AccountIcon(), func() {
		v.deps.Override(app.PermSettings, v.save)
	})
	if d.Override == nil || d.Staff.Has(app.PermSettings) {
		v.Approve.Hide()
	}

	langNote := i18n.T("settings.lang.note")
	if !i18n.SettingTakesEffect() {
		langNote = i18n.T("settings.lang.os")
	}
	storeForm := widget.NewForm(
		widget.NewFormItem(i18n.T("settings.store.name"), v.Name),
		widget.NewFormItem(i18n.T("settings.store.address"), v.Address),
		widget.NewFormItem(i18n.T("settings.store.phone"), v.Phone),
		widget.NewFormItem(i18n.T("settings.store.footer"), v.Footer),
		&widget.FormItem{Text: i18n.T("settings.store.threshold"), Widget: v.Threshold, HintText: i18n.T("settings.store.threshold_hint")},
		&widget.FormItem{Text: i18n.T("settings.store.scale"), Widget: v.Scale, HintText: i18n.T("settings.store.scale_hint")},
		&widget.FormItem{Text: i18n.T("settings.store.payment_mode"), Widget: v.PayMode, HintText: i18n.T("settings.store.payment_mode_hint")},
		&widget.FormItem{Text: i18n.T("settings.store.floor"), Widget: v.Floor, HintText: i18n.T("settings.store.floor_hint")},
	)
	termForm := widget.NewForm(
		widget.NewFormItem(i18n.T("settings.terminal.name"), v.TermName),
		widget.NewFormItem(i18n.T("settings.terminal.mode"), v.Mode),
		widget.NewFormItem(i18n.T("settings.language"), container.NewBorder(nil, nil, nil, widget.NewLabel(langNote), v.Language)),
	)
	if it := v.displayItem(); it != nil {
		termForm.AppendItem(it)
	}
	box := container.NewVBox(
		widget.NewCard(i18n.T("settings.store"), i18n.T("settings.store.sub"), storeForm),
		widget.NewCard(i18n.T("settings.terminal"), "", termForm),
		container.NewHBox(v.Save, v.Approve), v.Status,
	)
	if d.Sync != nil {
		v.SyncSection = backofficesync.New(backofficesync.Deps{Sync: d.Sync, Staff: d.Staff, Window: d.Window, Scans: d.Scans})
		box.Add(v.SyncSection.Content())
	}
	v.addJobs(box)
	v.content = container.NewVScroll(box)
	v.reload()
	return v
}

// Content is the workspace's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Stop ends what the page listens to (the 后台同步 section's
// subscriptions and the keys it takes); the shell calls it when the page
// is left.
func (v *View) Stop() {
	if v.SyncSection != nil {
		v.SyncSection.Stop()
	}
}

func (v *View) reload() {
	var st app.StoreInfo
	var tm app.TerminalInfo
	var err, langErr, thErr error
	var lang string
	var threshold app.Money
	async.Run(func() {
		ctx := context.Background()
		st, tm, err = v.deps.Settings.Current(ctx)
		lang, langErr = v.deps.Settings.Language(ctx)
		threshold, thErr = v.deps.Settings.VarianceThreshold(ctx)
	}, func() {
		if langErr == nil {
			v.lang = lang // before the picker shows it: showing is not choosing
			v.Language.SetSelected(langLabel(lang))
		}
		if e := errors.Join(err, langErr, thErr); e != nil {
			v.Status.SetText(i18n.T("settings.err.load", "Err", e))
		}
		if err != nil || thErr != nil {
			v.Save.Disable() // nothing loaded to save over
			return
		}
		v.threshold = threshold
		v.Threshold.SetText(threshold.String())
		v.store, v.term = st, tm
		v.Name.SetText(st.Name)
		v.Address.SetText(st.Address)
		v.Phone.SetText(st.Phone)
		v.Footer.SetText(st.ReceiptFooter)
		v.Scale.SetSelected(ScaleName(st.ScaleLayout))
		v.PayMode.SetSelected(PaymentModeName(st.PaymentMode))
		v.Floor.SetText(strconv.Itoa(st.DiscountFloorPct))
		v.TermName.SetText(tm.Name)
		v.Mode.SetSelected(modeLabel(tm.CashierMode))
	})
}

// chooseLanguage saves the language picked, for anyone. A change of
// language rebuilds every screen (the shell follows SignalLanguage), this
// one included; choosing one that shows the same words keeps it.
func (v *View) chooseLanguage(label string) {
	lang := langSetting(label)
	if lang == v.lang {
		return
	}
	v.Language.Disable()
	v.Status.SetText(i18n.T("settings.saving"))
	var err error
	async.Run(func() {
		err = v.deps.Settings.SaveLanguage(context.Background(), lang)
	}, func() {
		v.Language.Enable()
		if err != nil {
			v.Status.SetText(i18n.T("settings.err.save", "Err", err))
			if v.lang != "" {
				v.Language.SetSelected(langLabel(v.lang)) // back to what is stored
			}
			return
		}
		v.lang = lang
		v.Status.SetText(i18n.T("settings.saved"))
	})
}

func (v *View) save() {
	st := v.store
	st.Name, st.Address, st.Phone, st.ReceiptFooter = v.Name.Text, v.Address.Text, v.Phone.Text, v.Footer.Text
	if l := scaleLayout(v.Scale.Selected); l != "" {
		st.ScaleLayout = l
	}
	if m := paymentMode(v.PayMode.Selected); m != "" {
		st.PaymentMode = m
	}
	floor, floorErr := parseFloor(v.Floor.Text)
	if floorErr == nil {
		st.DiscountFloorPct = floor
	}
	tm := v.term
	tm.Name = v.TermName.Text
	for _, m := range modes {
		if modeLabel(m) == v.Mode.Selected {
			tm.CashierMode = m
		}
	}
	threshold, thErr := app.ParseMoneyWith(v.Threshold.Text, app.MoneyRules{AllowZero: true, Ceiling: appsettings.MaxVarianceThreshold})
	if thErr != nil {
		thErr = appsettings.ErrThreshold.With("Value", v.Threshold.Text, "Max", appsettings.MaxVarianceThreshold)
	}
	if err := errors.Join(st.Validate(), tm.Validate(), thErr, floorErr); err != nil {
		v.Status.SetText(i18n.T("settings.err.invalid", "Err", err))
		return
	}
	v.Save.Disable()
	v.Status.SetText(i18n.T("settings.saving"))
	staff, oldThreshold := v.deps.Staff, v.threshold
	var err error
	async.Run(func() {
		ctx := context.Background()
		if threshold != oldThreshold {
			err = v.deps.Settings.SaveAll(ctx, staff.ID, st, tm, threshold)
		} else {
			err = v.deps.Settings.Save(ctx, staff.ID, st, tm)
		}
	}, func() {
		if v.deps.Staff.Has(app.PermSettings) {
			v.Save.Enable()
		}
		if err != nil {
			v.Status.SetText(i18n.T("settings.err.save", "Err", err))
			if v.deps.Override != nil && errors.Is(err, app.ErrNoPermission) && !errors.Is(err, app.ErrStaffDisabled) {
				v.Approve.Show()
			}
			return
		}
		v.threshold = threshold
		v.Threshold.SetText(threshold.String())
		v.Floor.SetText(strconv.Itoa(st.DiscountFloorPct))
		v.store, v.term = st, tm
		v.Status.SetText(i18n.T("settings.saved"))
	})
}
