package products

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/catalog"
	"cashier/localdb"
	"cashier/sync/catalogfile"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
)

// The workspace over the real catalogue service and SQLite, with the demo
// store's 52 products (12 of them drinks, 饮料) and its manager 1001.

// files are product files on disk through sync/catalogfile, as the GUI
// reads and writes them.
type files struct{}

type sheet struct {
	*catalogfile.Reader
	f *os.File
}

func (s sheet) Close() error { s.Reader.Close(); return s.f.Close() }

func (files) Read(path string) (Sheet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	rd, err := catalogfile.Open(f, filepath.Base(path))
	if err != nil {
		f.Close()
		return nil, err
	}
	return sheet{rd, f}, nil
}

func (files) Write(path string, f Format, english bool, rows iter.Seq[catalog.Row]) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	h := catalogfile.HeaderChinese
	if english {
		h = catalogfile.HeaderEnglish
	}
	if f == XLSX {
		return catalogfile.WriteXLSX(out, rows, h)
	}
	return catalogfile.WriteCSV(out, rows, h)
}

type labels struct{ printed []catalog.Record }

func (l *labels) PrintShelfLabel(_ context.Context, r catalog.Record) error {
	l.printed = append(l.printed, r)
	return nil
}

// queue is a UI goroutine the test drives: work runs on goroutines of its
// own, and each result waits until the test applies it, so a test decides
// (and sees) the order results arrive in.
type queue struct {
	ch      chan func()
	pending atomic.Int32
}

func newQueue() *queue { return &queue{ch: make(chan func(), 4096)} }

func (q *queue) Run(work, apply func()) {
	q.pending.Add(1)
	go func() {
		work()
		q.ch <- apply
	}()
}

func (q *queue) Do(f func()) {
	q.pending.Add(1)
	q.ch <- f
}

// next applies the next result to arrive.
func (q *queue) next(t *testing.T) {
	t.Helper()
	select {
	case f := <-q.ch:
		q.pending.Add(-1)
		f()
	case <-time.After(10 * time.Second):
		t.Fatal("no result arrived")
	}
}

// settle applies results until no work is left.
func (q *queue) settle(t *testing.T) {
	t.Helper()
	for q.pending.Load() > 0 {
		q.next(t)
	}
}

type rig struct {
	t      *testing.T
	db     *localdb.DB
	svc    catalog.Service
	store  int64
	mgr    app.Staff
	v      *View
	w      fyne.Window
	labels *labels
	dir    string
}

type option func(*Deps)

func newRig(t *testing.T, opts ...option) *rig {
	t.Helper()
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	require.NoError(t, i18n.Use(i18n.Chinese))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := app.NewManualClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	_, err = db.SeedDemo(ctx, auth.PINHasher{Cost: bcrypt.MinCost}, clock.Now())
	require.NoError(t, err)
	st, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	mgr, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1024, 768))
	r := &rig{t: t, db: db, store: st.ID, mgr: mgr, w: w, labels: &labels{}, dir: t.TempDir(),
		svc: catalog.Service{Store: db, Permits: auth.Rules{Store: db}, Clock: clock}}
	d := Deps{Catalog: r.svc, Store: db, Files: files{}, Labels: r.labels, Staff: mgr, Window: w, Now: clock.Now,
		ChooseSave: func(name string, then func(string)) { then(filepath.Join(r.dir, name)) }}
	for _, o := range opts {
		o(&d)
	}
	r.v = New(d)
	w.SetContent(r.v.Content())
	return r
}

// names is the name column of every row shown.
func (r *rig) names() []string {
	var out []string
	for i := 0; i < r.v.Rows(); i++ {
		out = append(out, r.v.Text(i, colName))
	}
	return out
}

func (r *rig) rowOf(name string) int {
	r.t.Helper()
	for i := 0; i < r.v.Rows(); i++ {
		if r.v.Text(i, colName) == name {
			return i
		}
	}
	r.t.Fatalf("%s is not listed", name)
	return -1
}

func (r *rig) pick(name string) catalog.Record {
	r.t.Helper()
	r.v.Table.Select(widget.TableCellID{Row: r.rowOf(name), Col: 0})
	c := r.v.Current()
	require.NotNil(r.t, c)
	require.Equal(r.t, name, c.Name)
	return *c
}

