package counter

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// fakeCheckout is the sale use case as the Counter sees it: orders and
// tenders kept in memory, wallet tenders answered as told.
type fakeCheckout struct {
	mu         sync.Mutex
	opened     []sale.OrderInput
	orders     map[string]*app.Order
	codes      []string // payment codes sent, in order
	cash       []app.Money
	voided     []string
	cancelled  []string
	audits     []string
	state      payment.IntentState // a wallet tender's end
	msg        app.Message
	block      chan struct{} // when set, PayByCode waits for it
	firstEvent chan struct{} // when set, PayByCode waits for it before its first event
	perms      map[string]bool
	approved   string // a manager approved this permission once
	drawers    int
}

func newFake(state payment.IntentState) *fakeCheckout {
	return &fakeCheckout{state: state, orders: map[string]*app.Order{}, perms: map[string]bool{app.PermOpenDrawer: true}}
}

func (f *fakeCheckout) Open(_ context.Context, in sale.OrderInput) (app.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, in)
	o := app.Order{OrderNo: "1001T26113000000" + string(rune('0'+len(f.opened))), Kind: app.OrderSale, Status: app.OrderOpen,
		Lines: in.Lines, Total: in.Total, OrderDiscount: in.Discount, DepositPart: in.DepositPart}
	if in.Deposit {
		o.Kind = app.OrderDeposit
	}
	if err := o.Recompute(); err != nil {
		return app.Order{}, err
	}
	f.orders[o.OrderNo] = &o
	return o, nil
}

func (f *fakeCheckout) settle(o *app.Order, t app.Tender) {
	o.Tenders = append(o.Tenders, t)
	if t.State == app.TenderPaid {
		o.Paid += t.Amount
	}
	if o.Paid >= o.Payable {
		o.Status = app.OrderPaid
	}
}

func (f *fakeCheckout) PayByCode(_ context.Context, orderNo, code string, amount app.Money, staff app.Staff, onEvent payment.EventFunc) (sale.Outcome, error) {
	if f.firstEvent != nil {
		<-f.firstEvent
	}
	if onEvent != nil {
		onEvent(payment.Event{Ref: "OT1", Msg: app.Msg("pay.paying"), Seconds: 3})
	}
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes = append(f.codes, code)
	o := f.orders[orderNo]
	due := o.Due()
	st := app.TenderFailed
	if f.state == payment.IntentPaid {
		st = app.TenderPaid
	}
	f.settle(o, app.Tender{Kind: app.TenderWallet, Wallet: app.WalletWeChat, Amount: due, State: st})
	return sale.Outcome{Order: *o, Payment: payment.PayResult{OrderNo: orderNo, OutTradeNo: "OT1", State: f.state,
		Wallet: app.WalletWeChat, Amount: due, Msg: f.msg}}, nil
}

func (f *fakeCheckout) PayCash(_ context.Context, orderNo string, amount, received app.Money, staff app.Staff) (sale.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[orderNo]
	if received < amount {
		return sale.Outcome{Order: *o}, sale.ErrCashShort
	}
	f.cash = append(f.cash, amount)
	t := app.Tender{Kind: app.TenderCash, Amount: amount, CashReceived: received, State: app.TenderPaid}
	f.settle(o, t)
	return sale.Outcome{Order: *o, Change: t.Change()}, nil
}

func (f *fakeCheckout) SellForCash(ctx context.Context, in sale.OrderInput, received app.Money, staff app.Staff) (sale.Outcome, error) {
	o, err := f.Open(ctx, in)
	if err != nil {
		return sale.Outcome{}, err
	}
	return f.PayCash(ctx, o.OrderNo, o.Payable, received, staff)
}

func (f *fakeCheckout) Cancel(_ context.Context, no string) error {
	f.mu.Lock()
	f.cancelled = append(f.cancelled, no)
	f.mu.Unlock()
	if f.block != nil {
		close(f.block)
	}
	return nil
}

func (f *fakeCheckout) Void(_ context.Context, no string, _ app.Staff) (sale.VoidResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.voided = append(f.voided, no)
	f.orders[no].Status = app.OrderClosed
	return sale.VoidResult{Order: *f.orders[no]}, nil
}

