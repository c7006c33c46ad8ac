package localdb_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/catalog"
	"cashier/localdb"
	"cashier/sync/catalogfile"
)

const (
	fxClerk   = int64(1) // fxSeedSQL's clerk: no product_manage
	fxManager = int64(2)
)

// fxCatalog is a catalogue service on a fresh database with a clerk and a
// manager who holds product_manage.
func fxCatalog(t testing.TB) (catalog.Service, *localdb.DB) {
	t.Helper()
	db := fxOpen(t)
	require.NoError(t, db.Write(context.Background(), fxSeedTx))
	return fxCatalogWith(db)
}

// fxSeedTx writes fxSeedSQL's rows and a manager who holds product_manage.
func fxSeedTx(tx *sql.Tx) error {
	_, err := tx.Exec(fxSeedSQL + `
		INSERT INTO staff(id, store_id, code, name, role_code, pin_hash, created_at, updated_at)
			VALUES (2, 1, 'M2', 'Manager', 'manager', 'x', 0, 0);
		INSERT INTO staff_permission(staff_id, permission_code, granted_at) VALUES (2, 'product_manage', 0)`)
	return err
}

func fxCatalogWith(db *localdb.DB) (catalog.Service, *localdb.DB) {
	clock := app.NewManualClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	return catalog.Service{Store: db, Permits: auth.Rules{Store: db}, Clock: clock}, db
}