func (r *rig) product(code string) (catalog.Record, bool) {
	r.t.Helper()
	found, err := r.svc.Search(context.Background(), r.store, code, catalog.Filter{})
	require.NoError(r.t, err)
	for _, f := range found {
		if f.Rank == catalog.RankExactCode {
			return f.Record, true
		}
	}
	return catalog.Record{}, false
}

func (r *rig) count() int {
	r.t.Helper()
	ids, err := r.svc.IDs(context.Background(), r.store, catalog.Filter{})
	require.NoError(r.t, err)
	return len(ids)
}

func (r *rig) audits() int {
	r.t.Helper()
	lines, err := r.db.ListAudit(context.Background(), localdb.AuditFilter{Limit: 10000})
	require.NoError(r.t, err)
	return len(lines)
}

// gtin makes a valid EAN-13 from 12 digits.
func gtin(payload string) string {
	d, _ := catalog.CheckDigit(payload)
	return payload + string(d)
}

// The list shows the store's products by name, each column in words, with
// the count; the name column takes the width the others leave.
func TestProducts_ListAndCount(t *testing.T) {
	r := newRig(t)
	v := r.v
	require.Equal(t, localdb.DemoProductCount, v.Rows())
	require.Equal(t, "共 52 个商品", v.Count.Text)
	i := r.rowOf("农夫山泉饮用天然水 550ml")
	require.Equal(t, localdb.DemoBarcode(0), v.Text(i, 0))
	require.Equal(t, "￥2.00", v.Text(i, 2))
	require.Equal(t, "瓶", v.Text(i, 3))
	require.Equal(t, "饮料", v.Text(i, 4))
	require.Equal(t, "13%", v.Text(i, 5))
	require.Equal(t, "启用", v.Text(i, 6))
	require.Equal(t, "", v.Text(i, 7), "stock not counted: blank")

	ids, err := r.svc.IDs(context.Background(), r.store, catalog.Filter{})
	require.NoError(t, err)
	recs, err := r.svc.Products(context.Background(), r.store, ids)
	require.NoError(t, err)
	var want []string
	for _, rec := range recs {
		want = append(want, rec.Name)
	}
	require.Equal(t, want, r.names(), "the catalogue's order, by name")
	require.Greater(t, v.Table.Size().Width, float32(700))

	// Stock, when counted, and several codes: the first is shown.
	n := int64(-3)
	rec := r.pick("茶叶蛋")
	rec.Stock, rec.Barcodes = &n, append(rec.Barcodes, "EGG-01")
	_, err = r.svc.Save(context.Background(), r.mgr.ID, r.store, rec.ID, rec.Product)
	require.NoError(t, err)
	v.reload(rec.ID)
	require.Equal(t, "-3", v.Text(r.rowOf("茶叶蛋"), 7))
	require.Equal(t, rec.Barcodes[0], v.Text(r.rowOf("茶叶蛋"), 0))
	require.Equal(t, "1,000,000", Thousands(1_000_000))
	require.Equal(t, "999", Thousands(999))
	require.Equal(t, "共 1,000,000 个商品", i18n.T("productsview.count", "N", Thousands(1_000_000)))
}

// The list reads its rows a page at a time and keeps only a few pages: a
// row far down is read when shown, and reading it drops the page shown
// longest ago. The rows are the catalogue's in order across pages.
func TestProducts_PagesAreReadWhenShownAndBounded(t *testing.T) {
	full := newRig(t).names()
	r := newRig(t, func(d *Deps) { d.PageSize, d.MaxPages = 10, 2 })
	require.Contains(t, r.v.pages.got, 0, "the first page comes with the ids")
	require.NotContains(t, r.v.pages.got, 4, "a page not shown is not read")
	require.Equal(t, full, r.names(), "page by page, the same rows")
	require.LessOrEqual(t, len(r.v.pages.got), 2, "at most MaxPages kept")

	r.v.Table.ScrollTo(widget.TableCellID{Row: 47, Col: 1})
	require.Contains(t, r.v.pages.got, 4, "the rows shown are read")
	require.LessOrEqual(t, len(r.v.pages.got), 2)
}