func (f *fakeCheckout) OpenDrawer(context.Context, int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drawers++
	return nil
}

// Authorize lets through the permissions in perms, and one other a
// manager approved.
func (f *fakeCheckout) Authorize(_ context.Context, _ int64, perm, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.perms[perm] && f.approved != perm {
		return app.ErrNoPermission.With("Name", "李娜", "Perm", app.Msg("perm."+perm))
	}
	f.approved = ""
	f.audits = append(f.audits, perm+" "+detail)
	return nil
}

// fakeCatalog sells three products by code, an apple by weight, and
// knows "6900000000007" is nobody's.
type fakeCatalog struct {
	canManage bool
	saved     []catalog.Product
}

var products = map[string]catalog.Record{
	"6901234100006": {ID: 1, Product: catalog.Product{Name: "农夫山泉", Price: 200, Unit: "瓶", Barcodes: []string{"6901234100006"}, Active: true}},
	"6901234100075": {ID: 2, Product: catalog.Product{Name: "怡宝", Price: 200, Unit: "瓶", Barcodes: []string{"6901234100075"}, Active: true}},
	"6901234100143": {ID: 3, Product: catalog.Product{Name: "可口可乐", Price: 300, Unit: "罐", Barcodes: []string{"6901234100143"}, Active: true}},
	"2000003":       {ID: 4, Product: catalog.Product{Name: "苹果", Price: 1200, Unit: "kg", Barcodes: []string{"2000003"}, Active: true}},
}

func (c *fakeCatalog) Scan(_ context.Context, _ int64, code string) (catalog.Scanned, error) {
	if r, ok := products[code]; ok {
		return catalog.Scanned{Record: r}, nil
	}
	if strings.HasPrefix(code, "2") && len(code) == 13 { // a scale label of an item nobody has
		return catalog.Scanned{}, catalog.ErrNoProduct.With("Ref", code[2:7])
	}
	for _, p := range c.saved {
		if p.Barcodes[0] == code {
			return catalog.Scanned{Record: catalog.Record{ID: 99, Product: p}}, nil
		}
	}
	return catalog.Scanned{}, catalog.ErrNoProduct.With("Ref", code)
}

func (c *fakeCatalog) Search(_ context.Context, _ int64, q string, _ catalog.Filter) ([]catalog.Found, error) {
	var out []catalog.Found
	for _, code := range []string{"6901234100006", "6901234100075", "6901234100143"} {
		if r := products[code]; strings.Contains(r.Name, q) || q == "kl" && r.ID == 3 {
			out = append(out, catalog.Found{Record: r})
		}
	}
	return out, nil
}

func (c *fakeCatalog) Save(_ context.Context, _, _, _ int64, p catalog.Product) (int64, error) {
	c.saved = append(c.saved, p)
	return 99, nil
}

func (c *fakeCatalog) CanManage(context.Context, int64) error {
	if !c.canManage {
		return app.ErrNoPermission
	}
	return nil
}

type fakeTerminal struct {
	mode  app.CashierMode
	rules Rules
}

func (f *fakeTerminal) CurrentTerminal(context.Context) (app.TerminalInfo, error) {
	return app.TerminalInfo{ID: 2, StoreID: 1, CashierMode: f.mode}, nil
}

func (f *fakeTerminal) CounterRules(context.Context) (Rules, error) { return f.rules, nil }

// display records what the customer display was asked to show.
type display struct {
	mu    sync.Mutex
	shown []CustomerView
}

func (d *display) ShowCustomer(cv CustomerView) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.shown = append(d.shown, cv)
}

func (d *display) last() CustomerView {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.shown[len(d.shown)-1]
}

type rig struct {
	tt        *testing.T
	v         *View
	c         *fakeCheckout
	cat       *fakeCatalog
	term      *fakeTerminal
	disp      *display
	win       fyne.Window
	overrides []string
}