// fxTable is the product tables' content, to prove a refused change
// changed nothing.
func fxTable(t testing.TB, db *localdb.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, barcode, name, price, unit, category, tax_rate, active, non_discountable, coalesce(stock,'-'), updated_at FROM product ORDER BY id`,
		`SELECT store_id, code, product_id, position FROM product_barcode ORDER BY code`,
		`SELECT count(*) FROM audit_log`,
	} {
		rows, err := db.Read().Query(q)
		require.NoError(t, err)
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

func fxProduct(name string, price app.Money, codes ...string) catalog.Product {
	return catalog.Product{Name: name, Barcodes: codes, Price: price, Unit: "瓶", Category: "饮料", TaxRate: 1300, Active: true}
}

func names(found []catalog.Found) []string {
	var out []string
	for _, f := range found {
		out = append(out, f.Name)
	}
	return out
}

func TestCatalog_SaveSearchEditDisable(t *testing.T) {
	ctx := context.Background()
	svc, db := fxCatalog(t)
	cola, err := svc.Save(ctx, fxManager, 1, 0, fxProduct("可口可乐 330ml", 300, "6901234567892", "A-100"))
	require.NoError(t, err)
	_, err = svc.Save(ctx, fxManager, 1, 0, fxProduct("百事可乐 500ml", 350, "96385074"))
	require.NoError(t, err)
	_, err = svc.Save(ctx, fxManager, 1, 0, fxProduct("重庆小面", 1200, "6921168509256"))
	require.NoError(t, err)

	for q, want := range map[string][]string{
		"可乐":            {"可口可乐 330ml", "百事可乐 500ml"},
		"kl":            {"可口可乐 330ml", "百事可乐 500ml"},
		"bskl":          {"百事可乐 500ml"},
		"kekou":         {"可口可乐 330ml"},
		"zq":            {"重庆小面"}, // 重 read zhong
		"chongqing":     {"重庆小面"},
		"6901234567892": {"可口可乐 330ml"},
		"690":           {"可口可乐 330ml"},
		"a-1":           {"可口可乐 330ml"},
		"330":           {"可口可乐 330ml"},
		"xyz":           nil,
	} {
		found, err := svc.Search(ctx, 1, q, catalog.Filter{})
		require.NoError(t, err, q)
		require.ElementsMatch(t, want, names(found), q)
	}
	// Ranked: an exact code, then code prefixes, then names that start
	// with the query, then names that contain it.
	_, err = svc.Save(ctx, fxManager, 1, 0, fxProduct("可乐鸡翅", 2800, "6901234567007"))
	require.NoError(t, err)
	found, err := svc.Search(ctx, 1, "可乐", catalog.Filter{})
	require.NoError(t, err)
	require.Equal(t, "可乐鸡翅", found[0].Name)
	require.Equal(t, catalog.RankNamePrefix, found[0].Rank)
	require.Equal(t, catalog.RankName, found[1].Rank)
	found, err = svc.Search(ctx, 1, "6901234567892", catalog.Filter{})
	require.NoError(t, err)
	require.Equal(t, catalog.RankExactCode, found[0].Rank)

	// Edit: the name's terms follow it; the change is audited.
	p := fxProduct("可口可乐零度 330ml", 320, "6901234567892", "A-100")
	_, err = svc.Save(ctx, fxManager, 1, cola, p)
	require.NoError(t, err)
	found, err = svc.Search(ctx, 1, "零度", catalog.Filter{})
	require.NoError(t, err)
	require.Equal(t, []string{"可口可乐零度 330ml"}, names(found))
	var detail string
	require.NoError(t, db.Read().QueryRow(`SELECT detail FROM audit_log WHERE action='product_change'`).Scan(&detail))
	require.Contains(t, detail, `price: "300" -> "320"`)

	// A code held by another product is refused naming it; nothing changes.
	before := fxTable(t, db)
	_, err = svc.Save(ctx, fxManager, 1, 0, fxProduct("假可乐", 100, "96385074"))
	require.ErrorIs(t, err, catalog.ErrCodeTaken)
	m, _ := app.AsMessage(err)
	require.Equal(t, "百事可乐 500ml", m.Args["Name"])
	// Every problem at once.
	_, err = svc.Save(ctx, fxManager, 1, 0, catalog.Product{Name: " ", Price: 0, Barcodes: []string{"6901234567893"}})
	require.ErrorIs(t, err, app.ErrFieldRequired)
	require.ErrorIs(t, err, app.ErrMoneyZero)
	require.ErrorIs(t, err, catalog.ErrBarcodeCheck)
	// A clerk may not change the catalogue.
	_, err = svc.Save(ctx, fxClerk, 1, 0, fxProduct("店员加的", 100, "B-1"))
	require.ErrorIs(t, err, app.ErrNoPermission)
	require.Equal(t, before, fxTable(t, db))

	// Disable: the counter's search (ActiveOnly) and its scan no longer
	// find it; the workspace still does.
	require.NoError(t, svc.SetActive(ctx, fxManager, 1, cola, false))
	found, err = svc.Search(ctx, 1, "零度", catalog.Filter{State: catalog.ActiveOnly})
	require.NoError(t, err)
	require.Empty(t, found)
	found, err = svc.Search(ctx, 1, "零度", catalog.Filter{State: catalog.InactiveOnly})
	require.NoError(t, err)
	require.Len(t, found, 1)
	_, err = svc.Scan(ctx, 1, "6901234567892")
	require.ErrorIs(t, err, catalog.ErrInactive)
	require.NoError(t, svc.SetActive(ctx, fxManager, 1, cola, true))
	sc, err := svc.Scan(ctx, 1, "a-100")
	require.NoError(t, err)
	require.Equal(t, cola, sc.ID)

	var actions []string
	rows, err := db.Read().Query(`SELECT action FROM audit_log WHERE action LIKE 'product%' ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var a string
		require.NoError(t, rows.Scan(&a))
		actions = append(actions, a)
	}
	rows.Close()
	require.Equal(t, []string{"product_add", "product_add", "product_add", "product_add", "product_change",
		"product_disable", "product_enable"}, actions)
	check, err := db.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, check.OK(), "%+v", check)

	cats, err := svc.Categories(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, []string{"饮料"}, cats)
	ids, err := svc.IDs(ctx, 1, catalog.Filter{Category: "饮料"})
	require.NoError(t, err)
	recs, err := svc.Products(ctx, 1, ids)
	require.NoError(t, err)
	require.Len(t, recs, 4)
	for i := 1; i < len(recs); i++ {
		require.LessOrEqual(t, recs[i-1].Name, recs[i].Name, "by name")
	}
}