// On a slow read a row shows "…" until its page arrives; of the pages a
// fast scroll asked for, the newest is read first and the oldest are
// forgotten.
func TestProducts_PagesNewestFirst(t *testing.T) {
	p := newPages(make([]int64, 1000), 10, 3)
	for i := 0; i < 12; i++ {
		_, ok := p.Row(i * 10)
		require.False(t, ok)
	}
	require.Len(t, p.want, maxWanted)
	n, ids, ok := p.Next()
	require.True(t, ok)
	require.Equal(t, 11, n)
	require.Len(t, ids, 10)
	_, _, ok = p.Next()
	require.False(t, ok, "one read at a time")
	p.Put(11, nil)
	n, _, _ = p.Next()
	require.Equal(t, 10, n)

	q := newQueue()
	r := newRig(t, func(d *Deps) { d.Run, d.Do, d.PageSize = q.Run, q.Do, 10 })
	q.settle(t)
	require.Equal(t, 52, r.v.Rows())
	c := widget.NewLabel("")
	r.v.updateCell(widget.TableCellID{Row: 45, Col: colName}, c)
	require.Equal(t, "…", c.Text, "not read yet")
	q.settle(t)
	r.v.updateCell(widget.TableCellID{Row: 45, Col: colName}, c)
	require.NotEqual(t, "…", c.Text)
	require.Equal(t, r.names()[45], c.Text)
}

// The category and state filters narrow the list (and the count).
func TestProducts_Filters(t *testing.T) {
	r := newRig(t)
	v := r.v
	require.Contains(t, v.Category.Options, "饮料")
	require.Equal(t, "全部分类", v.Category.Options[0])
	v.Category.SetSelected("饮料")
	require.Equal(t, 12, v.Rows())
	require.Equal(t, "共 12 个商品", v.Count.Text)
	for i := 0; i < v.Rows(); i++ {
		require.Equal(t, "饮料", v.Text(i, 4))
	}

	v.State.SetSelected("已停用")
	require.Zero(t, v.Rows())
	v.State.SetSelected("全部")
	cola := r.pick("可口可乐 330ml")
	require.NoError(t, r.svc.SetActive(context.Background(), r.mgr.ID, r.store, cola.ID, false))
	v.State.SetSelected("已停用")
	require.Equal(t, []string{"可口可乐 330ml"}, r.names())
	require.Equal(t, "已停用", v.Text(0, 6))
	v.State.SetSelected("启用")
	require.Equal(t, 11, v.Rows())
	v.Category.SetSelected("全部分类")
	require.Equal(t, 51, v.Rows())
}

// The search runs as the person types: pinyin initials, a name, a code
// prefix, ranked by the catalogue, within the filter; Esc clears it.
func TestProducts_SearchAsYouType(t *testing.T) {
	r := newRig(t)
	v := r.v
	r.w.Canvas().Focus(v.Search)
	test.Type(v.Search, "nfsq")
	require.Equal(t, []string{"农夫山泉饮用天然水 550ml"}, r.names())
	require.Equal(t, "找到 1 个商品", v.Count.Text)

	v.Search.SetText("牛奶")
	names := r.names()
	require.Contains(t, names, "伊利纯牛奶 250ml")
	require.Contains(t, names, "德芙丝滑牛奶巧克力 43g")
	for _, n := range names {
		require.Contains(t, n, "牛奶")
	}
	v.Category.SetSelected("乳品")
	require.NotContains(t, r.names(), "德芙丝滑牛奶巧克力 43g", "within the filter")
	v.Category.SetSelected("全部分类")

	code := localdb.DemoBarcode(3)
	v.Search.SetText(code)
	require.Equal(t, code, v.Text(0, 0), "the exact code first")
	v.Search.SetText(code[:9])
	require.Greater(t, v.Rows(), 1)
	for i := 0; i < v.Rows(); i++ {
		require.True(t, strings.HasPrefix(v.Text(i, 0), code[:9]))
	}

	v.Search.SetText("x")
	test.Type(v.Search, "qzq") // nothing
	require.Zero(t, v.Rows())
	require.Equal(t, "找到 0 个商品", v.Count.Text)

	v.Search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.Empty(t, v.Search.Text)
	require.Equal(t, 52, v.Rows())
	require.Equal(t, "共 52 个商品", v.Count.Text)

	// Enter takes the keyboard to the list, on its first row.
	test.Type(v.Search, "kkkl")
	v.Search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.Equal(t, "可口可乐 330ml", v.Current().Name)
	require.Same(t, v.Table, r.w.Canvas().Focused())
	// Enter on the list edits the product.
	v.Table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.NotNil(t, v.Form)
	require.Equal(t, "可口可乐 330ml", v.Form.Name.Text)
}