func newRig(t *testing.T, c *fakeCheckout, term *fakeTerminal) *rig {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	if term == nil {
		term = &fakeTerminal{mode: app.ModeSale}
	}
	r := &rig{tt: t, c: c, cat: &fakeCatalog{}, term: term, disp: &display{}}
	r.win = test.NewTempWindow(t, nil)
	r.win.Resize(fyne.NewSize(1024, 700))
	r.v = New(Deps{Checkout: c, Catalog: r.cat, Terminal: term, Display: r.disp, Staff: app.Staff{ID: 7, Code: "1003", Name: "李娜"},
		Canvas: r.win.Canvas(), Window: r.win,
		Override: func(perm string, then func()) {
			r.overrides = append(r.overrides, perm)
			c.mu.Lock()
			c.approved = perm
			c.mu.Unlock()
			then()
		}})
	r.win.SetContent(r.v.Content())
	r.win.Canvas().Focus(r.v.Line)
	return r
}

// enter types text into the scan line and presses Enter.
func (r *rig) enter(text string) {
	r.win.Canvas().Focus(r.v.Line)
	if text != "" {
		test.Type(r.v.Line, text)
	}
	r.v.Line.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func (r *rig) key(k fyne.KeyName) {
	if f, ok := r.win.Canvas().Focused().(fyne.Focusable); ok {
		f.TypedKey(&fyne.KeyEvent{Name: k})
		return
	}
	r.v.Line.TypedKey(&fyne.KeyEvent{Name: k})
}

// answer types into the prompt that has the focus and presses Enter.
func (r *rig) answer(text string) {
	f := r.win.Canvas().Focused()
	require.NotNil(r.tt, f, "a prompt has the focus")
	if text != "" {
		test.Type(f.(fyne.Focusable), text)
	}
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func threeProducts(r *rig) {
	r.enter("6901234100006")
	r.enter("6901234100075")
	r.enter("6901234100143")
}

// The whole sale by keyboard: three scans, Enter calls for the code, the
// code pays what is due; the order has the three lines and the next sale
// starts clean.
func TestCounter_ScanThreeThenTheCodePays(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	threeProducts(r)
	require.Len(t, r.v.cart.Lines, 3)
	assert.Equal(t, "应收 ￥7.00", r.v.Total.Text)
	r.enter("")
	assert.Contains(t, r.v.Status.Text, "请顾客出示付款码")
	assert.Equal(t, CustomerAwaitCode, r.disp.last().Phase)

	r.v.scanned("134567890123456789")
	require.Len(t, r.c.opened, 1)
	assert.Len(t, r.c.opened[0].Lines, 3)
	assert.Equal(t, []string{"134567890123456789"}, r.c.codes)
	assert.Equal(t, "收款成功 ￥7.00", r.v.Banner.Text)
	assert.True(t, r.v.cart.Empty(), "the next customer starts a new cart")
	assert.Equal(t, "", r.v.order.OrderNo)
	assert.Equal(t, CustomerPaid, r.disp.last().Phase)
	assert.Equal(t, r.v.Line, r.win.Canvas().Focused(), "focus back on the scan line")
}

// A payment code scanned with nothing rung up is refused; a product
// barcode typed while a payment is in flight is not taken.
func TestCounter_CodesInTheWrongPlace(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	r.v.scanned("134567890123456789")
	assert.Empty(t, r.c.opened)
	assert.Equal(t, "这是顾客付款码：请先扫商品或输入金额", r.v.Status.Text)

	r.enter("6900000000007")
	assert.Equal(t, "商品库中没有条码 6900000000007", r.v.Status.Text)
	assert.True(t, r.v.cart.Empty())

	r.v.running = true
	r.enter("6901234100006")
	assert.Equal(t, "正在收款，请稍候（Esc 取消）", r.v.Status.Text)
	assert.True(t, r.v.cart.Empty())
}

// A manager scanning an unknown code adds the product on the spot and it
// is rung up; a clerk is only told.
func TestCounter_UnknownCodeAddedOnTheSpot(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	r.cat.canManage = true
	r.enter("6900000000007")
	name := r.win.Canvas().Focused()
	require.NotEqual(t, r.v.Line, name, "the new-product prompt has the focus")
	test.Type(name.(fyne.Focusable), "散装花生")
	name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Type(r.win.Canvas().Focused().(fyne.Focusable), "袋")
	r.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	r.answer("8.80")
	require.Len(t, r.cat.saved, 1)
	assert.Equal(t, "散装花生", r.cat.saved[0].Name)
	require.Len(t, r.v.cart.Lines, 1)
	assert.Equal(t, app.Money(880), r.v.cart.Lines[0].UnitPrice)
}

// "12.5" Enter is an amount line; "3*code" rings up three; a weighed
// product asks its weight.
func TestCounter_AmountsQuantitiesAndWeights(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	r.enter("12.5")
	r.enter("3*6901234100143")
	require.Len(t, r.v.cart.Lines, 2)
	assert.Equal(t, app.Money(1250), r.v.cart.Lines[0].UnitPrice)
	assert.EqualValues(t, 3, r.v.cart.Lines[1].Qty)
	r.enter("0*6901234100143")
	assert.Len(t, r.v.cart.Lines, 2)
	assert.Contains(t, r.v.Status.Text, "数量须在 1 到 9999 之间")

	r.enter("2000003")
	r.answer("abc")
	require.NotNil(t, r.v.modal, "a bad weight keeps the prompt open")
	r.win.Canvas().Focused().(*scaninput.Entry).SetText("")
	r.answer("0.532")
	require.Nil(t, r.v.modal)
	require.Len(t, r.v.cart.Lines, 3)
	assert.EqualValues(t, 532, r.v.cart.Lines[2].Grams)
	assert.Equal(t, "应收 ￥27.88", r.v.Total.Text) // 12.50 + 9.00 + 6.38
}

// Removing a line needs void_line: a clerk without it gets a manager's
// override, and the removal is audited.
func TestCounter_VoidLineNeedsPermissionOrOverride(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	threeProducts(r)
	r.key(fyne.KeyUp)
	assert.Equal(t, 1, r.v.sel)
	r.key(fyne.KeyF4)
	assert.Equal(t, []string{app.PermVoidLine}, r.overrides)
	require.Len(t, r.v.cart.Lines, 2)
	assert.Equal(t, "可口可乐", r.v.cart.Lines[1].Name)
	require.Len(t, r.c.audits, 1)
	assert.Contains(t, r.c.audits[0], "怡宝")

	r.c.perms[app.PermVoidLine] = true
	r.key(fyne.KeyF4)
	assert.Len(t, r.overrides, 1, "no override needed with the permission")
	assert.Len(t, r.v.cart.Lines, 1)
}

// Discounts by amount and by rate, never below the store's floor.
func TestCounter_DiscountsKeepAboveTheFloor(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), &fakeTerminal{mode: app.ModeSale, rules: Rules{Mode: ModeDefault, FloorPct: 80}})
	r.c.perms[app.PermDiscount] = true
	r.enter("100")
	r.key(fyne.KeyF2)
	r.answer("70%")
	require.NotNil(t, r.v.modal, "below the floor: refused, still asking")
	assert.Contains(t, r.v.modal.Message.Text, "不能低于标价的 80%")
	r.win.Canvas().Focused().(*scaninput.Entry).SetText("")
	r.answer("85折")
	assert.Equal(t, "应收 ￥85.00", r.v.Total.Text)
	r.key(fyne.KeyF3)
	r.answer("5")
	assert.Equal(t, "应收 ￥80.00", r.v.Total.Text)
}

