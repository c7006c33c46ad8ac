package localdb_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/catalog"
	"cashier/localdb"
	"cashier/sync/backoffice/master"
)

// pullRig is a terminal of store S1 (fxSeedSQL) applying pages by hand,
// each topic's cursor counted here.
type pullRig struct {
	t      *testing.T
	db     *localdb.DB
	scope  master.Scope
	cursor map[string]int64
}

func newPullRig(t *testing.T) *pullRig {
	return newPullRigOn(t, fxOpen(t))
}

func newPullRigOn(t *testing.T, db *localdb.DB) *pullRig {
	require.NoError(t, db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(fxSeedSQL + `
			INSERT INTO setting(key, value, updated_at) VALUES ('store_id', '1', 0), ('terminal_id', '1', 0);`)
		return err
	}))
	r := &pullRig{t: t, db: db, scope: master.Scope{StoreCode: "S1", Terminal: "t-1"}, cursor: map[string]int64{}}
	require.NoError(t, db.PrepareMasterPull(context.Background(), r.scope))
	return r
}

// item is one pulled item: v nil is a deletion; a string or []byte is
// the payload as sent.
type item struct {
	id string
	v  any
}

func (r *pullRig) apply(topic string, items ...item) master.Outcome {
	r.t.Helper()
	return r.applyPage(topic, false, items...)
}

// applyPage applies items as a page of topic that more pages follow
// (more) or that ends the topic.
func (r *pullRig) applyPage(topic string, more bool, items ...item) master.Outcome {
	r.t.Helper()
	from := r.cursor[topic]
	raws := make([]master.Raw, len(items))
	for i, it := range items {
		r.cursor[topic]++
		raws[i] = master.Raw{Cursor: r.cursor[topic], ID: it.id, Deleted: it.v == nil}
		switch v := it.v.(type) {
		case nil:
		case string:
			raws[i].Payload = json.RawMessage(v)
		default:
			b, err := json.Marshal(v)
			require.NoError(r.t, err)
			raws[i].Payload = b
		}
	}
	res, err := r.db.ApplyMasterPage(context.Background(), r.scope, master.DecodePage(topic, from, r.cursor[topic], more, raws))
	require.NoError(r.t, err)
	return res
}

// product publishes a whole product: itself, its codes (in order) and its
// chain-wide price.
func (r *pullRig) product(sku, name string, price int64, codes ...string) {
	r.t.Helper()
	var bs []item
	for i, c := range codes {
		bs = append(bs, item{c, master.Barcode{SKU: sku, Position: i}})
	}
	r.apply(master.TopicBarcodes, bs...)
	r.apply(master.TopicPrices, item{master.PriceID("*", sku), master.Price{Price: price}})
	r.apply(master.TopicProducts, item{sku, master.Product{Name: name}})
}

func (r *pullRig) scan(code string) (catalog.Record, error) {
	s, err := r.db.ProductByCode(context.Background(), 1, code)
	return s, err
}

func (r *pullRig) mustScan(code string) catalog.Record {
	r.t.Helper()
	p, err := r.scan(code)
	require.NoError(r.t, err, code)
	return p
}

func (r *pullRig) search(q string) []string {
	r.t.Helper()
	svc := catalog.Service{Store: r.db, Permits: auth.Rules{Store: r.db}, Clock: app.SystemClock{}}
	found, err := svc.Search(context.Background(), 1, q, catalog.Filter{})
	require.NoError(r.t, err)
	var names []string
	for _, f := range found {
		names = append(names, f.Name)
	}
	return names
}

func TestMasterApply_ProductWaitsForItsCodeAndPrice(t *testing.T) {
	r := newPullRig(t)
	res := r.apply(master.TopicProducts, item{"SKU1", master.Product{Name: "百事可乐 330ml"}})
	assert.Equal(t, 1, res.Pending, "no code, no price: not on sale yet")
	_, err := r.scan("6901234567892")
	require.ErrorIs(t, err, catalog.ErrNoProduct)
	r.apply(master.TopicBarcodes, item{"6901234567892", master.Barcode{SKU: "SKU1"}})
	_, err = r.scan("6901234567892")
	require.ErrorIs(t, err, catalog.ErrNoProduct, "still no price")
	res = r.apply(master.TopicPrices, item{"*/SKU1", master.Price{Price: 300}})
	assert.Zero(t, res.Pending)
	p := r.mustScan("6901234567892")
	assert.Equal(t, app.Money(300), p.Price)
	assert.True(t, p.Active)
	assert.Equal(t, catalog.DefaultUnit, p.Unit)
	assert.Equal(t, []string{"百事可乐 330ml"}, r.search("bskl"))
}