// gated holds the search of some queries until released.
type gated struct {
	Catalog
	gate map[string]chan struct{}
}

func (g gated) Search(_ context.Context, storeID int64, q string, f catalog.Filter) ([]catalog.Found, error) {
	if ch, ok := g.gate[q]; ok {
		<-ch
	}
	// A stale search is not cut short here: its result must be dropped.
	return g.Catalog.Search(context.Background(), storeID, q, f)
}

// The newest keystroke's result is what shows, whichever search finishes
// first: an older one finishing later never overwrites it, and one
// finishing earlier is not shown in between.
func TestProducts_StaleSearchNeverOverwritesNewer(t *testing.T) {
	q := newQueue()
	g := gated{gate: map[string]chan struct{}{"k": make(chan struct{}), "kkk": make(chan struct{})}}
	r := newRig(t, func(d *Deps) {
		g.Catalog = d.Catalog
		d.Catalog, d.Run, d.Do = g, q.Run, q.Do
	})
	q.settle(t)
	v := r.v

	// An older keystroke finishing after a newer one.
	v.Search.SetText("k")  // held
	v.Search.SetText("kk") // runs
	q.next(t)
	newer := r.names()
	require.NotEmpty(t, newer)
	close(g.gate["k"])
	q.next(t) // "k" arrives late
	require.Equal(t, newer, r.names(), "the older result is dropped")
	require.Equal(t, fmt.Sprintf("找到 %d 个商品", len(newer)), v.Count.Text)

	// An older keystroke finishing before a newer one still running.
	v.Search.SetText("kkkl") // runs
	v.Search.SetText("kkk")  // held
	q.next(t)                // "kkkl" arrives: not the newest any more
	require.Equal(t, newer, r.names(), "not shown: a newer keystroke is waiting")
	close(g.gate["kkk"])
	q.settle(t)
	require.Contains(t, r.names(), "可口可乐 330ml")
	require.Equal(t, "kkk", v.query)
}

func fill(f *Form, name, codes, price, unit, category, tax, stock string) {
	f.Name.SetText(name)
	f.Codes.SetText(codes)
	f.Price.SetText(price)
	f.Unit.SetText(unit)
	f.Category.SetText(category)
	f.Tax.SetText(tax)
	f.Stock.SetText(stock)
}

// A new product with bad input is refused with every problem at once, in
// words, and nothing is written.
func TestProducts_AddBadInputShowsEveryProblem(t *testing.T) {
	r := newRig(t)
	before := r.audits()
	f := r.v.OpenNew()
	require.Same(t, f.Name, r.w.Canvas().Focused(), "the name takes the keyboard")
	require.Equal(t, "件", f.Unit.Text)
	require.True(t, f.Active.Checked)
	fill(f, " ", "6901234567891;ABC DEF;中文码", "12.345", "件", "", "200%", "十个")
	test.Tap(f.Save)
	for _, want := range []string{
		"商品名称不能为空",
		"价格：金额最多两位小数",
		"条码 6901234567891 的校验位不对",
		"条码 中文码 含有不允许的字符",
		"税率须在 0% 到 100% 之间",
		"库存「十个」应为整数",
	} {
		require.Contains(t, f.Problems.Text, want)
	}
	require.Len(t, strings.Split(f.Problems.Text, "\n"), 6, "one line a problem:\n%s", f.Problems.Text)
	require.Same(t, f, r.v.Form, "the form stays open")

	fill(f, "好丽友派", "", "0", "", "", "", "")
	test.Tap(f.Save)
	require.Contains(t, f.Problems.Text, "价格：金额必须大于0")
	require.Contains(t, f.Problems.Text, "商品至少要有一个条码或货号")
	fill(f, "好丽友派", "P1", "100000", "", "", "", "")
	f.Price.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.Contains(t, f.Problems.Text, "价格：金额超过上限")

	require.Equal(t, 52, r.count(), "nothing written")
	require.Equal(t, before, r.audits())
	f.Name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.Nil(t, r.v.Form, "Esc closes it")
}