// Cash with change: the change is what the customer handed over minus
// what was due.
func TestCounter_CashWithChange(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	threeProducts(r)
	r.key(fyne.KeyF7)
	r.answer("10")
	assert.Equal(t, []app.Money{700}, r.c.cash)
	assert.Equal(t, "收款成功 ￥7.00", r.v.Banner.Text)
	assert.Contains(t, r.v.BannerSub.Text, "找零 ￥3.00")
	assert.Equal(t, app.Money(300), r.disp.last().Change)
}

// Cash below the total is taken as part of the payment only when the
// cashier says so; the customer's code pays the rest of the same order.
func TestCounter_CashThenCodeSplit(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	threeProducts(r)
	r.key(fyne.KeyF7)
	r.answer("5")
	require.NotNil(t, r.v.modal, "asked whether to take it as part payment")
	assert.Empty(t, r.c.cash)
	r.answer("")
	assert.Equal(t, []app.Money{500}, r.c.cash)
	assert.Equal(t, "应收 ￥2.00", r.v.Total.Text)
	assert.Contains(t, r.v.TenderBox.Text, "现金 ￥5.00 已收")

	r.enter("6901234100006")
	assert.Len(t, r.v.cart.Lines, 3, "the items cannot change once payment started")
	r.v.scanned("134567890123456789")
	require.Len(t, r.c.opened, 1, "one order, two tenders")
	assert.Equal(t, "收款成功 ￥7.00", r.v.Banner.Text)
}

