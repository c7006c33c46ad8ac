package products

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/text/width"

	"cashier/app/catalog"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// formWidth is the form's width: its fields and a problem on a line.
const formWidth = 600

// TaxRates are the Chinese VAT rates offered; any other rate may be typed.
var TaxRates = []string{"0%", "1%", "3%", "6%", "9%", "13%"}

// Form is the dialog that adds or edits a product. Nothing is written
// until every field is right; then the catalogue checks it again (and
// refuses a code another product holds, naming that product).
type Form struct {
	ID         int64 // 0: a new product
	Name       *scaninput.Entry
	Codes      *scaninput.Entry // several codes: one a line, or separated by ;
	Price      *scaninput.Entry // yuan
	Unit       *scaninput.Entry
	Category   *scaninput.Entry // with the categories in use to pick from
	Tax        *scaninput.Entry // with the VAT rates to pick from
	Stock      *scaninput.Entry // blank: the store does not count it
	Active     *widget.Check
	NoDiscount *widget.Check
	Problems   *widget.Label // every problem, one a line
	Save       *widget.Button
	Cancel     *widget.Button
	busy       bool
	dlg        *dialog.CustomDialog
}

// OpenNew opens the form for a new product.
func (v *View) OpenNew() *Form {
	f := v.newForm(i18n.T("productsview.form.new"))
	f.Unit.SetText(catalog.DefaultUnit)
	f.Active.SetChecked(true)
	if v.filter.Category != "" {
		f.Category.SetText(v.filter.Category)
	}
	v.showForm(f)
	return f
}

// OpenEdit opens the form on the selected product.
func (v *View) OpenEdit() *Form {
	if v.current == nil {
		return nil
	}
	r := *v.current
	f := v.newForm(i18n.T("productsview.form.edit", "Name", r.Name))
	f.ID = r.ID
	f.Name.SetText(r.Name)
	f.Codes.SetText(strings.Join(r.Barcodes, "\n"))
	f.Price.SetText(r.Price.String())
	f.Unit.SetText(r.Unit)
	f.Category.SetText(r.Category)
	f.Tax.SetText(catalog.FormatTaxRate(r.TaxRate))
	f.Stock.SetText(stockText(r.Stock))
	f.Active.SetChecked(r.Active)
	f.NoDiscount.SetChecked(r.NonDiscountable)
	v.showForm(f)
	return f
}

func (v *View) newForm(title string) *Form {
	f := &Form{}
	for _, e := range []**scaninput.Entry{&f.Name, &f.Codes, &f.Price, &f.Unit, &f.Category, &f.Tax, &f.Stock} {
		*e = scaninput.NewEntry(nil, nil)
		(*e).OnEscape = func() { v.closeForm(f) }
		if e != &f.Codes {
			(*e).OnSubmitted = func(string) { v.submit(f) }
		}
	}
	f.Codes.MultiLine = true
	f.Codes.SetMinRowsVisible(2)
	f.Codes.SetPlaceHolder(i18n.T("productsview.form.codes_hint"))
	f.Price.SetPlaceHolder(i18n.T("productsview.form.price_hint"))
	f.Tax.SetPlaceHolder("0%")
	f.Stock.SetPlaceHolder(i18n.T("productsview.form.stock_hint"))
	v.picker(f.Tax, func() []string { return TaxRates })
	v.picker(f.Category, func() []string { return v.cats })
	f.Active = widget.NewCheck(i18n.T("productsview.form.active"), nil)
	f.NoDiscount = widget.NewCheck(i18n.T("productsview.form.no_discount"), nil)
	f.Problems = widget.NewLabel("")
	f.Problems.Wrapping = fyne.TextWrapWord
	f.Problems.Importance = widget.DangerImportance
	f.Save = widget.NewButtonWithIcon(i18n.T("productsview.form.save"), theme.DocumentSaveIcon(), func() { v.submit(f) })
	f.Save.Importance = widget.HighImportance
	f.Cancel = widget.NewButtonWithIcon(i18n.T("productsview.form.cancel"), theme.CancelIcon(), func() { v.closeForm(f) })
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("productsview.form.name"), f.Name),
		widget.NewFormItem(i18n.T("productsview.form.codes"), f.Codes),
		widget.NewFormItem(i18n.T("productsview.form.price"), f.Price),
		widget.NewFormItem(i18n.T("productsview.form.unit"), f.Unit),
		widget.NewFormItem(i18n.T("productsview.form.category"), f.Category),
		widget.NewFormItem(i18n.T("productsview.form.tax"), f.Tax),
		widget.NewFormItem(i18n.T("productsview.form.stock"), f.Stock),
		widget.NewFormItem("", container.NewHBox(f.Active, f.NoDiscount)),
	)
	f.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(form, f.Problems), v.deps.Window)
	f.dlg.SetButtons([]fyne.CanvasObject{f.Cancel, f.Save})
	return f
}