func TestMasterApply_StorePriceWinsAndFallsBack(t *testing.T) {
	r := newPullRig(t)
	r.product("SKU1", "雪碧", 350, "6901234567892")
	r.apply(master.TopicPrices, item{"S1/SKU1", master.Price{Price: 320}}, item{"S2/SKU1", master.Price{Price: 999}})
	assert.Equal(t, app.Money(320), r.mustScan("6901234567892").Price)
	r.apply(master.TopicPrices, item{"*/SKU1", master.Price{Price: 360}})
	assert.Equal(t, app.Money(320), r.mustScan("6901234567892").Price, "the chain's change does not override the store's own")
	r.apply(master.TopicPrices, item{"S1/SKU1", nil})
	assert.Equal(t, app.Money(360), r.mustScan("6901234567892").Price, "back to the chain's")
	res := r.apply(master.TopicPrices, item{"*/SKU1", nil})
	assert.Equal(t, 1, res.Pending)
	p := r.mustScan("6901234567892")
	assert.False(t, p.Active, "without any price it is off sale")
	assert.Equal(t, app.Money(360), p.Price)
	r.apply(master.TopicPrices, item{"*/SKU1", master.Price{Price: 380}})
	p = r.mustScan("6901234567892")
	assert.True(t, p.Active)
	assert.Equal(t, app.Money(380), p.Price)
}

// A code moving from one product to another in one page: the product
// that gives it up is written first, so the unique code never clashes.
func TestMasterApply_CodeMovesBetweenProducts(t *testing.T) {
	r := newPullRig(t)
	r.product("A", "苹果", 500, "6901234567892", "00001")
	r.product("B", "香蕉", 300, "00002")
	r.apply(master.TopicBarcodes, item{"00002", master.Barcode{SKU: "B", Position: 1}}, item{"6901234567892", master.Barcode{SKU: "B"}})
	b := r.mustScan("6901234567892")
	assert.Equal(t, "香蕉", b.Name)
	assert.Equal(t, []string{"6901234567892", "00002"}, b.Barcodes)
	a := r.mustScan("00001")
	assert.Equal(t, "苹果", a.Name)
	assert.Equal(t, []string{"00001"}, a.Barcodes)

	// A's last code goes too: A is off sale, holding no code anyone can scan.
	res := r.apply(master.TopicBarcodes, item{"00001", master.Barcode{SKU: "B", Position: 2}})
	assert.Equal(t, 1, res.Pending)
	b = r.mustScan("00001")
	assert.Equal(t, "香蕉", b.Name)
	ids, err := r.db.ProductIDs(context.Background(), 1, catalog.Filter{State: catalog.InactiveOnly})
	require.NoError(t, err)
	require.Len(t, ids, 1)
	old, err := r.db.Product(context.Background(), 1, ids[0])
	require.NoError(t, err)
	assert.Equal(t, "苹果", old.Name)
	assert.Len(t, old.Barcodes, 1)
	assert.Equal(t, "~", old.Barcodes[0][:1])
}