// A failed tender keeps the order: the next code pays the same order;
// Esc then voids it.
func TestCounter_FailedTenderKeepsTheOrder(t *testing.T) {
	c := newFake(payment.IntentFailed)
	c.msg = app.Msg("pay.failed")
	r := newRig(t, c, nil)
	threeProducts(r)
	r.v.scanned("134567890123456789")
	assert.Equal(t, "收款失败", r.v.Banner.Text)
	assert.NotEmpty(t, r.v.order.OrderNo)
	assert.Equal(t, CustomerFailed, r.disp.last().Phase)
	c.state = payment.IntentPaid
	r.v.scanned("134567890123456780")
	assert.Len(t, c.opened, 1)
	assert.Equal(t, "收款成功 ￥7.00", r.v.Banner.Text)

	threeProducts(r)
	c.state = payment.IntentFailed
	r.v.scanned("134567890123456781")
	r.key(fyne.KeyEscape)
	r.answer("")
	assert.Len(t, c.voided, 1)
	assert.True(t, r.v.cart.Empty())
}

// The search as you type: results replace the cart, ↓ and Enter pick one.
func TestCounter_SearchAsYouType(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	test.Type(r.v.Line, "kl")
	require.True(t, r.v.Results.Visible())
	require.Len(t, r.v.found, 1)
	r.key(fyne.KeyReturn)
	require.Len(t, r.v.cart.Lines, 1)
	assert.Equal(t, "可口可乐", r.v.cart.Lines[0].Name)
	assert.False(t, r.v.Results.Visible())
	test.Type(r.v.Line, "水")
	require.Len(t, r.v.found, 0)
	r.v.Line.SetText("")
	test.Type(r.v.Line, "农夫")
	r.key(fyne.KeyEscape)
	assert.Equal(t, "", r.v.Line.Text)
	assert.False(t, r.v.Results.Visible())
	assert.Len(t, r.v.cart.Lines, 1)
}

// The store payment mode total + non-discountable: the second field adds
// a line no discount touches; consumption + deposit notes the deposit.
func TestCounter_PaymentModes(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), &fakeTerminal{mode: app.ModeSale, rules: Rules{Mode: ModeTotalNonDiscount}})
	require.True(t, r.v.sideRow.Visible())
	r.enter("100")
	r.v.Side.SetText("30")
	r.v.Side.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	r.v.scanned("284567890123456789")
	require.Len(t, r.c.opened, 1)
	in := r.c.opened[0]
	require.Len(t, in.Lines, 2)
	assert.True(t, in.Lines[1].NonDiscountable)

	r2 := newRig(t, newFake(payment.IntentPaid), &fakeTerminal{mode: app.ModeSale, rules: Rules{Mode: ModeConsumeDeposit}})
	r2.enter("120.50")
	r2.v.Side.SetText("500")
	r2.v.Side.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	assert.Contains(t, r2.v.Sums.Text, "其中押金 ￥500.00")
	r2.v.scanned("134567890123456789")
	require.Len(t, r2.c.opened, 1)
	assert.Equal(t, app.Money(50000), r2.c.opened[0].DepositPart)
}

// A deposit is one typed amount paid by one code.
func TestCounter_Deposit(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), &fakeTerminal{mode: app.ModeSaleDeposit})
	r.v.Kind.SetSelected("押金")
	r.enter("500")
	r.key(fyne.KeyF7)
	assert.Contains(t, r.v.Status.Text, "押金")
	r.v.scanned("134567890123456789")
	require.Len(t, r.c.opened, 1)
	assert.True(t, r.c.opened[0].Deposit)
}

