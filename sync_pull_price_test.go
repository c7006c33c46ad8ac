package main

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/sale"
	"cashier/localdb"
	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/server"
)

// plBackOffice is a back office on a SQLite file (its path returned, for
// pos backoffice publish) behind a loopback server.
func plBackOffice(t testing.TB) (server.Store, string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bo.db")
	st, err := server.OpenSQLite(context.Background(), path, make([]byte, 32))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	ts := httptest.NewServer(server.New(st, server.Options{}))
	t.Cleanup(ts.Close)
	return st, path, ts.URL
}

// plEnrol enrols db with the back office at url for the demo store S0001
// and returns the client the pull job would use.
func plEnrol(t testing.TB, db *localdb.DB, st server.Store, url string) *client.Client {
	t.Helper()
	ctx := context.Background()
	code, err := st.NewEnrolCode(ctx, "S0001", time.Now(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	en, err := client.Enrol(ctx, nil, url, code, "1号收银台")
	require.NoError(t, err)
	require.NoError(t, db.SetSyncPeer(ctx, localdb.SyncPeer{URL: url, Terminal: en.Terminal, StoreCode: en.Store,
		Secret: en.Secret, EnrolledAt: time.Now()}, nil))
	secret, err := base64.StdEncoding.DecodeString(en.Secret)
	require.NoError(t, err)
	return &client.Client{URL: url, Terminal: en.Terminal, Secret: secret}
}

// plSell rings up qty of the product with code through the catalogue's
// scan and the cart, and sells it for cash through the real checkout.
func plSell(t testing.TB, s *Services, staff app.Staff, code string, qty int64) app.Order {
	t.Helper()
	ctx := context.Background()
	store, err := s.DB.CurrentStore(ctx)
	require.NoError(t, err)
	scanned, err := s.Catalog.Scan(ctx, store.ID, code)
	require.NoError(t, err)
	var cart sale.Cart
	_, err = cart.Add(scanned, qty)
	require.NoError(t, err)
	in, err := cart.Input(staff)
	require.NoError(t, err)
	out, err := s.Checkout.SellForCash(ctx, in, 0, staff)
	require.NoError(t, err)
	require.True(t, out.Paid())
	return out.Order
}

// A price changed at the back office (pos backoffice publish price)
// reaches the terminal's next sale after one pull, while the app runs:
// the sale before it is at the old price, the one after at the new.
func TestSyncPull_PriceChangeReachesTheNextSale(t *testing.T) {
	st, boPath, url := plBackOffice(t)
	dir := demoFolder(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true, Payments: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Start(ctx))
	c := plEnrol(t, s.DB, st, url)
	pull := pullMaster(s.DB)

	// The chain's catalogue: the demo store's cola at 3.00, published
	// from a catalogue file as the back office would.
	cola := localdb.DemoBarcode(2)
	csv := filepath.Join(t.TempDir(), "catalogue.csv")
	require.NoError(t, os.WriteFile(csv, []byte("名称,条码,价格,单位,分类\r\n可口可乐 330ml,"+cola+",3.00,罐,饮料\r\n"), 0o600))
	rc, out, errs := runCmd(t, nil, "backoffice", "publish", "--db", boPath, "--catalogue", csv, "--store", "*")
	require.Equal(t, exitOK, rc, out+errs)
	applied, refused, err := pull(ctx, c, "S0001", nil)
	require.NoError(t, err)
	assert.Zero(t, refused)
	assert.Equal(t, 3, applied, "the product, its code and its price")

	clerk, _, err := s.DB.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	before := plSell(t, s, clerk, cola, 2)
	assert.Equal(t, app.Money(600), before.Total)

	rc, out, errs = runCmd(t, nil, "backoffice", "publish", "price", "--db", boPath, "--barcode", cola, "--price", "3.50", "--store", "S0001")
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "is now ￥3.50")
	var progress []string
	applied, refused, err = pull(ctx, c, "S0001", func(topic string, n int) { progress = append(progress, topic) })
	require.NoError(t, err)
	assert.Equal(t, 1, applied)
	assert.Zero(t, refused)
	assert.Contains(t, progress, "prices")

	after := plSell(t, s, clerk, cola, 2)
	assert.Equal(t, app.Money(700), after.Total, "the next sale is at the new price")
	stored, err := s.DB.GetOrder(ctx, after.OrderNo)
	require.NoError(t, err)
	require.Len(t, stored.Lines, 1)
	assert.Equal(t, app.Money(350), stored.Lines[0].UnitPrice)
	old, err := s.DB.GetOrder(ctx, before.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, app.Money(300), old.Lines[0].UnitPrice, "a sale made keeps its price")

	// The chain-wide price moving does not override the store's own.
	rc, out, errs = runCmd(t, nil, "backoffice", "publish", "price", "--db", boPath, "--barcode", cola, "--price", "¥3.80")
	require.Equal(t, exitOK, rc, out+errs)
	_, _, err = pull(ctx, c, "S0001", nil)
	require.NoError(t, err)
	assert.Equal(t, app.Money(700), plSell(t, s, clerk, cola, 2).Total)
}
