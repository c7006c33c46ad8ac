package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/catalog"
	"cashier/localdb"
	"cashier/localdb/fxcatalog"
	"cashier/sync/backoffice/master"
	"cashier/sync/backoffice/server"
)

// pkGate holds the back office's answer to the terminal's products pull
// from its holdAt-th page on, until release is closed.
type pkGate struct {
	h       http.Handler
	n       atomic.Int64
	holdAt  int64
	held    chan struct{}
	release chan struct{}
}

func (g *pkGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/pull" && r.URL.Query().Get("topic") == master.TopicProducts && g.n.Add(1) == g.holdAt {
		close(g.held)
		select {
		case <-g.release:
		case <-r.Context().Done():
			return
		}
	}
	g.h.ServeHTTP(w, r)
}

// pkName is the i-th product's name: found by "k" and its number alone.
func pkName(i int) string { return fmt.Sprintf("K%05d号%s", i, fxcatalog.Product(i).Name) }

// pkCatalogue is the catalogue the counter searches, on db.
func pkCatalogue(db *localdb.DB) catalog.Service {
	return catalog.Service{Store: db, Permits: auth.Rules{Store: db}, Clock: app.SystemClock{}}
}

// pkFound reports whether the catalogue's search finds product i by its
// number.
func pkFound(t testing.TB, svc catalog.Service, i int) bool {
	t.Helper()
	found, err := svc.Search(context.Background(), 1, fmt.Sprintf("k%05d", i), catalog.Filter{})
	require.NoError(t, err)
	for _, f := range found {
		if f.Name == pkName(i) {
			return true
		}
	}
	return false
}

// pkIndexed is how many products the search index holds and how many of
// them differ (each product once: the two are equal).
func pkIndexed(t testing.TB, db *localdb.DB) (rows, distinct, products int) {
	t.Helper()
	require.NoError(t, db.Read().QueryRow(`SELECT count(*), count(DISTINCT id), (SELECT count(*) FROM product) FROM product_search_docsize`).
		Scan(&rows, &distinct, &products))
	return rows, distinct, products
}