// payingCounter starts a code payment of three products with only the
// payment running in the background, as at the till.
func payingCounter(t *testing.T, c *fakeCheckout) *rig {
	r := newRig(t, c, nil)
	threeProducts(r)
	async.Synchronous = false
	t.Cleanup(func() { async.Synchronous = true })
	r.v.scanned("134567890123456789")
	return r
}

func cancelledOnce(t *testing.T, c *fakeCheckout) {
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.cancelled) == 1 && len(c.codes) == 1
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, "OT1", c.cancelled[0])
}

// Esc cancels a payment in progress wherever the cursor is, and a second
// Enter or scan meanwhile starts no second charge.
func TestCounter_EscCancelsAndNoSecondCharge(t *testing.T) {
	c := newFake(payment.IntentReversed)
	c.msg = app.Msg("pay.reversed")
	c.block = make(chan struct{})
	r := payingCounter(t, c)
	require.Eventually(t, func() bool {
		done := make(chan string, 1)
		fyne.DoAndWait(func() { done <- r.v.outTrade })
		return <-done == "OT1"
	}, 5*time.Second, 10*time.Millisecond)
	fyne.DoAndWait(func() {
		r.v.scanned("134567890123456780")
		r.enter("")
		r.v.Line.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	})
	cancelledOnce(t, c)
	c.mu.Lock()
	defer c.mu.Unlock()
	assert.Len(t, c.opened, 1)
}

// Esc at once, before the payment has its number: the cancel goes out
// as soon as the number is known.
func TestCounter_EscBeforeThePaymentHasANumberStillCancels(t *testing.T) {
	c := newFake(payment.IntentReversed)
	c.block, c.firstEvent = make(chan struct{}), make(chan struct{})
	r := payingCounter(t, c)
	fyne.DoAndWait(func() {
		r.v.Line.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
		require.Equal(t, "正在取消：先查询，再撤销…", r.v.Status.Text)
	})
	close(c.firstEvent)
	cancelledOnce(t, c)
}

// Scans from the app's stream (serial scanners, the wedge) reach the
// cart wherever the focus is.
func TestCounter_ScanFromTheStream(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	scans := make(chan string, 1)
	stopped := false
	v := New(Deps{Checkout: newFake(payment.IntentPaid), Catalog: &fakeCatalog{}, Terminal: &fakeTerminal{mode: app.ModeSale},
		Staff: app.Staff{ID: 1}, Scans: func() (<-chan string, func()) { return scans, func() { stopped = true; close(scans) } }})
	test.NewTempWindow(t, v.Content())
	scans <- "6901234100006"
	require.Eventually(t, func() bool {
		n := make(chan int, 1)
		fyne.DoAndWait(func() { n <- len(v.cart.Lines) })
		return <-n == 1
	}, 5*time.Second, 10*time.Millisecond)
	v.Stop()
	require.True(t, stopped)
}

// A scale label for an item the catalogue lacks is explained, and not
// offered for adding (the label is not the product's code).
func TestCounter_ScaleLabelOfAnUnknownItem(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	r.cat.canManage = true
	r.enter("2000123012345")
	assert.Equal(t, "条码秤标签上的商品（货号 00123）不在商品库：请核对秤上的商品编号", r.v.Status.Text)
	assert.Nil(t, r.v.modal, "no new-product prompt")
	assert.True(t, r.v.cart.Empty())
}

// A typed amount's line is named in Chinese whatever the screen speaks:
// the order keeps it, and the receipt that prints it is Chinese.
func TestCounter_AmountLinesAreNamedForTheReceipt(t *testing.T) {
	r := newRig(t, newFake(payment.IntentPaid), nil)
	require.NoError(t, i18n.Use(i18n.English))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	r.enter("12.5")
	require.Len(t, r.v.cart.Lines, 1)
	assert.Equal(t, "金额", r.v.cart.Lines[0].Name)
	assert.Equal(t, "Added: 金额 ￥12.50", r.v.Status.Text)
}
