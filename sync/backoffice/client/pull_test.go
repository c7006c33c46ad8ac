package client_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/catalog"
	"cashier/localdb"
	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/master"
	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
)

// terminalDB is a terminal's database with one merchant, store S01,
// terminal and clerk, set up as pos init leaves it.
func terminalDB(t testing.TB) *localdb.DB {
	t.Helper()
	db, err := localdb.Open(filepath.Join(t.TempDir(), "pos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`
INSERT INTO merchant(id, code, name, created_at) VALUES (1, 'M1', 'Test merchant', 0);
INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (1, 1, 'S01', 'Test store', 0);
INSERT INTO terminal(id, store_id, code, name, created_at) VALUES (1, 1, 'T1', 'Till 1', 0);
INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at) VALUES (1, 1, '1001', 'Clerk', 'clerk', 'x', 0, 0);
INSERT INTO setting(key, value, updated_at) VALUES ('store_id', '1', 0), ('terminal_id', '1', 0);`)
		return err
	}))
	return db
}

// backOfficeTB is a back office on a SQLite file behind a loopback HTTP
// server, and a terminal of store S01 enrolled with it.
func backOfficeTB(tb testing.TB) (server.Store, *client.Client) {
	tb.Helper()
	st, err := server.OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), "bo.db"), make([]byte, 32))
	require.NoError(tb, err)
	tb.Cleanup(func() { st.Close() })
	return st, enrolTB(tb, st)
}

// enrolTB serves st on loopback and enrols a terminal of store S01.
func enrolTB(tb testing.TB, st server.Store) *client.Client {
	tb.Helper()
	ctx := context.Background()
	ts := httptest.NewServer(server.New(st, server.Options{}))
	tb.Cleanup(ts.Close)
	code, err := st.NewEnrolCode(ctx, "S01", time.Now(), time.Now().Add(time.Hour))
	require.NoError(tb, err)
	en, err := client.Enrol(ctx, nil, ts.URL, code, "counter 1")
	require.NoError(tb, err)
	secret, err := base64.StdEncoding.DecodeString(en.Secret)
	require.NoError(tb, err)
	return &client.Client{URL: ts.URL, Terminal: en.Terminal, Secret: secret}
}

// put is one master item to publish.
func put(t testing.TB, topic, id string, v any) server.MasterPut {
	t.Helper()
	if v == nil {
		return server.MasterPut{Topic: topic, ID: id, Deleted: true}
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return server.MasterPut{Topic: topic, ID: id, Payload: b}
}

func publish(t testing.TB, st server.Store, puts ...server.MasterPut) {
	t.Helper()
	_, err := st.Publish(context.Background(), puts, time.Now())
	require.NoError(t, err)
}

// product is the three items of a product: itself, its code and its
// chain-wide price.
func product(t testing.TB, sku, name, code string, price int64) []server.MasterPut {
	return []server.MasterPut{
		put(t, master.TopicProducts, sku, master.Product{Name: name, Category: "饮料", TaxRate: 1300}),
		put(t, master.TopicBarcodes, code, master.Barcode{SKU: sku}),
		put(t, master.TopicPrices, master.PriceID(master.AllStores, sku), master.Price{Price: price}),
	}
}

func catalogue(db *localdb.DB) catalog.Service {
	return catalog.Service{Store: db, Permits: auth.Rules{Store: db}, Clock: app.SystemClock{}}
}

func puller(c *client.Client, db *localdb.DB) *client.Puller {
	return &client.Puller{Pages: c, Store: db, Scope: master.Scope{StoreCode: "S01", Terminal: c.Terminal}}
}

func TestPuller_AppliesEveryTopicOnce(t *testing.T) {
	st, c := backOfficeTB(t)
	db := terminalDB(t)
	ctx := context.Background()

	var puts []server.MasterPut
	puts = append(puts, product(t, "SKU1", "可口可乐 330ml", "6901234567892", 350)...)
	puts = append(puts, product(t, "SKU2", "农夫山泉 550ml", "6921168509256", 200)...)
	puts = append(puts,
		put(t, master.TopicPrices, master.PriceID("S01", "SKU1"), master.Price{Price: 300}), // the store's own wins
		put(t, master.TopicPrices, master.PriceID("S02", "SKU2"), master.Price{Price: 999}), // another store's: ignored
		put(t, master.TopicBarcodes, "00123", master.Barcode{SKU: "SKU1", Position: 1}),
		put(t, master.TopicStores, "S01", master.Store{Name: "好邻居便利店（总部下发）", Address: "深圳市南山区", Phone: "0755-1"}),
		put(t, master.TopicStores, "S02", master.Store{Name: "另一家店"}),
		put(t, master.TopicTerminals, c.Terminal, master.Terminal{Store: "S01", Name: "前台1号", CashierMode: "sale"}),
		put(t, master.TopicStaff, "2001", master.Staff{Store: "S01", Name: "王芳", Role: "manager"}),
		put(t, master.TopicStaff, "3001", master.Staff{Store: "S02", Name: "别店员工", Role: "clerk"}),
		put(t, master.TopicPermissions, "2001", master.Permissions{Grants: []string{"refund", "discount"}}),
		put(t, master.TopicSettings, master.SettingID("*", master.SettingReceiptFooter), master.Setting{Value: "总部页脚"}),
		put(t, master.TopicSettings, master.SettingID("S01", master.SettingReceiptFooter), master.Setting{Value: "本店页脚"}),
		put(t, master.TopicSettings, master.SettingID("*", master.SettingVarianceThreshold), master.Setting{Value: "20"}),
	)
	publish(t, st, puts...)

	var seen []client.PullProgress
	p := puller(c, db)
	p.Progress = func(pr client.PullProgress) { seen = append(seen, pr) }
	res, err := p.Run(ctx)
	require.NoError(t, err)
	assert.Empty(t, res.Refused)
	assert.Equal(t, 0, res.Quarantined)
	assert.Equal(t, 3, res.Ignored, "another store, its staff and its price: none of them are this terminal's")
	assert.Equal(t, 0, res.Pending)
	require.Len(t, seen, len(master.Order), "one page a topic")
	for i, pr := range seen {
		assert.Equal(t, master.Order[i], pr.Topic)
		assert.False(t, pr.More)
	}

	cat := catalogue(db)
	got, err := cat.Scan(ctx, 1, "6901234567892")
	require.NoError(t, err)
	assert.Equal(t, app.Money(300), got.Price, "the store's price, not the chain's")
	assert.Equal(t, []string{"6901234567892", "00123"}, got.Barcodes)
	assert.Equal(t, "饮料", got.Category)
	found, err := cat.Search(ctx, 1, "kkkl", catalog.Filter{})
	require.NoError(t, err)
	require.NotEmpty(t, found, "pinyin initials find the pulled product")
	assert.Equal(t, "可口可乐 330ml", found[0].Name)
	got, err = cat.Scan(ctx, 1, "6921168509256")
	require.NoError(t, err)
	assert.Equal(t, app.Money(200), got.Price)

	s, err := db.CurrentStore(ctx)
	require.NoError(t, err)
	assert.Equal(t, "好邻居便利店（总部下发）", s.Name)
	assert.Equal(t, "本店页脚", s.ReceiptFooter)
	term, err := db.CurrentTerminal(ctx)
	require.NoError(t, err)
	assert.Equal(t, "前台1号", term.Name)
	assert.Equal(t, app.ModeSale, term.CashierMode)
	v, err := db.GetSetting(ctx, master.SettingVarianceThreshold, "")
	require.NoError(t, err)
	assert.Equal(t, "20.00", v)

	wang, _, err := db.StaffByCode(ctx, "2001")
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"refund": true, "discount": true}, wang.Permissions)
	assert.Equal(t, app.RoleManager, wang.Role)
	_, _, err = db.StaffByCode(ctx, "3001")
	assert.ErrorIs(t, err, app.ErrUnknownStaff, "another store's person is not kept here")

	// Nothing new: one empty page a topic, nothing applied.
	before := auditCount(t, db)
	res, err = puller(c, db).Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, res.Applied+res.Ignored+res.Quarantined)
	assert.Equal(t, before, auditCount(t, db))
}

func auditCount(t testing.TB, db *localdb.DB) int {
	var n int
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n))
	return n
}

func cursor(t testing.TB, db *localdb.DB, topic string) int64 {
	c, err := db.PullCursor(context.Background(), topic)
	require.NoError(t, err)
	return c
}

// A bad item is quarantined with its reason and audited; the rest of its
// page is applied and the cursor moves past it. Published again fixed, it
// applies and leaves the quarantine.
func TestPuller_BadItemsQuarantinedTheRestApplied(t *testing.T) {
	st, c := backOfficeTB(t)
	db := terminalDB(t)
	ctx := context.Background()
	puts := product(t, "SKU1", "雪碧 330ml", "6901234567892", 350)
	puts = append(puts,
		server.MasterPut{Topic: master.TopicProducts, ID: "SKU2", Payload: json.RawMessage(`{"name":"芬达","colour":"orange"}`)},
		server.MasterPut{Topic: master.TopicPrices, ID: "*/SKU3", Payload: json.RawMessage(`{"price":"3.50"}`)},
		server.MasterPut{Topic: master.TopicPrices, ID: "*/SKU4", Payload: json.RawMessage(`{"price":-1}`)},
		server.MasterPut{Topic: master.TopicBarcodes, ID: "6901234567890", Payload: json.RawMessage(`{"sku":"SKU1"}`)}, // wrong check digit
		server.MasterPut{Topic: master.TopicSettings, ID: "*/printer.port", Payload: json.RawMessage(`{"value":"/dev/ttyS0"}`)},
		server.MasterPut{Topic: master.TopicPermissions, ID: "1001", Payload: json.RawMessage(`{"grants":["refund","fly"]}`)},
	)
	publish(t, st, puts...)
	res, err := puller(c, db).Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, 6, res.Quarantined)
	reasons := map[string]string{}
	for _, r := range res.Refused {
		reasons[r.Topic+"/"+r.ID] = r.Err.Error()
	}
	assert.Contains(t, reasons["products/SKU2"], "sync.master.unknown_field Field=colour")
	assert.Contains(t, reasons["prices/*/SKU3"], "sync.master.bad_json")
	assert.Contains(t, reasons["prices/*/SKU4"], "sync.master.bad_price")
	assert.Contains(t, reasons["barcodes/6901234567890"], "sync.master.bad_id")
	assert.Contains(t, reasons["settings/*/printer.port"], "sync.master.setting_not_allowed")
	assert.Contains(t, reasons["permissions/1001"], "sync.master.unknown_permission Code=fly")

	got, err := catalogue(db).Scan(ctx, 1, "6901234567892")
	require.NoError(t, err, "the good items of the same pages are applied")
	assert.Equal(t, app.Money(350), got.Price)
	clerk, _, err := db.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	assert.Empty(t, clerk.Permissions, "a refused grant set changes nothing")
	q, err := db.MasterQuarantine(ctx)
	require.NoError(t, err)
	assert.Len(t, q, 6)
	var audited int
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM audit_log WHERE action='sync_quarantine'`).Scan(&audited))
	assert.Equal(t, 6, audited)
	for _, topic := range master.Order {
		last, err := st.Pull(ctx, topic, 0, 1000)
		require.NoError(t, err)
		if len(last) > 0 {
			assert.Equal(t, last[len(last)-1].Cursor, cursor(t, db, topic), "%s: the cursor moved past the bad items", topic)
		}
	}

	// The back office fixes the product: it applies and leaves the quarantine.
	publish(t, st, put(t, master.TopicProducts, "SKU2", master.Product{Name: "芬达"}),
		put(t, master.TopicBarcodes, "6921168509256", master.Barcode{SKU: "SKU2"}),
		put(t, master.TopicPrices, "*/SKU2", master.Price{Price: 300}))
	_, err = puller(c, db).Run(ctx)
	require.NoError(t, err)
	got, err = catalogue(db).Scan(ctx, 1, "6921168509256")
	require.NoError(t, err)
	assert.Equal(t, "芬达", got.Name)
	q, err = db.MasterQuarantine(ctx)
	require.NoError(t, err)
	assert.Len(t, q, 5)
	for _, it := range q {
		assert.NotEqual(t, "SKU2", it.ID)
	}
}