// A fresh terminal's first pull (pos sync pull, a child process) is
// SIGKILLed in its products topic after a bulk transaction has committed:
// the products it wrote sell by their codes at once, are not yet found by
// name, and the list of those waiting for their search terms survived
// the kill. The app's next start indexes them; a second pull finishes the
// topic. Every product is then sold by its code and found by its name,
// and the index holds each product once.
func TestSyncPull_KilledMidBulkPullIndexedAtNextStart(t *testing.T) {
	if testing.Short() {
		t.Skip("child processes")
	}
	const n = 24_000 // 24 pages a topic; the pull is held after 15 of products
	st, _, _ := plBackOffice(t)
	var puts []server.MasterPut
	put := func(topic, id string, v any) {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		puts = append(puts, server.MasterPut{Topic: topic, ID: id, Payload: b})
	}
	for i := range n {
		sku := fmt.Sprintf("K%05d", i)
		put(master.TopicBarcodes, fxcatalog.EAN13(700_000+i), master.Barcode{SKU: sku})
		put(master.TopicPrices, master.PriceID(master.AllStores, sku), master.Price{Price: int64(100 + i)})
		put(master.TopicProducts, sku, master.Product{Name: pkName(i), Unit: "件"})
	}
	for len(puts) > 0 {
		k := min(len(puts), 3000)
		_, err := st.Publish(context.Background(), puts[:k], time.Now())
		require.NoError(t, err)
		puts = puts[k:]
	}
	g := &pkGate{h: server.New(st, server.Options{}), holdAt: 16, held: make(chan struct{}), release: make(chan struct{})}
	ts := httptest.NewServer(g)
	t.Cleanup(ts.Close)
	dir := spDemoFolder(t)
	spWithDB(t, dir, func(db *localdb.DB) { plEnrol(t, db, st, ts.URL) })

	child := spStart(t, "sync", "pull", "--data-dir", dir)
	select {
	case <-g.held:
	case <-child.done:
		t.Fatalf("the pull ended before its products were held:\n%s", child.out.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("the products pull was never held:\n%s", child.out.String())
	}
	// The fifteen pages fetched before the held one go in one bulk
	// transaction (the puller waits up to two seconds for them), their
	// search terms left to the builder.
	ro, err := localdb.OpenExisting(dbPath(dir))
	require.NoError(t, err)
	spWait(t, time.Minute, "the first bulk transaction of products", func() bool {
		left, err := ro.SearchPending(context.Background())
		require.NoError(t, err)
		return left > 0
	})
	child.kill(t)
	left, err := ro.SearchPending(context.Background())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, left, 10_000, "the products of the bulk transaction committed")
	var waiting int
	require.NoError(t, ro.Read().QueryRow(`SELECT max(product_id) FROM search_pending`).Scan(&waiting))
	p, err := ro.Product(context.Background(), 1, int64(waiting))
	require.NoError(t, err)
	var i int
	_, err = fmt.Sscanf(p.Name, "K%05d", &i)
	require.NoError(t, err, p.Name)
	svc := pkCatalogue(ro)
	got, err := svc.Scan(context.Background(), 1, fxcatalog.EAN13(700_000+i))
	require.NoError(t, err, "sold by its code at once")
	assert.Equal(t, pkName(i), got.Name)
	assert.Equal(t, app.Money(100+i), got.Price)
	assert.False(t, pkFound(t, svc, i), "not found by name before its terms are written")
	require.NoError(t, ro.Close())

	// The next start writes the terms the killed pull left.
	spWithDB(t, dir, func(db *localdb.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		require.NoError(t, db.WaitSearchIndex(ctx))
		left, err := db.SearchPending(ctx)
		require.NoError(t, err)
		assert.Zero(t, left)
		svc := pkCatalogue(db)
		assert.True(t, pkFound(t, svc, i))
	})

	// A second pull goes on from the last cursor committed.
	close(g.release)
	rc, out, errs := runCmd(t, nil, "sync", "pull", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	spWithDB(t, dir, func(db *localdb.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		require.NoError(t, db.WaitSearchIndex(ctx))
		svc := pkCatalogue(db)
		for i := range n {
			got, err := svc.Scan(ctx, 1, fxcatalog.EAN13(700_000+i))
			require.NoError(t, err, i)
			require.Equal(t, pkName(i), got.Name)
		}
		for i := 0; i < n; i += 97 {
			assert.True(t, pkFound(t, svc, i), "%d found by name", i)
		}
		rows, distinct, products := pkIndexed(t, db)
		assert.Equal(t, rows, distinct, "no product indexed twice")
		assert.Equal(t, products, distinct, "every product indexed")
		var pulled int
		require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM master_product WHERE product_id IS NOT NULL`).Scan(&pulled))
		assert.Equal(t, n, pulled)
	})
	assert.False(t, strings.Contains(out, "search index"), "the second pull wrote its terms with its pages:\n%s", out)
}

// A first pull through the command line stays until its products are
// found by name too, saying so.
func TestSyncPull_CLIWaitsForTheSearchIndex(t *testing.T) {
	st, _, url := plBackOffice(t)
	const n = 12_000 // a bulk transaction's worth
	var puts []server.MasterPut
	for i := range n {
		sku := fmt.Sprintf("K%05d", i)
		b, _ := json.Marshal(master.Barcode{SKU: sku})
		p, _ := json.Marshal(master.Price{Price: 250})
		q, _ := json.Marshal(master.Product{Name: pkName(i)})
		puts = append(puts, server.MasterPut{Topic: master.TopicBarcodes, ID: fxcatalog.EAN13(700_000 + i), Payload: b},
			server.MasterPut{Topic: master.TopicPrices, ID: master.PriceID(master.AllStores, sku), Payload: p},
			server.MasterPut{Topic: master.TopicProducts, ID: sku, Payload: q})
	}
	_, err := st.Publish(context.Background(), puts, time.Now())
	require.NoError(t, err)
	dir := spDemoFolder(t)
	spWithDB(t, dir, func(db *localdb.DB) { plEnrol(t, db, st, url) })
	rc, out, errs := runCmd(t, nil, "sync", "pull", "--data-dir", dir)
	require.Equal(t, exitOK, rc, out+errs)
	m := regexp.MustCompile(`(\d+) products can be sold by their codes now`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Contains(t, out, "search index done: "+m[1]+" products found by name too")
	spWithDB(t, dir, func(db *localdb.DB) {
		left, err := db.SearchPending(context.Background())
		require.NoError(t, err)
		assert.Zero(t, left)
		svc := pkCatalogue(db)
		assert.True(t, pkFound(t, svc, n-1))
		rows, distinct, products := pkIndexed(t, db)
		assert.Equal(t, rows, distinct)
		assert.Equal(t, products, distinct)
	})
}