// A product the terminal made itself, holding the back office's code,
// becomes the back office's product (as an import updates it); a code
// held by another product the terminal made is refused for that product.
func TestMasterApply_LocalProductAdoptedOrRefused(t *testing.T) {
	r := newPullRig(t)
	svc, _ := fxCatalogWith(r.db)
	require.NoError(t, r.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at)
			VALUES (2, 1, 'M2', 'Manager', 'manager', 'x', 0, 0);
			INSERT INTO staff_permission(staff_id, permission_code, granted_at) VALUES (2, 'product_manage', 0)`)
		return err
	}))
	local, err := svc.Save(context.Background(), fxManager, 1, 0, catalog.Product{Name: "本店可乐", Barcodes: []string{"6901234567892"}, Price: 250, Active: true, Unit: "瓶"})
	require.NoError(t, err)
	other, err := svc.Save(context.Background(), fxManager, 1, 0, catalog.Product{Name: "本店雪碧", Barcodes: []string{"00009"}, Price: 250, Active: true, Unit: "瓶"})
	require.NoError(t, err)

	r.product("SKU1", "可口可乐 330ml", 300, "6901234567892")
	p := r.mustScan("6901234567892")
	assert.Equal(t, local, p.ID, "the same product, now the back office's")
	assert.Equal(t, "可口可乐 330ml", p.Name)
	assert.Equal(t, []string{"可口可乐 330ml"}, r.search("kkkl"))
	assert.Empty(t, r.search("bdkl"), "the old name's terms are gone")

	r.apply(master.TopicBarcodes, item{"00009", master.Barcode{SKU: "SKU1", Position: 1}})
	q, err := r.db.MasterQuarantine(context.Background())
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, "products", q[0].Topic)
	assert.Equal(t, "SKU1", q[0].ID)
	assert.Equal(t, "apply", q[0].Kind)
	assert.Contains(t, q[0].Reason, "catalog.barcode.taken")
	assert.Equal(t, other, r.mustScan("00009").ID, "the terminal's own product keeps its code")

	// The back office takes the code back: SKU1 applies whole, the
	// quarantine is empty.
	r.apply(master.TopicBarcodes, item{"00009", nil})
	q, err = r.db.MasterQuarantine(context.Background())
	require.NoError(t, err)
	assert.Empty(t, q)
}

// A product deleted at the back office is taken off sale with its codes
// freed, kept (orders name it); a new product may then use its code. Put
// back, it is the same product again.
func TestMasterApply_DeletedProductWithdrawnAndCodeReused(t *testing.T) {
	r := newPullRig(t)
	r.product("OLD", "旧款薯片", 800, "6901234567892")
	first := r.mustScan("6901234567892").ID
	r.apply(master.TopicProducts, item{"OLD", nil})
	_, err := r.scan("6901234567892")
	require.ErrorIs(t, err, catalog.ErrNoProduct, "its code is free")
	kept, err := r.db.Product(context.Background(), 1, first)
	require.NoError(t, err)
	assert.False(t, kept.Active)

	r.apply(master.TopicBarcodes, item{"6901234567892", master.Barcode{SKU: "NEW"}})
	r.apply(master.TopicPrices, item{"*/NEW", master.Price{Price: 900}})
	r.apply(master.TopicProducts, item{"NEW", master.Product{Name: "新款薯片"}})
	p := r.mustScan("6901234567892")
	assert.Equal(t, "新款薯片", p.Name)
	assert.NotEqual(t, first, p.ID)

	r.apply(master.TopicBarcodes, item{"00007", master.Barcode{SKU: "OLD"}})
	r.apply(master.TopicProducts, item{"OLD", master.Product{Name: "旧款薯片"}})
	back := r.mustScan("00007")
	assert.Equal(t, first, back.ID)
	assert.True(t, back.Active)
}

func TestMasterApply_ProductChangedKeepsStock(t *testing.T) {
	r := newPullRig(t)
	r.product("SKU1", "牛奶", 500, "6901234567892")
	p := r.mustScan("6901234567892")
	require.NoError(t, r.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE product SET stock=7 WHERE id=?`, p.ID)
		return err
	}))
	off := false
	r.apply(master.TopicProducts, item{"SKU1", master.Product{Name: "酸奶 250ml", Unit: "盒", Category: "乳品", TaxRate: 900, NonDiscountable: true, Active: &off}})
	p = r.mustScan("6901234567892")
	assert.Equal(t, "酸奶 250ml", p.Name)
	assert.Equal(t, "盒", p.Unit)
	assert.Equal(t, "乳品", p.Category)
	assert.Equal(t, 900, p.TaxRate)
	assert.True(t, p.NonDiscountable)
	assert.False(t, p.Active)
	require.NotNil(t, p.Stock)
	assert.Equal(t, int64(7), *p.Stock)
	assert.Equal(t, []string{"酸奶 250ml"}, r.search("sn250"))
	assert.Empty(t, r.search("niunai"), "the old name is not found")
}

