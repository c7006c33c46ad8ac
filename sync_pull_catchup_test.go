package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/catalog"
	"cashier/localdb"
	"cashier/localdb/fxcatalog"
	"cashier/sync/backoffice/master"
	"cashier/sync/backoffice/server"
)

// chainModel is what the back office holds, kept by the test beside it:
// the state a terminal of store S0001 must end with.
type chainModel struct {
	products map[string]master.Product // live SKUs
	deleted  map[string]bool           // SKUs deleted (their local product off sale)
	codes    map[string]string         // code → SKU
	chain    map[string]int64          // SKU → price for every store
	own      map[string]int64          // SKU → S0001's price
	puts     []server.MasterPut
}

func newChainModel() *chainModel {
	return &chainModel{products: map[string]master.Product{}, deleted: map[string]bool{}, codes: map[string]string{},
		chain: map[string]int64{}, own: map[string]int64{}}
}

func (m *chainModel) put(t testing.TB, topic, id string, v any) {
	t.Helper()
	if v == nil {
		m.puts = append(m.puts, server.MasterPut{Topic: topic, ID: id, Deleted: true})
		return
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	m.puts = append(m.puts, server.MasterPut{Topic: topic, ID: id, Payload: b})
}

func (m *chainModel) product(t testing.TB, sku string, p master.Product) {
	m.products[sku] = p
	delete(m.deleted, sku)
	m.put(t, master.TopicProducts, sku, p)
}

func (m *chainModel) deleteProduct(t testing.TB, sku string) {
	delete(m.products, sku)
	m.deleted[sku] = true
	m.put(t, master.TopicProducts, sku, nil)
}

func (m *chainModel) code(t testing.TB, code, sku string) {
	m.codes[code] = sku
	m.put(t, master.TopicBarcodes, code, master.Barcode{SKU: sku})
}

func (m *chainModel) price(t testing.TB, store, sku string, fen int64) {
	switch store {
	case master.AllStores:
		m.chain[sku] = fen
	case "S0001":
		m.own[sku] = fen
	}
	m.put(t, master.TopicPrices, master.PriceID(store, sku), master.Price{Price: fen})
}

// publish sends what was put since the last publish, in one transaction.
func (m *chainModel) publish(t testing.TB, st server.Store) {
	t.Helper()
	_, err := st.Publish(context.Background(), m.puts, time.Now())
	require.NoError(t, err)
	m.puts = nil
}

// check compares the terminal's catalogue with the model: every live SKU
// sold by each of its codes at its store's price (else the chain's) with
// its name, found by its name; every deleted one off sale with its codes
// free; and no other product of the back office's on sale.
func (m *chainModel) check(t testing.TB, db *localdb.DB) {
	t.Helper()
	ctx := context.Background()
	svc := catalog.Service{Store: db, Permits: auth.Rules{Store: db}, Clock: app.SystemClock{}}
	storeID := int64(1)
	for code, sku := range m.codes {
		p, live := m.products[sku]
		got, err := svc.Scan(ctx, storeID, code)
		if !live {
			assert.Error(t, err, "%s of deleted %s", code, sku)
			continue
		}
		require.NoError(t, err, "%s of %s", code, sku)
		assert.Equal(t, p.Name, got.Name, sku)
		want := m.chain[sku]
		if own, ok := m.own[sku]; ok {
			want = own
		}
		assert.Equal(t, app.Money(want), got.Price, sku)
		assert.Contains(t, got.Barcodes, code)
	}
	var onSale int
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM master_product m JOIN product p ON p.id = m.product_id WHERE p.active = 1`).Scan(&onSale))
	assert.Equal(t, len(m.products), onSale, "exactly the back office's live products are on sale")
	for sku := range m.deleted {
		var active int
		err := db.Read().QueryRow(`SELECT p.active FROM master_product m JOIN product p ON p.id = m.product_id WHERE m.sku = ?`, sku).Scan(&active)
		if err == nil {
			assert.Zero(t, active, sku)
		}
	}
	for sku, p := range m.products {
		found, err := svc.Search(ctx, storeID, p.Name, catalog.Filter{})
		require.NoError(t, err)
		var names []string
		for _, f := range found {
			names = append(names, f.Name)
		}
		assert.Contains(t, names, p.Name, sku)
	}
}

// A terminal offline for a day catches up with one pull: the back office
// took a day of changes meanwhile — new products, prices moved (the
// chain's and the store's own), a product renamed twice, products deleted,
// a code moved to another product, staff added, moved away and given new
// permissions, settings — and was unreachable once when the terminal
// tried. After one pos sync pull the terminal holds exactly the newest
// state.
func TestSyncPull_OfflineForADayCatchesUp(t *testing.T) {
	boPath := filepath.Join(t.TempDir(), "bo.db")
	st, err := server.OpenSQLite(context.Background(), boPath, make([]byte, 32))
	require.NoError(t, err)
	defer st.Close()
	var down atomic.Bool
	real := server.New(st, server.Options{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
			return
		}
		real.ServeHTTP(w, r)
	}))
	defer ts.Close()

	dir := spDemoFolder(t)
	spWithDB(t, dir, func(db *localdb.DB) { plEnrol(t, db, st, ts.URL) })
	m := newChainModel()
	const n = 400
	for i := range n {
		p := fxcatalog.Product(i)
		sku := fmt.Sprintf("P%04d", i)
		m.product(t, sku, master.Product{Name: p.Name, Unit: p.Unit, Category: p.Category, TaxRate: 1300})
		m.code(t, fxcatalog.EAN13(i), sku)
		m.price(t, master.AllStores, sku, int64(p.Price))
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("2468"), bcrypt.MinCost)
	require.NoError(t, err)
	m.put(t, master.TopicStaff, "2001", master.Staff{Store: "S0001", Name: "赵敏", Role: "clerk", PINHash: string(hash)})
	m.put(t, master.TopicSettings, master.SettingID("*", master.SettingReceiptFooter), master.Setting{Value: "欢迎再次光临"})
	m.publish(t, st)

	rc, out, errs := runCmd(t, nil, "sync", "pull", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "Products: 400 applied")
	assert.Contains(t, out, "pull done: 1202 applied, 0 of other stores or terminals, 0 refused, 0 products waiting")
	spWithDB(t, dir, func(db *localdb.DB) { m.check(t, db) })

	// A day away. The back office changes a lot, in many publishes.
	for i := 0; i < n; i += 7 {
		sku := fmt.Sprintf("P%04d", i)
		m.price(t, master.AllStores, sku, m.chain[sku]+10)
		m.publish(t, st)
	}
	for i := 1; i < n; i += 11 {
		sku := fmt.Sprintf("P%04d", i)
		m.price(t, "S0001", sku, m.chain[sku]-5)
		m.price(t, "S0002", sku, 1) // another store's: never here
	}
	m.publish(t, st)
	twice := "P0003"
	m.product(t, twice, master.Product{Name: "临时改名的商品", Unit: "个"})
	m.publish(t, st)
	m.product(t, twice, master.Product{Name: "最终名称 山楂条", Unit: "袋", Category: "零食"})
	m.publish(t, st)
	for i := 10; i < 20; i++ {
		m.deleteProduct(t, fmt.Sprintf("P%04d", i))
	}
	m.publish(t, st)
	m.code(t, fxcatalog.EAN13(30), "P0031") // the code moves to another product
	m.code(t, "P31", "P0031")
	m.code(t, "X30", "P0030") // its old product keeps one of its own
	m.publish(t, st)
	for i := n; i < n+50; i++ {
		p := fxcatalog.Product(i)
		sku := fmt.Sprintf("P%04d", i)
		m.product(t, sku, master.Product{Name: p.Name, Unit: p.Unit, Category: p.Category})
		m.code(t, fxcatalog.EAN13(i), sku)
		m.price(t, master.AllStores, sku, int64(p.Price))
	}
	m.publish(t, st)
	m.put(t, master.TopicStaff, "2001", master.Staff{Store: "S0002", Name: "赵敏", Role: "clerk"}) // moved away
	m.put(t, master.TopicStaff, "2002", master.Staff{Store: "S0001", Name: "钱进", Role: "manager"})
	m.put(t, master.TopicPermissions, "2002", master.Permissions{Grants: []string{"refund", "settings"}})
	m.put(t, master.TopicSettings, master.SettingID("S0001", master.SettingReceiptFooter), master.Setting{Value: "本店周末八折"})
	m.put(t, master.TopicSettings, master.SettingID("*", master.SettingVarianceThreshold), master.Setting{Value: "30"})
	m.publish(t, st)

	// The terminal tries while the back office is unreachable: nothing
	// moves, the failure is kept for the backoff.
	var cursors map[string]int64
	spWithDB(t, dir, func(db *localdb.DB) { cursors = plCursors(t, db) })
	down.Store(true)
	rc, out, errs = runCmd(t, nil, "sync", "pull", "--data-dir", dir)
	assert.Equal(t, exitFailed, rc, out+errs)
	assert.Contains(t, errs, "502")
	assert.Contains(t, errs, "It is tried again later")
	spWithDB(t, dir, func(db *localdb.DB) {
		assert.Equal(t, cursors, plCursors(t, db))
		ss, err := db.SyncState(context.Background(), localdb.SyncPull)
		require.NoError(t, err)
		assert.Equal(t, 1, ss.Failures)
		assert.NotEmpty(t, ss.LastError)
	})
	down.Store(false)

	// One pull.
	rc, out, errs = runCmd(t, nil, "sync", "pull", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "0 refused")
	spWithDB(t, dir, func(db *localdb.DB) {
		m.check(t, db)
		ctx := context.Background()
		svc := catalog.Service{Store: db, Permits: auth.Rules{Store: db}, Clock: app.SystemClock{}}
		found, err := svc.Search(ctx, 1, "临时改名", catalog.Filter{})
		require.NoError(t, err)
		assert.Empty(t, found, "the first rename left nothing behind")
		p, err := svc.Scan(ctx, 1, fxcatalog.EAN13(30))
		require.NoError(t, err)
		assert.Equal(t, m.products["P0031"].Name, p.Name)
		zhao, _, err := db.StaffByCode(ctx, "2001")
		require.NoError(t, err)
		assert.True(t, zhao.Disabled, "moved to another store: disabled here")
		qian, _, err := db.StaffByCode(ctx, "2002")
		require.NoError(t, err)
		assert.Equal(t, map[string]bool{"refund": true, "settings": true}, qian.Permissions)
		s, err := db.CurrentStore(ctx)
		require.NoError(t, err)
		assert.Equal(t, "本店周末八折", s.ReceiptFooter)
		v, err := db.GetSetting(ctx, master.SettingVarianceThreshold, "")
		require.NoError(t, err)
		assert.Equal(t, "30.00", v)
		ss, err := db.SyncState(ctx, localdb.SyncPull)
		require.NoError(t, err)
		assert.Zero(t, ss.Failures)
		q, err := db.MasterQuarantine(ctx)
		require.NoError(t, err)
		assert.Empty(t, q)
	})
	// Nothing new: nothing applied.
	rc, out, errs = runCmd(t, nil, "sync", "pull", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "pull done: 0 applied")
}

func plCursors(t testing.TB, db *localdb.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, topic := range master.Order {
		c, err := db.PullCursor(context.Background(), topic)
		require.NoError(t, err)
		out[topic] = c
	}
	return out
}

// Bad input through pos sync pull: items with an unknown field or a bad
// value are refused and named with the reason in words, the rest applied;
// a back office answering 5xx or garbage moves no cursor and loses
// nothing; bad command lines are refused before anything is opened.
func TestSyncPull_CLIBadItemsAndBadAnswers(t *testing.T) {
	st, _, _ := plBackOffice(t)
	var mode atomic.Value
	mode.Store("")
	real := server.New(st, server.Options{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load().(string) {
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"code":"internal","message":"internal error"}`)
		case "garbage":
			fmt.Fprint(w, `{"topic":"stores","items":[{"cur`)
		default:
			real.ServeHTTP(w, r)
		}
	}))
	defer ts.Close()
	dir := spDemoFolder(t)
	spWithDB(t, dir, func(db *localdb.DB) { plEnrol(t, db, st, ts.URL) })
	m := newChainModel()
	m.product(t, "GOOD", master.Product{Name: "好商品"})
	m.code(t, "6901234567892", "GOOD")
	m.price(t, master.AllStores, "GOOD", 990)
	m.publish(t, st)
	_, err := st.Publish(context.Background(), []server.MasterPut{
		{Topic: master.TopicProducts, ID: "BAD1", Payload: json.RawMessage(`{"name":"坏商品","colour":"red"}`)},
		{Topic: master.TopicPrices, ID: "*/BAD2", Payload: json.RawMessage(`{"price":0}`)},
	}, time.Now())
	require.NoError(t, err)

	for _, bad := range []string{"500", "garbage"} {
		mode.Store(bad)
		rc, out, errs := runCmd(t, nil, "sync", "pull", "--data-dir", dir)
		assert.Equal(t, exitFailed, rc, out+errs)
		assert.Contains(t, errs, "It is tried again later", bad)
		spWithDB(t, dir, func(db *localdb.DB) {
			for topic, c := range plCursors(t, db) {
				assert.Zero(t, c, "%s %s", bad, topic)
			}
		})
	}
	mode.Store("")
	rc, out, errs := runCmd(t, nil, "sync", "pull", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "2 refused")
	assert.Contains(t, out, "refused Products BAD1: Unknown field colour")
	assert.Contains(t, out, "refused Prices */BAD2: A price of 0 fen is not valid")
	spWithDB(t, dir, func(db *localdb.DB) {
		m.check(t, db)
		q, err := db.MasterQuarantine(context.Background())
		require.NoError(t, err)
		assert.Len(t, q, 2)
	})
	rc, out, errs = runCmdLang(t, nil, "", "sync", "pull", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "拉取完成")

	rc, _, errs = runCmd(t, nil, "sync", "pull", "extra", "--data-dir", dir)
	assert.Equal(t, exitUsage, rc)
	assert.Contains(t, errs, "extra")
	rc, out, errs = runCmd(t, nil, "sync", "pull", "--data-dir", spDemoFolder(t))
	assert.Equal(t, exitFailed, rc, out+errs)
	assert.Contains(t, errs, "not enrolled with a back office")
}