// A good new product is saved by keyboard (Enter), audited, listed and
// selected; full-width digits from a Chinese input method are read.
func TestProducts_AddGood(t *testing.T) {
	r := newRig(t)
	code := gtin("690999000001")
	f := r.v.OpenNew()
	fill(f, "好丽友派 6枚", code+"\nORION-6", "１２.５０", "盒", "零食", "13%", "24")
	f.NoDiscount.SetChecked(true)
	f.Stock.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.Empty(t, f.Problems.Text)
	require.Nil(t, r.v.Form, "closed once saved")
	require.Equal(t, "已添加「好丽友派 6枚」", r.v.Status.Text)

	p, ok := r.product(code)
	require.True(t, ok)
	require.Equal(t, []string{code, "ORION-6"}, p.Barcodes)
	require.Equal(t, app.Money(1250), p.Price)
	require.Equal(t, 1300, p.TaxRate)
	require.True(t, p.Active)
	require.True(t, p.NonDiscountable)
	require.Equal(t, int64(24), *p.Stock)
	require.Equal(t, 53, r.v.Rows())
	require.Equal(t, "共 53 个商品", r.v.Count.Text)
	require.Equal(t, p.ID, r.v.Current().ID, "the new product is selected")
	lines, err := r.db.ListAudit(context.Background(), localdb.AuditFilter{Limit: 1})
	require.NoError(t, err)
	require.Equal(t, "product_add", lines[0].Action)
	require.Equal(t, r.mgr.ID, lines[0].StaffID)

	// A code of another product is refused, naming it; nothing is written.
	f = r.v.OpenNew()
	fill(f, "假冒可乐", localdb.DemoBarcode(2), "3", "罐", "饮料", "", "")
	test.Tap(f.Save)
	require.Equal(t, "• 条码 "+localdb.DemoBarcode(2)+" 已被商品「可口可乐 330ml」使用", f.Problems.Text)
	require.Equal(t, 53, r.count())
}

// Editing changes the product (the list shows it, the selection stays);
// taking another product's code is refused naming that product.
func TestProducts_Edit(t *testing.T) {
	r := newRig(t)
	rec := r.pick("雪碧 500ml")
	f := r.v.OpenEdit()
	require.Equal(t, "雪碧 500ml", f.Name.Text)
	require.Equal(t, "3.50", f.Price.Text)
	require.Equal(t, "13%", f.Tax.Text)
	require.Equal(t, rec.Barcodes[0], f.Codes.Text)
	f.Price.SetText("3.80")
	f.Tax.SetText("9%")
	f.Codes.SetText(rec.Barcodes[0] + "; SPRITE500")
	test.Tap(f.Save)
	require.Nil(t, r.v.Form)
	require.Equal(t, "已保存「雪碧 500ml」", r.v.Status.Text)
	got, ok := r.product("SPRITE500")
	require.True(t, ok)
	require.Equal(t, rec.ID, got.ID)
	require.Equal(t, app.Money(380), got.Price)
	require.Equal(t, 900, got.TaxRate)
	require.Equal(t, rec.ID, r.v.Current().ID, "still selected")
	i := r.rowOf("雪碧 500ml")
	require.Equal(t, "￥3.80", r.v.Text(i, 2))
	require.Equal(t, "9%", r.v.Text(i, 5))

	f = r.v.OpenEdit()
	f.Codes.SetText(rec.Barcodes[0] + "\n" + localdb.DemoBarcode(0))
	test.Tap(f.Save)
	require.Contains(t, f.Problems.Text, "已被商品「农夫山泉饮用天然水 550ml」使用")
	got, _ = r.product("SPRITE500")
	require.Equal(t, []string{rec.Barcodes[0], "SPRITE500"}, got.Barcodes, "unchanged")
}

// Disable and enable the selected product; the button says which.
func TestProducts_DisableEnable(t *testing.T) {
	r := newRig(t)
	rec := r.pick("茶叶蛋")
	require.Equal(t, "停用", r.v.Toggle.Text)
	test.Tap(r.v.Toggle)
	got, _ := r.product(rec.Barcodes[0])
	require.False(t, got.Active)
	require.Equal(t, "已停用「茶叶蛋」：收银台不再卖它", r.v.Status.Text)
	require.Equal(t, "已停用", r.v.Text(r.rowOf("茶叶蛋"), 6))
	require.Equal(t, "启用", r.v.Toggle.Text)
	_, err := r.svc.Scan(context.Background(), r.store, rec.Barcodes[0])
	require.ErrorIs(t, err, catalog.ErrInactive)

	test.Tap(r.v.Toggle)
	got, _ = r.product(rec.Barcodes[0])
	require.True(t, got.Active)
	require.Equal(t, "已启用「茶叶蛋」", r.v.Status.Text)
	require.Equal(t, "停用", r.v.Toggle.Text)
}