// Scale labels: both 13-digit layouts, chosen per store, find the product
// by its item code and price the line.
func TestCatalog_ScanScaleLabels(t *testing.T) {
	ctx := context.Background()
	svc, db := fxCatalog(t)
	pork := fxProduct("猪肉", 2600, "00123") // ￥26.00 per 斤
	pork.Unit = "斤"
	_, err := svc.Save(ctx, fxManager, 1, 0, pork)
	require.NoError(t, err)
	apple := fxProduct("苹果", 1290, "456") // ￥12.90 per kg; the scale prints 00456
	apple.Unit = "kg"
	_, err = svc.Save(ctx, fxManager, 1, 0, apple)
	require.NoError(t, err)

	// price13 (the default): 20 00123 01568 C — ￥15.68 printed by the scale.
	label := withCheck("200012301568")
	sc, err := svc.Scan(ctx, 1, label)
	require.NoError(t, err)
	require.Equal(t, "猪肉", sc.Name)
	require.Equal(t, app.Money(1568), sc.Amount)
	require.Equal(t, catalog.MeasurePrice, sc.Label.Measure)

	setLayout := func(l string) {
		require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`UPDATE store SET scale_layout=? WHERE id=1`, l)
			return err
		}))
	}
	// weight13: 21 00456 01235 C — 1.235 kg × ￥12.90/kg = ￥15.9315 → ￥15.93.
	setLayout("weight13")
	sc, err = svc.Scan(ctx, 1, withCheck("210045601235"))
	require.NoError(t, err)
	require.Equal(t, "苹果", sc.Name)
	require.Equal(t, int64(1235), sc.Label.Grams)
	require.Equal(t, app.Money(1593), sc.Amount)
	// 0.600 kg of pork at ￥26.00 per 斤 (500 g) = ￥31.20.
	sc, err = svc.Scan(ctx, 1, withCheck("200012300600"))
	require.NoError(t, err)
	require.Equal(t, app.Money(3120), sc.Amount)

	// A bad check digit, an unknown item, and no scale at all.
	bad := []byte(withCheck("210045601235"))
	bad[12] = '0' + (bad[12]-'0'+1)%10
	_, err = svc.Scan(ctx, 1, string(bad))
	require.ErrorIs(t, err, catalog.ErrScaleLabel)
	_, err = svc.Scan(ctx, 1, withCheck("219999901235"))
	require.ErrorIs(t, err, catalog.ErrNoProduct)
	setLayout("none")
	_, err = svc.Scan(ctx, 1, withCheck("210045601235"))
	require.ErrorIs(t, err, catalog.ErrNoProduct)
}

func withCheck(d12 string) string { return d12 + string(fxEANCheck(d12)) }

