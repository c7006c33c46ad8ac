package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/sync/backoffice/master"
	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
	"cashier/sync/catalogfile"
	"cashier/ui/i18n"
)

// runBackofficePublish is `pos backoffice publish`: master data into the
// back office's database, for the terminals' next pull (docs/sync.md
// "Master data"). Three forms:
//
//	publish --file FILE.jsonl            one {"topic","id","payload"} or {"topic","id","deleted":true} a line
//	publish --catalogue FILE.csv|xlsx --store S|*   products, their codes and prices from a catalogue file
//	publish price --barcode B --price 12.50 [--store S|*]   one price
//
// Every item is checked with package master first; one bad line or row
// refuses the whole file (exit 2) before anything is written. A file is
// published in transactions of publishBatch items.
func runBackofficePublish(e env, args []string) int {
	for i, a := range args {
		if a == "price" {
			return runBackofficePublishPrice(e, append(append([]string{}, args[:i]...), args[i+1:]...))
		}
	}
	fs := e.newFlags("backoffice", "cli.backoffice.publish.usage")
	file := fs.String("file", "", i18n.T("cli.backoffice.publish.flag.file"))
	cat := fs.String("catalogue", "", i18n.T("cli.backoffice.publish.flag.catalogue"))
	store := fs.String("store", "", i18n.T("cli.backoffice.publish.flag.store"))
	bf := addBackofficeFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	switch {
	case len(pos) > 0:
		return e.usageErr(fs, "backoffice", "cli.unexpected_arg", "Arg", pos[0])
	case (*file == "") == (*cat == ""):
		return e.usageErr(fs, "backoffice", "cli.backoffice.publish.file_or_catalogue")
	case *cat != "" && *store == "":
		return e.usageErr(fs, "backoffice", "cli.backoffice.publish.store_needed")
	case *store != "" && *store != master.AllStores && !master.ValidCode(*store):
		return e.usageErr(fs, "backoffice", "cli.backoffice.publish.bad_store", "Store", *store)
	case *file != "" && *store != "":
		return e.usageErr(fs, "backoffice", "cli.backoffice.publish.store_with_file")
	}
	var src itemSource
	name := *file
	if *file != "" {
		src = jsonlItems(*file)
	} else {
		name = *cat
		src = catalogueItems(*cat, *store)
	}
	// Everything is read and checked before the database is opened.
	n, bad, err := checkItems(src)
	if err != nil {
		return e.usageErr(nil, "backoffice", "cli.backoffice.publish.unreadable", "File", name, "Err", i18n.Err(err))
	}
	if len(bad) > 0 {
		for i, b := range bad {
			if i == maxBadShown {
				fmt.Fprintf(e.stderr, "pos backoffice: %s\n", i18n.T("cli.backoffice.publish.more", "N", len(bad)-maxBadShown))
				break
			}
			fmt.Fprintf(e.stderr, "pos backoffice: %s\n", i18n.T("cli.backoffice.publish.bad_line", "File", name, "Line", b.line, "Err", b.why()))
		}
		return e.usageErr(nil, "backoffice", "cli.backoffice.publish.refused", "N", len(bad))
	}
	if n == 0 {
		return e.usageErr(nil, "backoffice", "cli.backoffice.publish.empty", "File", name)
	}
	ctx := context.Background()
	s, code := e.openBackoffice(ctx, bf)
	if s == nil {
		return code
	}
	defer s.Close()
	res, err := publishItems(ctx, s, src, func(done int) {
		e.say("cli.backoffice.publish.progress", "Done", done, "Total", n)
	})
	if err != nil {
		return e.fail("backoffice", err)
	}
	if *cat != "" {
		e.say("cli.backoffice.publish.catalogue_done", "Products", res.products, "File", name, "Store", storeWords(*store), "N", res.items)
	}
	e.say("cli.backoffice.publish.done", "N", res.items, "Deleted", res.deleted, "Cursor", res.cursor)
	return exitOK
}

// maxBadShown bounds the bad lines printed; the count says the rest.
const maxBadShown = 20

// publishBatch is the items of one Publish transaction: a big file is
// not one transaction holding the back office's writer for minutes.
const publishBatch = 10_000

func storeWords(store string) string {
	if store == master.AllStores {
		return i18n.T("cli.backoffice.publish.all_stores")
	}
	return store
}

// itemSource reads a file's items afresh each time it is called: once to
// check them all, once to publish, so a file of millions is never held
// in memory.
type itemSource func(yield func(it pubItem) bool) error