// Without the permission (taken away after login) a change is refused in
// words and nothing is written.
func TestProducts_RefusedWithoutPermission(t *testing.T) {
	r := newRig(t)
	clerk, _, err := r.db.StaffByCode(context.Background(), "1003")
	require.NoError(t, err)
	require.False(t, clerk.Has(app.PermProductManage))
	r.v.deps.Staff = clerk
	rec := r.pick("茶叶蛋")
	test.Tap(r.v.Toggle)
	require.Contains(t, r.v.Status.Text, "未保存：")
	require.NotContains(t, r.v.Status.Text, "内部错误")
	got, _ := r.product(rec.Barcodes[0])
	require.True(t, got.Active)
	f := r.v.OpenEdit()
	f.Price.SetText("9.99")
	test.Tap(f.Save)
	require.NotEmpty(t, f.Problems.Text)
	require.NotContains(t, f.Problems.Text, "内部错误")
	got, _ = r.product(rec.Barcodes[0])
	require.Equal(t, rec.Price, got.Price)
}

// The selected product's shelf label goes to the printer; without one
// the button is not offered.
func TestProducts_PrintLabel(t *testing.T) {
	r := newRig(t)
	require.True(t, r.v.Print.Disabled(), "nothing selected")
	rec := r.pick("茶叶蛋")
	test.Tap(r.v.Print)
	require.Len(t, r.labels.printed, 1)
	require.Equal(t, rec.ID, r.labels.printed[0].ID)
	require.Equal(t, "「茶叶蛋」的价签已发送到打印机", r.v.Status.Text)

	r2 := newRig(t, func(d *Deps) { d.Labels = nil })
	require.False(t, r2.v.Print.Visible())
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

// The dry run of a file with bad rows lists every one with its line and
// reasons in words, offers no import and writes nothing.
func TestProducts_ImportDryRunListsBadRows(t *testing.T) {
	r := newRig(t)
	before := r.audits()
	good := gtin("690999000002")
	path := writeFile(t, r.dir, "新品.csv", "名称,条码,价格,单位,分类,备注\n"+
		"好丽友派,"+good+",12.50,盒,零食,x\n"+ // 2: good
		"坏校验,6901234567891,3.00,瓶,饮料,\n"+ // 3
		"三位小数,"+gtin("690999000003")+",1.234,瓶,饮料,\n"+ // 4
		","+gtin("690999000004")+",2.00,瓶,饮料,\n"+ // 5: no name
		"重复条码,"+good+",2.00,瓶,饮料,\n"+ // 6
		"零元,"+gtin("690999000005")+",0,瓶,饮料,\n") // 7
	d := r.v.ImportFile(path)
	require.Equal(t, []string{
		"第 3 行「坏校验」：条码 6901234567891 的校验位不对，请重新扫描或核对",
		"第 4 行「三位小数」：价格「1.234」：金额最多两位小数",
		"第 5 行：商品名称不能为空",
		"第 6 行「重复条码」：条码 " + good + " 在第 2 行已出现过",
		"第 7 行「零元」：价格「0」：金额必须大于0",
	}, d.BadRows)
	require.Contains(t, d.Summary.Text, "共 6 行，其中 5 行有问题")
	require.Contains(t, d.Summary.Text, "没有导入任何商品")
	require.Contains(t, d.Note.Text, "备注", "the column that is not a product field")
	require.False(t, d.Go.Visible(), "no import offered")
	require.Equal(t, 52, r.count())
	require.Equal(t, before, r.audits())
	_, ok := r.product(good)
	require.False(t, ok)

	// A file that is no product file is refused before any row.
	d = r.v.ImportFile(writeFile(t, r.dir, "x.csv", "\x00\x01\x02garbage\xff\xfe"))
	require.Contains(t, d.Summary.Text, "无法识别文件的编码")
	require.False(t, d.Go.Visible())
	d = r.v.ImportFile(filepath.Join(r.dir, "missing.csv"))
	require.Contains(t, d.Summary.Text, "无法导入这个文件")
	require.False(t, d.Go.Visible())
}

// A clean file is offered for import after its dry run; the import shows
// its progress through reading, checking and writing to the end, then the
// result; the list shows the new products.
func TestProducts_CleanImportWithProgress(t *testing.T) {
	type step struct {
		stage string
		bar   float64
	}
	var steps []step
	var r *rig
	r = newRig(t, func(d *Deps) {
		d.Do = func(f func()) {
			f()
			if imp := r.v.Importing; imp != nil {
				steps = append(steps, step{imp.Stage.Text, imp.Bar.Value})
			}
		}
	})
	var b strings.Builder
	b.WriteString("name,barcode,price,unit,category\n")
	const n = 1200
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "导入商品%04d,%s,%d.50,个,导入\n", i, gtin(fmt.Sprintf("6909990%05d", i)), 1+i%9)
	}
	// An update of a demo product: its price only (blank cells keep the rest).
	fmt.Fprintf(&b, "可口可乐 330ml,%s,3.20,,\n", localdb.DemoBarcode(2))
	d := r.v.ImportFile(writeFile(t, r.dir, "products.csv", b.String()))
	require.Empty(t, d.BadRows)
	require.Equal(t, "检查通过：共 1,201 行，将新增 1,200 个、更新 1 个商品，0 个不变。", d.Summary.Text)
	require.True(t, d.Go.Visible())
	require.Equal(t, "导入 1,201 行", d.Go.Text)
	require.Same(t, d.Go, r.w.Canvas().Focused(), "Space imports")
	require.Equal(t, 52, r.count(), "the dry run wrote nothing")

	steps = nil
	test.Tap(d.Go)
	require.True(t, d.Done)
	require.Equal(t, "导入完成", d.Stage.Text)
	require.Equal(t, "共 1,201 行：新增 1,200 个、更新 1 个商品，0 个不变。", d.Summary.Text)
	require.Equal(t, 1.0, d.Bar.Value)
	require.False(t, d.Go.Visible())
	seen := map[string]bool{}
	for _, s := range steps {
		switch {
		case strings.HasPrefix(s.stage, "正在读取"):
			seen["read"] = true
		case strings.HasPrefix(s.stage, "正在核对"):
			seen["check"] = true
		case strings.HasPrefix(s.stage, "正在写入"):
			seen["write"] = true
		}
	}
	require.Equal(t, map[string]bool{"read": true, "check": true, "write": true}, seen)
	last := steps[len(steps)-1]
	require.Equal(t, step{"正在写入：1,201 / 1,201 行", 1}, last, "progress reaches the end")

	require.Equal(t, 1252, r.count())
	require.Equal(t, "共 1,252 个商品", r.v.Count.Text)
	require.Contains(t, r.v.Category.Options, "导入")
	cola, _ := r.product(localdb.DemoBarcode(2))
	require.Equal(t, app.Money(320), cola.Price)
	require.Equal(t, "饮料", cola.Category, "a blank cell keeps the value")
	require.Contains(t, r.v.Status.Text, "已导入 products.csv")
	test.Tap(d.Close)
	require.Nil(t, r.v.Importing)
}