// fxCSV is a product file as a person would save it.
func fxCSV(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

func fxImport(t *testing.T, svc catalog.Service, file []byte, name string, dry bool) (catalog.Report, error) {
	t.Helper()
	rd, err := catalogfile.Open(bytes.NewReader(file), name)
	if err != nil {
		return catalog.Report{}, err
	}
	defer rd.Close()
	return svc.Import(context.Background(), fxManager, 1, rd, catalog.ImportOptions{DryRun: dry, Source: name})
}

func TestCatalog_ImportGoodFilesEveryEncoding(t *testing.T) {
	good := []string{
		"名称,条码,价格,单位,分类,税率,启用,不打折,库存",
		"农夫山泉 550ml,6921168509256,2,瓶,饮料,13%,是,否,120",
		"可口可乐 330ml,6901234567892;A-100,3.00,罐,饮料,0.13,1,0,",
		"散装大米,RICE-01,￥5.5,kg,粮油,9,1,1,",
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(fxCSV(good...))
	require.NoError(t, err)
	var xlsx bytes.Buffer
	require.NoError(t, catalogfile.WriteXLSX(&xlsx, func(yield func(catalog.Row) bool) {
		for _, r := range []catalog.Row{
			{Name: "农夫山泉 550ml", Barcodes: []string{"6921168509256"}, Price: "2", Unit: "瓶", Category: "饮料", TaxRate: "13%", Active: "是", NonDiscountable: "否", Stock: "120"},
			{Name: "可口可乐 330ml", Barcodes: []string{"6901234567892", "A-100"}, Price: "3.00", Unit: "罐", Category: "饮料", TaxRate: "0.13", Active: "1", NonDiscountable: "0"},
			{Name: "散装大米", Barcodes: []string{"RICE-01"}, Price: "5.5", Unit: "kg", Category: "粮油", TaxRate: "9", Active: "1", NonDiscountable: "1"},
		} {
			if !yield(r) {
				return
			}
		}
	}, catalogfile.HeaderChinese))
	english := fxCSV(
		"price,barcode,name,category", // another order, another language
		"2,6921168509256,农夫山泉 550ml,饮料",
		"3.00,6901234567892;A-100,可口可乐 330ml,饮料",
		"5.5,RICE-01,散装大米,粮油",
	)
	for _, c := range []struct {
		name string
		file []byte
	}{
		{"utf8.csv", fxCSV(good...)},
		{"bom.csv", append([]byte("\xef\xbb\xbf"), fxCSV(good...)...)},
		{"gbk.csv", gbk},
		{"products.xlsx", xlsx.Bytes()},
		{"english.csv", english},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc, db := fxCatalog(t)
			before := fxTable(t, db)
			rep, err := fxImport(t, svc, c.file, c.name, true)
			require.NoError(t, err)
			require.True(t, rep.OK(), "%+v", rep.Bad)
			require.Equal(t, 3, rep.Added)
			require.False(t, rep.Written)
			require.Equal(t, before, fxTable(t, db), "a dry run writes nothing")

			var stages []catalog.Stage
			rd, err := catalogfile.Open(bytes.NewReader(c.file), c.name)
			require.NoError(t, err)
			rep, err = svc.Import(context.Background(), fxManager, 1, rd, catalog.ImportOptions{Source: c.name,
				Progress: func(p catalog.Progress) {
					if p.Total > 0 && p.Done == p.Total {
						stages = append(stages, p.Stage)
					}
				}})
			rd.Close()
			require.NoError(t, err)
			require.True(t, rep.Written)
			require.Equal(t, []catalog.Stage{catalog.StageRead, catalog.StageCheck, catalog.StageWrite}, stages)

			found, err := svc.Search(context.Background(), 1, "nfsq", catalog.Filter{})
			require.NoError(t, err)
			require.Len(t, found, 1)
			require.Equal(t, app.Money(200), found[0].Price)
			sc, err := svc.Scan(context.Background(), 1, "a-100")
			require.NoError(t, err)
			require.Equal(t, "可口可乐 330ml", sc.Name)
			if c.name != "english.csv" {
				require.Equal(t, 1300, sc.TaxRate)
				require.Equal(t, int64(120), *found[0].Stock)
				rice, err := svc.Scan(context.Background(), 1, "rice-01")
				require.NoError(t, err)
				require.True(t, rice.NonDiscountable)
				require.Equal(t, 900, rice.TaxRate)
			}

			// The same file again changes nothing; a new price updates.
			rep, err = fxImport(t, svc, c.file, c.name, false)
			require.NoError(t, err)
			require.Equal(t, 3, rep.Unchanged)
			rep, err = fxImport(t, svc, fxCSV("条码,名称,价格", "6921168509256,农夫山泉 550ml,2.50"), "up.csv", false)
			require.NoError(t, err)
			require.Equal(t, 1, rep.Updated)
			sc, err = svc.Scan(context.Background(), 1, "6921168509256")
			require.NoError(t, err)
			require.Equal(t, app.Money(250), sc.Price)
			if c.name != "english.csv" {
				require.Equal(t, "瓶", sc.Unit, "blank cells keep what the product had")
				require.Equal(t, int64(120), *sc.Stock)
			}
		})
	}
}