// pubItem is one item to publish, or why a line cannot be.
type pubItem struct {
	line int
	put  server.MasterPut
	err  error
	// product: a catalogue row's first item (counted as a product).
	product bool
}

func (p pubItem) why() string { return i18n.Err(p.err) }

// checkItems reads every item of src: how many, and the bad ones.
func checkItems(src itemSource) (n int, bad []pubItem, err error) {
	err = src(func(it pubItem) bool {
		if it.err != nil {
			bad = append(bad, it)
		}
		n++
		return true
	})
	return n, bad, err
}

type published struct {
	items, deleted, products int
	cursor                   int64
}

func publishItems(ctx context.Context, s server.Store, src itemSource, progress func(done int)) (published, error) {
	var res published
	var batch []server.MasterPut
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		c, err := s.Publish(ctx, batch, time.Now())
		if err != nil {
			return err
		}
		res.cursor, batch = c, batch[:0]
		progress(res.items)
		return nil
	}
	var perr error
	err := src(func(it pubItem) bool {
		if it.err != nil { // checked before: the file changed in between
			perr = it.err
			return false
		}
		batch = append(batch, it.put)
		res.items++
		if it.put.Deleted {
			res.deleted++
		}
		if it.product {
			res.products++
		}
		if len(batch) == publishBatch {
			if perr = flush(); perr != nil {
				return false
			}
		}
		return true
	})
	if err == nil {
		err = perr
	}
	if err == nil {
		err = flush()
	}
	return res, err
}

// jsonlLine is one line of a --file.
type jsonlLine struct {
	Topic   string          `json:"topic"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload,omitempty"`
	Deleted bool            `json:"deleted,omitempty"`
}

// Errors of a publish file's line.
var (
	errPublishJSON  = app.NewError("cli.backoffice.publish.bad_json")
	errPublishLarge = app.NewError("cli.backoffice.publish.too_large")
)

// jsonlItems reads a JSON-lines file: each line one item, blank lines
// skipped, every item checked as a terminal will check it.
func jsonlItems(file string) itemSource {
	return func(yield func(pubItem) bool) error {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		r := bufio.NewReaderSize(f, 1<<20)
		for line := 1; ; line++ {
			b, err := r.ReadBytes('\n')
			if err != nil && err != io.EOF {
				return err
			}
			if t := bytes.TrimSpace(b); len(t) > 0 && !yield(decodeLine(line, t)) {
				return nil
			}
			if err == io.EOF {
				return nil
			}
		}
	}
}

func decodeLine(line int, b []byte) pubItem {
	it := pubItem{line: line}
	var l jsonlLine
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&l); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
			it.err = master.ErrUnknownField.With("Field", strings.TrimSuffix(f, `"`))
		} else {
			it.err = errPublishJSON.With("Err", err.Error())
		}
		return it
	}
	if d.More() {
		it.err = errPublishJSON.With("Err", "more than one value on the line")
		return it
	}
	if len(l.Payload) > protocol.MaxPayloadBytes {
		it.err = errPublishLarge.With("Max", protocol.MaxPayloadBytes)
		return it
	}
	if _, err := master.Decode(l.Topic, l.ID, l.Deleted, l.Payload); err != nil {
		it.err = err
		return it
	}
	payload := l.Payload
	if l.Deleted {
		payload = nil
	}
	it.put = server.MasterPut{Topic: l.Topic, ID: l.ID, Payload: payload, Deleted: l.Deleted}
	return it
}

// catalogueItems reads a catalogue file (CSV or XLSX, as the Products
// workspace imports) into items: each row a product whose SKU is its
// first code, its codes in order, and its price for store. The product is
// chain-wide; blank optional cells are the defaults (unit 件, on sale).
func catalogueItems(file, store string) itemSource {
	return func(yield func(pubItem) bool) error {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		rd, err := catalogfile.Open(f, filepath.Base(file))
		if err != nil {
			return err
		}
		defer rd.Close()
		firstLine := map[string]int{} // code → its first line, within the file
		for {
			row, err := rd.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			for _, it := range rowItems(row, store, firstLine) {
				if !yield(it) {
					return nil
				}
			}
		}
	}
}