// picker gives an entry a button that offers choices; the person may
// still type anything.
func (v *View) picker(e *scaninput.Entry, choices func() []string) {
	var btn *widget.Button
	btn = widget.NewButtonWithIcon("", theme.MenuDropDownIcon(), func() {
		if v.deps.Window == nil {
			return
		}
		var items []*fyne.MenuItem
		for _, c := range choices() {
			items = append(items, fyne.NewMenuItem(c, func() { e.SetText(c) }))
		}
		if len(items) == 0 {
			return
		}
		c := v.deps.Window.Canvas()
		widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("", items...), c, fyne.NewPos(0, e.Size().Height), e)
	})
	btn.Importance = widget.LowImportance
	e.ActionItem = btn
}

func (v *View) showForm(f *Form) {
	v.Form = f
	if v.deps.Window == nil {
		return
	}
	f.dlg.Resize(fyne.NewSize(formWidth, 0))
	f.dlg.Show()
	v.focus(f.Name)
}

func (v *View) closeForm(f *Form) {
	if f.dlg != nil {
		f.dlg.Hide()
	}
	if v.Form == f {
		v.Form = nil
	}
}

// product reads the form: the product, and every problem with it in
// words (the catalogue's own checks included, so all show at once), in
// about the order of the fields.
func (f *Form) product() (catalog.Product, []string) {
	var probs []string // of the fields the catalogue does not see as typed
	p := catalog.Product{Name: f.Name.Text, Barcodes: SplitCodes(f.Codes.Text), Unit: f.Unit.Text,
		Category: f.Category.Text, Active: f.Active.Checked, NonDiscountable: f.NoDiscount.Checked}
	price, err := catalog.ParsePrice(fold(f.Price.Text))
	if err != nil {
		probs = append(probs, i18n.T("productsview.form.price_problem", "Err", i18n.Err(err)))
		price = 1 // Validate must not call the unread price 0 as well
	}
	p.Price = price
	if t := fold(f.Tax.Text); t != "" {
		if p.TaxRate, err = catalog.ParseTaxRate(t); err != nil {
			probs = append(probs, i18n.Err(err))
		}
	}
	if s := fold(f.Stock.Text); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < -catalog.MaxStock || n > catalog.MaxStock {
			probs = append(probs, i18n.Err(catalog.ErrStock.With("Value", s)))
		} else {
			p.Stock = &n
		}
	}
	p = p.Normalise()
	all := Problems(p.Validate())
	if len(p.Barcodes) == 0 {
		all = append(all, i18n.Err(catalog.ErrNoCode))
	}
	return p, append(all, probs...)
}

// fold reads digits typed through a Chinese input method (１２.５０) as
// the ASCII the parsers take.
func fold(s string) string { return strings.TrimSpace(width.Fold.String(s)) }

// SplitCodes reads the codes field: one a line, or separated by ; (or
// a comma, or spaces: a code holds none of them).
func SplitCodes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case '\n', '\r', '\t', ' ', '\u3000', ';', '；', ',', '，', '|', '｜':
			return true
		}
		return false
	})
}

func (f *Form) show(probs []string) {
	lines := make([]string, len(probs))
	for i, p := range probs {
		lines[i] = "• " + p
	}
	f.Problems.SetText(strings.Join(lines, "\n"))
	if f.dlg != nil {
		f.dlg.Resize(fyne.NewSize(formWidth, 0)) // grows to hold them
	}
}

// submit saves the form when every field is right; otherwise, or when the
// catalogue refuses, it shows every problem and writes nothing.
func (v *View) submit(f *Form) {
	if f.busy {
		return
	}
	p, probs := f.product()
	if len(probs) > 0 {
		f.show(probs)
		return
	}
	f.busy = true
	f.Save.Disable()
	f.Problems.SetText("")
	staff, store := v.deps.Staff.ID, v.storeID
	var id int64
	var err error
	v.run(func() { id, err = v.deps.Catalog.Save(context.Background(), staff, store, f.ID, p) }, func() {
		f.busy = false
		f.Save.Enable()
		if err != nil {
			f.show(Problems(err))
			return
		}
		v.closeForm(f)
		if f.ID == 0 {
			v.Status.SetText(i18n.T("productsview.added", "Name", p.Name))
		} else {
			v.Status.SetText(i18n.T("productsview.saved", "Name", p.Name))
		}
		v.reload(id)
	})
}