// heldFiles holds the second reading of a file (the real import, after
// the dry run) at its first row until released.
type heldFiles struct {
	files
	reads   int
	started chan struct{}
	release chan struct{}
}

type heldSheet struct {
	Sheet
	h     *heldFiles
	first bool
}

func (s *heldSheet) Next() (catalog.Row, error) {
	if s.first {
		s.first = false
		close(s.h.started)
		<-s.h.release
	}
	return s.Sheet.Next()
}

func (h *heldFiles) Read(path string) (Sheet, error) {
	sh, err := h.files.Read(path)
	h.reads++
	return &heldSheet{Sheet: sh, h: h, first: h.reads == 2}, err
}

// An import cancelled while it runs changes nothing, and says so.
func TestProducts_CancelledImportChangesNothing(t *testing.T) {
	q := newQueue()
	h := &heldFiles{started: make(chan struct{}), release: make(chan struct{})}
	r := newRig(t, func(d *Deps) { d.Run, d.Do, d.Files = q.Run, q.Do, h })
	q.settle(t)
	before := r.audits()
	var b strings.Builder
	b.WriteString("name,barcode,price\n")
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&b, "取消测试%d,%s,1.00\n", i, gtin(fmt.Sprintf("6909990%05d", i)))
	}
	d := r.v.ImportFile(writeFile(t, r.dir, "cancel.csv", b.String()))
	q.settle(t)
	require.True(t, d.Go.Visible())
	test.Tap(d.Go)
	<-h.started
	require.Equal(t, "取消导入", d.Close.Text)
	test.Tap(d.Close)
	close(h.release)
	q.settle(t)
	require.Equal(t, "已取消导入", d.Stage.Text)
	require.Equal(t, "商品目录没有任何改动。", d.Summary.Text)
	require.False(t, d.Done)
	require.Equal(t, 52, r.count())
	require.Equal(t, before, r.audits())
	require.Same(t, d, r.v.Importing, "the dialog stays to say so")
}