// A back office that answers 5xx, HTML, garbage, or a page that is not the
// protocol's: the pull stops with an error to retry, the cursor where it
// was and nothing applied; the real back office then brings everything.
func TestPuller_BadAnswersMoveNoCursor(t *testing.T) {
	st, c := backOfficeTB(t)
	db := terminalDB(t)
	ctx := context.Background()
	publish(t, st, product(t, "SKU1", "雪碧 330ml", "6901234567892", 350)...)

	real := server.New(st, server.Options{})
	var mode atomic.Value
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load().(string) {
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"code":"internal","message":"internal error"}`)
		case "html":
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `<html><body>502 Bad Gateway</body></html>`)
		case "garbage":
			fmt.Fprint(w, `{"topic":"barcodes","items":[{"cursor":`)
		case "disorder":
			fmt.Fprintf(w, `{"topic":%q,"items":[{"cursor":5,"id":"6901234567892","payload":{"sku":"SKU1"}},{"cursor":4,"id":"00123","payload":{"sku":"SKU1"}}],"next":5,"more":false}`, r.URL.Query().Get("topic"))
		case "stuck":
			fmt.Fprintf(w, `{"topic":%q,"items":[],"next":0,"more":true}`, r.URL.Query().Get("topic"))
		default:
			real.ServeHTTP(w, r)
		}
	}))
	defer fake.Close()
	bad := *c
	bad.URL = fake.URL
	for _, m := range []string{"500", "html", "garbage", "disorder", "stuck"} {
		mode.Store(m)
		_, err := puller(&bad, db).Run(ctx)
		require.Error(t, err, m)
		assert.True(t, client.Retryable(err), "%s: %v", m, err)
		for _, topic := range master.Order {
			assert.Zero(t, cursor(t, db, topic), "%s: %s", m, topic)
		}
		n, err := db.CountProducts(ctx, 1)
		require.NoError(t, err)
		assert.Zero(t, n, m)
	}
	mode.Store("real")
	_, err := puller(&bad, db).Run(ctx)
	require.NoError(t, err)
	got, err := catalogue(db).Scan(ctx, 1, "6901234567892")
	require.NoError(t, err)
	assert.Equal(t, app.Money(350), got.Price)
}

// Cancelling stops between pages: what was applied stays with its cursor,
// and the next pull goes on from there.
func TestPuller_CancelBetweenPages(t *testing.T) {
	st, c := backOfficeTB(t)
	db := terminalDB(t)
	var puts []server.MasterPut
	for i := range 30 {
		puts = append(puts, product(t, fmt.Sprintf("SKU%02d", i), fmt.Sprintf("商品%02d", i), fmt.Sprintf("C%05d", i), 100+int64(i))...)
	}
	publish(t, st, puts...)
	ctx, cancel := context.WithCancel(context.Background())
	p := puller(c, db)
	p.Limit = 10
	p.Batch, p.BulkBatch = 1, 1
	pages := 0
	p.Progress = func(pr client.PullProgress) {
		pages++
		if pr.Topic == master.TopicBarcodes && pr.Cursor > 0 {
			cancel()
		}
	}
	res, err := p.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, len(master.Order[:master.Index(master.TopicBarcodes)])+1, res.Pages, "an empty page for each topic before, then one of codes")
	assert.False(t, client.Retryable(err))
	first := cursor(t, db, master.TopicBarcodes)
	assert.Positive(t, first)

	p.Progress = nil
	res, err = p.Run(context.Background())
	require.NoError(t, err)
	assert.Greater(t, cursor(t, db, master.TopicBarcodes), first)
	n, err := db.CountProducts(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, 30, n)
	assert.Equal(t, 30*3, res.Applied+10, "the first page of codes was applied before the cancel")
}

// Two pulls racing for one topic: the second page applied from a stale
// cursor is refused whole and changes nothing.
func TestApply_StaleCursorRefused(t *testing.T) {
	db := terminalDB(t)
	ctx := context.Background()
	scope := master.Scope{StoreCode: "S01", Terminal: "t-1"}
	require.NoError(t, db.PrepareMasterPull(ctx, scope))
	page := func(from, next int64) *master.Page {
		return master.DecodePage(master.TopicPrices, from, next, false, []master.Raw{{Cursor: next, ID: "*/SKU1", Payload: json.RawMessage(`{"price":100}`)}})
	}
	_, err := db.ApplyMasterPage(ctx, scope, page(0, 5))
	require.NoError(t, err)
	_, err = db.ApplyMasterPage(ctx, scope, page(0, 6))
	require.True(t, errors.Is(err, localdb.ErrPullRaced), "%v", err)
	assert.True(t, strings.HasPrefix(err.Error(), "sync.master.raced"))
	assert.Equal(t, int64(5), cursor(t, db, master.TopicPrices))
	// Pages applied together: all or none.
	_, err = db.ApplyMasterPages(ctx, scope, []*master.Page{page(5, 7), page(6, 8)})
	require.True(t, errors.Is(err, localdb.ErrPullRaced), "%v", err)
	assert.Equal(t, int64(5), cursor(t, db, master.TopicPrices), "the first page is not kept when the second fails")
	_, err = db.ApplyMasterPages(ctx, scope, []*master.Page{page(5, 7), page(7, 8)})
	require.NoError(t, err)
	assert.Equal(t, int64(8), cursor(t, db, master.TopicPrices))
}

// countingPages counts the pages the back office answered per topic, and
// whether a topic's last one has been answered.
type countingPages struct {
	client.Pages
	mu   sync.Mutex
	last map[string]bool
}

func (c *countingPages) Pull(ctx context.Context, topic string, cursor int64, limit int) (protocol.PullPage, error) {
	pg, err := c.Pages.Pull(ctx, topic, cursor, limit)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && !pg.More {
		c.last[topic] = true
	}
	return pg, err
}

func (c *countingPages) done(topic string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last[topic]
}

// batchApplier records how many pages each transaction held, per topic;
// the first transaction of a topic waits until its pages have all been
// fetched, as when the apply is the slow end of a big pull.
type batchApplier struct {
	client.Applier
	pages *countingPages
	sizes map[string][]int
}

func (b *batchApplier) ApplyMasterPages(ctx context.Context, scope master.Scope, pages []*master.Page) ([]master.Outcome, error) {
	topic := pages[0].Topic
	if len(b.sizes[topic]) == 0 {
		deadline := time.Now().Add(10 * time.Second)
		for !b.pages.done(topic) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	b.sizes[topic] = append(b.sizes[topic], len(pages))
	return b.Applier.ApplyMasterPages(ctx, scope, pages)
}

// A topic pulled from cursor 0 is applied in transactions of up to
// BulkBatch pages; one pulled before, in transactions of up to Batch —
// each page still with its cursor, so what a pull did is whole pages.
func TestPuller_FreshTopicsInLargerTransactions(t *testing.T) {
	st, c := backOfficeTB(t)
	db := terminalDB(t)
	var puts []server.MasterPut
	for i := range 60 {
		puts = append(puts, product(t, fmt.Sprintf("SKU%02d", i), fmt.Sprintf("商品%02d", i), fmt.Sprintf("C%05d", i), 100+int64(i))...)
	}
	publish(t, st, puts...)
	src := &countingPages{Pages: c, last: map[string]bool{}}
	ba := &batchApplier{Applier: db, pages: src, sizes: map[string][]int{}}
	p := puller(c, db)
	p.Pages, p.Store, p.Limit, p.Batch, p.BulkBatch = src, ba, 5, 2, 8
	res, err := p.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3*60, res.Applied)
	sizes := ba.sizes[master.TopicBarcodes]
	assert.LessOrEqual(t, slices.Max(sizes), 8)
	assert.Greater(t, slices.Max(sizes), 2, "a fresh topic's pages fetched ahead go in together: %v", sizes)
	n, err := db.CountProducts(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, 60, n)

	// The same topics again, now from their cursors: Batch bounds them.
	for i := range 60 {
		puts = append(puts[:0], put(t, master.TopicPrices, master.PriceID(master.AllStores, fmt.Sprintf("SKU%02d", i)), master.Price{Price: 200 + int64(i)}))
		publish(t, st, puts...)
	}
	src.last, ba.sizes = map[string]bool{}, map[string][]int{}
	res, err = p.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, 60, res.Applied)
	assert.LessOrEqual(t, slices.Max(ba.sizes[master.TopicPrices]), 2, "%v", ba.sizes[master.TopicPrices])
	got, err := catalogue(db).Scan(context.Background(), 1, "C00059")
	require.NoError(t, err)
	assert.Equal(t, app.Money(259), got.Price)
}
