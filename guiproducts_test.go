package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/hardware/printq"
	"cashier/localdb"
	"cashier/ui/i18n"
	"cashier/ui/products"
	"cashier/ui/shell"
)

// The Products workspace is offered to holders of product management
// only, between the store's transactions and the audit log; a shelf label
// goes through the print queue to the receipt printer like a receipt; the
// product files it reads and writes are sync/catalogfile's, written whole
// or not at all.
func TestProductsWorkspace_OfferedLabelsAndFiles(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: t.TempDir(), Command: "test", Lock: true, Seed: true, Devices: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.Start(ctx))
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	clerk, _, err := s.DB.StaffByCode(ctx, "1003")
	require.NoError(t, err)

	w := productsWorkspace(s)
	require.True(t, w.Visible(shell.Session{Staff: mgr}))
	require.False(t, clerk.Has(app.PermProductManage))
	require.False(t, w.Visible(shell.Session{Staff: clerk}), "a clerk without product_manage is not offered it")
	var ids []string
	for _, ws := range workspaces(s) {
		ids = append(ids, ws.ID)
	}
	i := slices.Index(ids, "products")
	require.Positive(t, i)
	require.Equal(t, "audit", ids[i+1])
	require.NoError(t, i18n.Use(i18n.English))
	require.Equal(t, "Products", i18n.T(w.TitleKey))
	require.NoError(t, i18n.Use(i18n.Chinese))
	require.Equal(t, "商品", i18n.T(w.TitleKey))

	// A shelf label, printed by the simulated printer from the queue.
	st, err := s.DB.CurrentStore(ctx)
	require.NoError(t, err)
	found, err := s.Catalog.Search(ctx, st.ID, localdb.DemoBarcode(0), catalog.Filter{})
	require.NoError(t, err)
	require.NotEmpty(t, found)
	require.NoError(t, s.Devices.PrintShelfLabel(ctx, found[0].Record))
	deadline := time.Now().Add(10 * time.Second)
	for {
		jobs, err := s.Devices.queue.List(ctx, printq.Filter{})
		require.NoError(t, err)
		if len(jobs) == 1 && jobs[0].State == printq.Printed {
			require.Equal(t, kindShelfLabel, jobs[0].Kind)
			break
		}
		require.True(t, time.Now().Before(deadline), "the label is printed: %+v", jobs)
		time.Sleep(20 * time.Millisecond)
	}
	rs := s.Devices.emu.Receipts()
	require.Len(t, rs, 1)
	require.Contains(t, rs[0].Text, "农夫山泉饮用天然水 550ml")
	require.Contains(t, rs[0].Text, "/瓶")

	// Files: written whole and read back, in either format and header.
	dir := t.TempDir()
	var rows []catalog.Row
	for _, f := range found {
		rows = append(rows, catalog.FormatRow(f.Record))
	}
	seq := func(yield func(catalog.Row) bool) {
		for _, r := range rows {
			if !yield(r) {
				return
			}
		}
	}
	for _, c := range []struct {
		format  products.Format
		english bool
	}{{products.CSV, false}, {products.XLSX, true}} {
		path := filepath.Join(dir, "out."+string(c.format))
		require.NoError(t, productFiles{}.Write(path, c.format, c.english, seq))
		sh, err := productFiles{}.Read(path)
		require.NoError(t, err)
		r, err := sh.Next()
		require.NoError(t, err)
		require.Equal(t, rows[0].Name, r.Name)
		require.Equal(t, rows[0].Barcodes, r.Barcodes)
		require.NoError(t, sh.Close())
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o644), info.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "no temporary file left")

	// A write that fails (a row source that ends the writer with an error
	// cannot happen here; a folder that is not there can) names the file.
	err = productFiles{}.Write(filepath.Join(dir, "none", "x.csv"), products.CSV, false, seq)
	require.ErrorIs(t, err, errFileWrite)
	require.Contains(t, i18n.Err(err), "x.csv")
	_, err = productFiles{}.Read(filepath.Join(dir, "missing.csv"))
	require.ErrorIs(t, err, errFileOpen)
	require.True(t, strings.HasPrefix(i18n.Err(err), "无法打开 missing.csv"))
}