func rowItems(row catalog.Row, store string, firstLine map[string]int) []pubItem {
	p, _, err := catalog.ParseRow(row)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, c := range p.Barcodes {
		if l, dup := firstLine[c]; dup {
			errs = append(errs, catalog.ErrCodeInFile.With("Barcode", c, "Line", l))
		} else {
			firstLine[c] = row.Line
		}
	}
	if len(errs) == 0 && !master.ValidCode(p.Barcodes[0]) {
		errs = append(errs, master.ErrID.With("Topic", master.TopicProducts, "ID", p.Barcodes[0]))
	}
	if len(errs) > 0 {
		return []pubItem{{line: row.Line, err: errors.Join(errs...)}}
	}
	sku := p.Barcodes[0]
	active := p.Active
	items := []pubItem{{line: row.Line, product: true, put: put(master.TopicProducts, sku, master.Product{Name: p.Name, Unit: p.Unit,
		Category: p.Category, TaxRate: p.TaxRate, NonDiscountable: p.NonDiscountable, Active: &active})}}
	for i, c := range p.Barcodes {
		items = append(items, pubItem{line: row.Line, put: put(master.TopicBarcodes, c, master.Barcode{SKU: sku, Position: i})})
	}
	items = append(items, pubItem{line: row.Line, put: put(master.TopicPrices, master.PriceID(store, sku), master.Price{Price: int64(p.Price)})})
	// Checked as a terminal will check them: what passes here applies there.
	for i := range items {
		if _, err := master.Decode(items[i].put.Topic, items[i].put.ID, false, items[i].put.Payload); err != nil {
			return []pubItem{{line: row.Line, err: err}}
		}
	}
	return items
}

func put(topic, id string, v any) server.MasterPut {
	b, _ := master.Encode(v) // the master types always encode
	return server.MasterPut{Topic: topic, ID: id, Payload: b}
}

// runBackofficePublishPrice is `pos backoffice publish price --barcode B
// --price 12.50 [--store S|*]`: one shelf price, for the product holding
// code B at the back office. The price is read as yuan text (never a
// float), as the catalogue reads it.
func runBackofficePublishPrice(e env, args []string) int {
	fs := e.newFlags("backoffice", "cli.backoffice.publish.usage")
	code := fs.String("barcode", "", i18n.T("cli.backoffice.publish.flag.barcode"))
	priceText := fs.String("price", "", i18n.T("cli.backoffice.publish.flag.price"))
	store := fs.String("store", master.AllStores, i18n.T("cli.backoffice.publish.flag.store"))
	bf := addBackofficeFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "backoffice", "cli.unexpected_arg", "Arg", pos[0])
	}
	c := catalog.NormaliseCode(*code)
	if _, err := catalog.Classify(c); err != nil {
		return e.usageErr(fs, "backoffice", "cli.backoffice.publish.bad_barcode", "Barcode", *code, "Err", i18n.Err(err))
	}
	price, err := catalog.ParsePrice(catalogfile.NormalisePrice(*priceText))
	if err != nil {
		return e.usageErr(fs, "backoffice", "cli.backoffice.publish.bad_price", "Price", *priceText, "Err", i18n.Err(err))
	}
	if *store != master.AllStores && !master.ValidCode(*store) {
		return e.usageErr(fs, "backoffice", "cli.backoffice.publish.bad_store", "Store", *store)
	}
	ctx := context.Background()
	s, code2 := e.openBackoffice(ctx, bf)
	if s == nil {
		return code2
	}
	defer s.Close()
	sku, err := skuOf(ctx, s, c)
	if err != nil {
		return e.fail("backoffice", err)
	}
	if sku == "" {
		return e.usageErr(nil, "backoffice", "cli.backoffice.publish.unknown_barcode", "Barcode", c)
	}
	it := put(master.TopicPrices, master.PriceID(*store, sku), master.Price{Price: int64(price)})
	if _, err := master.Decode(it.Topic, it.ID, false, it.Payload); err != nil {
		return e.usageErr(nil, "backoffice", "cli.backoffice.publish.bad_price", "Price", *priceText, "Err", i18n.Err(err))
	}
	if _, err := s.Publish(ctx, []server.MasterPut{it}, time.Now()); err != nil {
		return e.fail("backoffice", err)
	}
	e.say("cli.backoffice.publish.price_done", "Barcode", c, "SKU", sku, "Store", storeWords(*store), "Price", price)
	return exitOK
}

// skuOf is the SKU of the product holding code at the back office ("" when
// no product holds it).
func skuOf(ctx context.Context, s server.Store, code string) (string, error) {
	r, ok := s.(server.MasterReader)
	if !ok {
		return "", errors.New("this back office cannot read its master data")
	}
	it, found, err := r.MasterItem(ctx, master.TopicBarcodes, code)
	if err != nil || !found || it.Deleted {
		return "", err
	}
	d, err := master.Decode(master.TopicBarcodes, code, false, it.Payload)
	if err != nil {
		return "", err
	}
	return d.Value.(master.Barcode).SKU, nil
}