// Every kind of bad row is named with its line and reason, and a file
// with any bad row imports nothing, dry run or not.
func TestCatalog_ImportBadRowsChangeNothing(t *testing.T) {
	ctx := context.Background()
	svc, db := fxCatalog(t)
	_, err := svc.Save(ctx, fxManager, 1, 0, fxProduct("已有商品", 100, "6901234567892"))
	require.NoError(t, err)
	_, err = svc.Save(ctx, fxManager, 1, 0, fxProduct("另一个商品", 100, "96385074"))
	require.NoError(t, err)
	file := fxCSV(
		"名称,条码,价格,税率,启用,库存",
		"好商品,6921168509256,2.00,13%,1,",       // 2: good
		"校验位错,6921168509257,2.00,,,",          // 3: bad check digit
		"重复条码,6921168509256,2.00,,,",          // 4: the code of line 2
		"三位小数,B-3,2.005,,,",                   // 5: more than two decimals
		",B-4,2.00,,,",                        // 6: missing name
		"零价格,B-5,0,,,",                        // 7: price 0
		"太贵,B-6,100000.00,,,",                 // 8: above the ceiling
		"别人的条码,96385074,2.00,,,",              // 9: used by another product... (update of it: fine)
		"两个商品的条码,6901234567892;96385074,2,,,", // 10: codes of two products
		"税率错,B-7,2.00,130%,,",                 // 11
		"启用错,B-8,2.00,,也许,",                   // 12
		"库存错,B-9,2.00,,,1.5",                  // 13
		"没有条码,,2.00,,,",                       // 14
		"价格不是数字,B-10,abc,,,",                  // 15
	)
	before := fxTable(t, db)
	for _, dry := range []bool{true, false} {
		rep, err := fxImport(t, svc, file, "bad.csv", dry)
		require.NoError(t, err)
		require.False(t, rep.OK())
		require.False(t, rep.Written)
		require.Equal(t, before, fxTable(t, db), "nothing half-imported (dry=%v)", dry)
		lines := map[int]error{}
		for _, b := range rep.Bad {
			lines[b.Line] = b.Err
		}
		want := map[int]error{
			3: catalog.ErrBarcodeCheck, 4: catalog.ErrCodeInFile, 5: app.ErrMoneyDecimals, 6: app.ErrFieldRequired,
			7: app.ErrMoneyZero, 8: app.ErrMoneyCeiling, 10: catalog.ErrCodesSplit, 11: catalog.ErrTaxRate,
			12: catalog.ErrBool, 13: catalog.ErrStock, 14: catalog.ErrNoCode, 15: app.ErrMoneySyntax,
		}
		for line, e := range want {
			require.ErrorIs(t, lines[line], e, "line %d: %v", line, lines[line])
		}
		require.Len(t, rep.Bad, len(want), "lines 2 and 9 are good: %v", lines)
		m, ok := app.AsMessage(lines[4])
		require.True(t, ok)
		require.Equal(t, 2, m.Args["Line"], "names the line it repeats")
	}
}

func TestCatalog_ImportRefusesBrokenFilesAndClerks(t *testing.T) {
	svc, db := fxCatalog(t)
	before := fxTable(t, db)
	garbage := make([]byte, 10<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(r.UintN(256))
	}
	_, err := fxImport(t, svc, garbage, "garbage.csv", false)
	require.ErrorIs(t, err, catalogfile.ErrEncoding)
	_, err = fxImport(t, svc, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel"), "old.xls", false)
	require.Error(t, err)
	_, err = fxImport(t, svc, fxCSV("名称,条码,价格"), "empty.csv", false)
	require.ErrorIs(t, err, catalog.ErrNoRows)

	rd, err := catalogfile.Open(bytes.NewReader(fxCSV("名称,条码,价格", "水,B-1,2")), "x.csv")
	require.NoError(t, err)
	_, err = svc.Import(context.Background(), fxClerk, 1, rd, catalog.ImportOptions{})
	require.ErrorIs(t, err, app.ErrNoPermission)
	require.Equal(t, before, fxTable(t, db))

	// A cancelled import (the person closed the window) writes nothing.
	ctx, cancel := context.WithCancel(context.Background())
	rows := []string{"名称,条码,价格"}
	for i := 0; i < 3000; i++ {
		rows = append(rows, fmt.Sprintf("商品%d,C-%d,1.00", i, i))
	}
	rd, err = catalogfile.Open(bytes.NewReader(fxCSV(rows...)), "x.csv")
	require.NoError(t, err)
	_, err = svc.Import(ctx, fxManager, 1, rd, catalog.ImportOptions{Progress: func(p catalog.Progress) {
		if p.Stage == catalog.StageWrite {
			cancel()
		}
	}})
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
	require.Equal(t, before, fxTable(t, db))
}

// An export read back is the same catalogue: a dry run of it changes
// nothing.
func TestCatalog_ExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	svc, _ := fxCatalog(t)
	stock := int64(7)
	p := fxProduct("可口可乐 330ml", 300, "6901234567892", "A-100")
	p.Stock, p.NonDiscountable, p.TaxRate = &stock, true, 950
	_, err := svc.Save(ctx, fxManager, 1, 0, p)
	require.NoError(t, err)
	_, err = svc.Save(ctx, fxManager, 1, 0, fxProduct("=cmd|' /C calc'!A0", 100, "B-1"))
	require.NoError(t, err)
	for _, format := range []string{"csv", "xlsx"} {
		var buf bytes.Buffer
		err := svc.Export(ctx, 1, catalog.Filter{}, func(next func() (catalog.Row, bool)) error {
			seq := func(yield func(catalog.Row) bool) {
				for r, ok := next(); ok; r, ok = next() {
					if !yield(r) {
						return
					}
				}
			}
			if format == "csv" {
				return catalogfile.WriteCSV(&buf, seq, catalogfile.HeaderChinese)
			}
			return catalogfile.WriteXLSX(&buf, seq, catalogfile.HeaderEnglish)
		})
		require.NoError(t, err)
		rep, err := fxImport(t, svc, buf.Bytes(), "export."+format, true)
		require.NoError(t, err)
		require.True(t, rep.OK(), "%+v", rep.Bad)
		require.Equal(t, 2, rep.Unchanged, format)
	}
}