// Export writes the whole catalogue or the current filter, as CSV or XLSX,
// and the file reads back as the same products.
func TestProducts_ExportReadsBack(t *testing.T) {
	r := newRig(t)
	read := func(path string) []catalog.Row {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		sh, err := catalogfile.Read(f, filepath.Base(path))
		require.NoError(t, err)
		return sh.Rows
	}

	d := r.v.OpenExport()
	require.Equal(t, "全部商品", d.Scope.Selected)
	test.Tap(d.Go)
	path := filepath.Join(r.dir, "商品-20261121.csv")
	require.Equal(t, "已导出 52 个商品到 "+path, r.v.Status.Text)
	rows := read(path)
	require.Len(t, rows, 52)
	require.Equal(t, r.names()[0], rows[0].Name)

	r.v.Category.SetSelected("饮料")
	d = r.v.OpenExport()
	require.Equal(t, "当前筛选（分类：饮料，状态：全部）", d.Scope.Selected)
	d.Format.SetSelected("Excel (XLSX)")
	test.Tap(d.Go)
	rows = read(filepath.Join(r.dir, "商品-20261121.xlsx"))
	require.Len(t, rows, 12)
	var names []string
	for _, row := range rows {
		names = append(names, row.Name)
		require.Equal(t, "饮料", row.Category)
	}
	require.Equal(t, r.names(), names)
	p, _, err := catalog.ParseRow(rows[0])
	require.NoError(t, err, "a written row reads back as a product")
	require.Equal(t, r.v.Text(0, 2), p.Price.Display())

	// A file that cannot be written says so and the dialog stays.
	r.v.deps.ChooseSave = func(name string, then func(string)) { then(filepath.Join(r.dir, "no", "such", name)) }
	d = r.v.OpenExport()
	test.Tap(d.Go)
	require.Contains(t, d.Status.Text, "导出失败")
	require.Same(t, d, r.v.Exporting)
}

// The screen in English has no Chinese but the data.
func TestProducts_English(t *testing.T) {
	r := newRig(t)
	require.NoError(t, i18n.Use(i18n.English))
	v := New(r.v.deps)
	r.w.SetContent(v.Content())
	require.Equal(t, "Products: 52", v.Count.Text)
	for _, s := range []string{v.AddNew.Text, v.Edit.Text, v.Toggle.Text, v.Print.Text, v.Import.Text, v.Export.Text,
		v.Search.PlaceHolder, v.Category.Selected, v.State.Selected} {
		for _, c := range s {
			require.False(t, c >= 0x4E00 && c <= 0x9FFF, "%q", s)
		}
	}
	require.Equal(t, "Active", v.Text(0, 6))
}

// The import and export dialogs close by Esc from the keyboard, as the
// product form does: their buttons take the focus and the key.
func TestProducts_DialogsCloseOnEsc(t *testing.T) {
	r := newRig(t)
	d := r.v.ImportFile(writeFile(t, r.dir, "x.csv", "名称,条码,价格\n水,B-1,2.00\n"))
	require.Eventually(t, func() bool {
		var ready bool
		fyne.DoAndWait(func() { ready = d.Go.Visible() })
		return ready
	}, 5*time.Second, 10*time.Millisecond, "the dry run is clean")
	fyne.DoAndWait(func() { d.Go.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	require.Nil(t, r.v.Importing, "Esc closed the import without importing")
	require.Equal(t, 52, r.count())

	e := r.v.OpenExport()
	fyne.DoAndWait(func() { e.Go.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	require.Nil(t, r.v.Exporting)
}