func TestMasterApply_Staff(t *testing.T) {
	r := newPullRig(t)
	ctx := context.Background()
	hash := func(pin string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.MinCost)
		require.NoError(t, err)
		return string(h)
	}
	first := hash("2468")
	r.apply(master.TopicStaff,
		item{"2001", master.Staff{Store: "S1", Name: "王芳", Role: "manager", PINHash: first}},
		item{"2002", master.Staff{Store: "S9", Name: "别店", Role: "clerk"}},
		item{"9001", master.Staff{Name: "总部", Role: "admin"}})
	s, h, err := r.db.StaffByCode(ctx, "2001")
	require.NoError(t, err)
	assert.Equal(t, first, h)
	assert.True(t, s.MustChangePIN, "a PIN set by someone else is changed at the first login")
	assert.Equal(t, int64(1), s.StoreID)
	assert.True(t, s.Has(app.PermRefund), "a new person starts from the role's defaults")
	_, _, err = r.db.StaffByCode(ctx, "2002")
	assert.ErrorIs(t, err, app.ErrUnknownStaff)
	admin, _, err := r.db.StaffByCode(ctx, "9001")
	require.NoError(t, err)
	assert.Zero(t, admin.StoreID)

	// The person chooses their own PIN; the back office sends the same
	// item again (another field changed): the chosen PIN stays.
	chosen := hash("1357")
	require.NoError(t, r.db.SetPIN(ctx, s.ID, chosen, false, app.AuditEntry{Action: "pin_change", StaffID: s.ID}))
	r.apply(master.TopicStaff, item{"2001", master.Staff{Store: "S1", Name: "王芳芳", Role: "manager", PINHash: first}})
	s, h, err = r.db.StaffByCode(ctx, "2001")
	require.NoError(t, err)
	assert.Equal(t, chosen, h)
	assert.Equal(t, "王芳芳", s.Name)
	// A new first PIN from the back office replaces it.
	second := hash("8642")
	r.apply(master.TopicStaff, item{"2001", master.Staff{Store: "S1", Name: "王芳芳", Role: "clerk", PINHash: second}})
	s, h, err = r.db.StaffByCode(ctx, "2001")
	require.NoError(t, err)
	assert.Equal(t, second, h)
	assert.True(t, s.MustChangePIN)
	assert.Equal(t, app.RoleClerk, s.Role)

	r.apply(master.TopicPermissions, item{"2001", master.Permissions{Grants: []string{"discount", "void_line", "adjust_balance"}}}, item{"4040", master.Permissions{Grants: []string{}}})
	s, _, err = r.db.StaffByCode(ctx, "2001")
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"discount": true, "void_line": true, "adjust_balance": true}, s.Permissions)
	r.apply(master.TopicPermissions, item{"2001", nil})
	s, _, err = r.db.StaffByCode(ctx, "2001")
	require.NoError(t, err)
	assert.Empty(t, s.Permissions)

	// Moved to another store, then deleted: disabled here, never deleted.
	r.apply(master.TopicStaff, item{"2001", master.Staff{Store: "S9", Name: "王芳芳", Role: "clerk"}})
	s, _, err = r.db.StaffByCode(ctx, "2001")
	require.NoError(t, err)
	assert.True(t, s.Disabled)
	r.apply(master.TopicStaff, item{"9001", nil})
	admin, _, err = r.db.StaffByCode(ctx, "9001")
	require.NoError(t, err)
	assert.True(t, admin.Disabled)

	var actions []string
	rows, err := r.db.Read().Query(`SELECT action FROM audit_log WHERE detail LIKE '%by=backoffice%' ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var a string
		require.NoError(t, rows.Scan(&a))
		actions = append(actions, a)
	}
	require.NoError(t, rows.Err())
	count := map[string]int{}
	for _, a := range actions {
		count[a]++
	}
	assert.Equal(t, 2, count["staff_add"])
	assert.Equal(t, 1, count["staff_edit"])
	assert.Equal(t, 1, count["role_change"])
	assert.Equal(t, 1, count["pin_reset"])
	assert.Equal(t, 2, count["staff_disable"])
	assert.Positive(t, count["permission_revoke"])
	assert.Equal(t, 1, count["permission_grant"])
}

func TestMasterApply_StoreTerminalAndSettings(t *testing.T) {
	r := newPullRig(t)
	ctx := context.Background()
	r.apply(master.TopicStores, item{"S1", master.Store{Name: "一号店", Address: "南山区", Phone: "0755-1"}}, item{"S2", master.Store{Name: "二号店"}})
	r.apply(master.TopicTerminals, item{"t-1", master.Terminal{Store: "S1", Name: "收银一", CashierMode: "deposit"}}, item{"t-2", master.Terminal{Store: "S1", Name: "收银二"}})
	r.apply(master.TopicSettings,
		item{"*/receipt.footer", master.Setting{Value: "总部"}},
		item{"S1/payment.mode", master.Setting{Value: "consume_deposit"}},
		item{"*/discount.floor_pct", master.Setting{Value: "80"}},
		item{"S2/discount.floor_pct", master.Setting{Value: "50"}},
		item{"*/scale.layout", master.Setting{Value: "weight13"}},
		item{"S1/shift.variance_threshold", master.Setting{Value: "12.5"}})
	s, err := r.db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, "一号店", s.Name)
	assert.Equal(t, "南山区", s.Address)
	assert.Equal(t, "总部", s.ReceiptFooter)
	assert.Equal(t, app.PaymentConsumeDeposit, s.PaymentMode)
	assert.Equal(t, 80, s.DiscountFloorPct)
	assert.Equal(t, "weight13", s.ScaleLayout)
	term, err := r.db.CurrentTerminal(ctx)
	require.NoError(t, err)
	assert.Equal(t, "收银一", term.Name)
	assert.Equal(t, app.ModeDeposit, term.CashierMode)
	v, err := r.db.GetSetting(ctx, "shift.variance_threshold", "")
	require.NoError(t, err)
	assert.Equal(t, "12.50", v)

	r.apply(master.TopicSettings, item{"S1/receipt.footer", master.Setting{Value: "本店"}}, item{"*/receipt.footer", master.Setting{Value: "总部二"}})
	s, err = r.db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, "本店", s.ReceiptFooter, "the store's own wins whatever the order")
	r.apply(master.TopicSettings, item{"S1/receipt.footer", nil})
	s, err = r.db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, "总部二", s.ReceiptFooter)
	r.apply(master.TopicSettings, item{"*/receipt.footer", nil})
	s, err = r.db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, "总部二", s.ReceiptFooter, "no longer set: the terminal keeps what it has")

	res := r.apply(master.TopicSettings, item{"*/printer.port", `{"value":"/dev/ttyS0"}`}, item{"*/language", `{"value":"en"}`},
		item{"*/discount.floor_pct", `{"value":"120"}`})
	assert.Equal(t, 3, res.Quarantined)
	assert.Equal(t, 80, s.DiscountFloorPct)
}

// An enrolment anew starts every topic again and drops what was kept for
// the old store.
func TestMasterApply_NewEnrolmentStartsAgain(t *testing.T) {
	r := newPullRig(t)
	ctx := context.Background()
	r.product("SKU1", "雪碧", 350, "6901234567892")
	r.apply(master.TopicPrices, item{"S1/SKU1", master.Price{Price: 300}})
	c, err := r.db.PullCursor(ctx, master.TopicPrices)
	require.NoError(t, err)
	assert.Equal(t, int64(2), c)
	require.NoError(t, r.db.PrepareMasterPull(ctx, r.scope))
	c, err = r.db.PullCursor(ctx, master.TopicPrices)
	require.NoError(t, err)
	assert.Equal(t, int64(2), c, "the same enrolment keeps its cursors")
	r.scope.Terminal = "t-2"
	require.NoError(t, r.db.PrepareMasterPull(ctx, r.scope))
	for _, topic := range master.Order {
		c, err := r.db.PullCursor(ctx, topic)
		require.NoError(t, err)
		assert.Zero(t, c, topic)
	}
	var n int
	require.NoError(t, r.db.Read().QueryRow(`SELECT count(*) FROM master_price`).Scan(&n))
	assert.Zero(t, n)
	// Pulled again from the start, the product is matched by its code:
	// the same product, not a second one.
	first := r.mustScan("6901234567892").ID
	r.cursor = map[string]int64{}
	r.product("SKU1", "雪碧 500ml", 380, "6901234567892")
	p := r.mustScan("6901234567892")
	assert.Equal(t, first, p.ID)
	assert.Equal(t, app.Money(380), p.Price)
	assert.Equal(t, "雪碧 500ml", p.Name)
	cnt, err := r.db.CountProducts(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, 1, cnt)
}