// A database from before 0008 keeps its products: their codes move to
// product_barcode and the first start writes their search terms.
func TestMigrate0008_ProductsSearchable(t *testing.T) {
	db, exec := fxAtVersion(t, 7)
	exec(`INSERT INTO merchant(id, code, name, created_at) VALUES (1,'M1','m',0)`)
	exec(`INSERT INTO store(id, merchant_id, code, name, created_at) VALUES (1,1,'S1','s',0)`)
	exec(`INSERT INTO product(id, store_id, barcode, name, price, unit, category, active, updated_at) VALUES
		(1,1,'6901234567892','可口可乐',300,'罐','饮料',1,0), (2,1,'96385074','重庆小面',1200,'碗','',1,0)`)
	path := db.Path()
	require.NoError(t, db.Close())
	db, err := localdb.Open(path)
	require.NoError(t, err)
	defer db.Close()
	svc := catalog.Service{Store: db}
	for q, want := range map[string]string{"kkkl": "可口可乐", "cq": "重庆小面", "96385074": "重庆小面"} {
		found, err := svc.Search(context.Background(), 1, q, catalog.Filter{})
		require.NoError(t, err)
		require.Equal(t, []string{want}, names(found), q)
	}
	l, err := db.ScaleLayout(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, "price13", l)
}

// A row's codes join the product they update: more than MaxBarcodes in all
// is a bad row, not an eleventh code.
func TestCatalog_ImportUpdateKeepsCodeLimit(t *testing.T) {
	ctx := context.Background()
	svc, db := fxCatalog(t)
	var codes []string
	for i := 0; i < catalog.MaxBarcodes; i++ {
		codes = append(codes, fmt.Sprintf("C%d", i))
	}
	_, err := svc.Save(ctx, fxManager, 1, 0, fxProduct("十个码", 100, codes...))
	require.NoError(t, err)
	before := fxTable(t, db)
	rep, err := fxImport(t, svc, fxCSV("名称,条码,价格", "十个码,C0;C99,1.00"), "x.csv", false)
	require.NoError(t, err)
	require.Len(t, rep.Bad, 1)
	require.ErrorIs(t, rep.Bad[0].Err, catalog.ErrTooManyBarcodes)
	require.Equal(t, before, fxTable(t, db))
}

// Two lines naming one product by two of its codes: the second is a bad
// row, not a silent overwrite of the first.
func TestCatalog_ImportTwoLinesOneProduct(t *testing.T) {
	ctx := context.Background()
	svc, db := fxCatalog(t)
	_, err := svc.Save(ctx, fxManager, 1, 0, fxProduct("可口可乐", 300, "6901234567892", "A-100"))
	require.NoError(t, err)
	before := fxTable(t, db)
	rep, err := fxImport(t, svc, fxCSV("名称,条码,价格", "可口可乐,6901234567892,3.50", "可口可乐,A-100,3.80"), "x.csv", false)
	require.NoError(t, err)
	require.Len(t, rep.Bad, 1)
	require.Equal(t, 3, rep.Bad[0].Line)
	require.ErrorIs(t, rep.Bad[0].Err, catalog.ErrSameProduct)
	require.Equal(t, before, fxTable(t, db))
}
