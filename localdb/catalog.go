package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/catalog"
)

// The catalogue's storage (app/catalog.Store): products, their codes in
// product_barcode (one product per code in a store) and their search terms
// in the FTS5 table product_search, all written in one transaction.

// productCols reads a product with its codes in order; codes never
// contain a comma (catalog.Classify), so one group_concat carries them.
const productCols = `p.id, p.store_id, p.name, p.price, p.unit, p.category, p.tax_rate, p.active,
	p.non_discountable, p.stock, p.updated_at,
	(SELECT group_concat(code, ',') FROM (SELECT code FROM product_barcode b
	  WHERE b.product_id = p.id ORDER BY position))`

func scanProduct(sc interface{ Scan(...any) error }) (catalog.Record, error) {
	var r catalog.Record
	var price, updated int64
	var active, nd int
	var stock sql.NullInt64
	var codes sql.NullString
	err := sc.Scan(&r.ID, &r.StoreID, &r.Name, &price, &r.Unit, &r.Category, &r.TaxRate, &active,
		&nd, &stock, &updated, &codes)
	if err != nil {
		return r, err
	}
	r.Price, r.Active, r.NonDiscountable = app.Money(price), active != 0, nd != 0
	r.UpdatedAt = time.UnixMilli(updated)
	if stock.Valid {
		n := stock.Int64
		r.Stock = &n
	}
	if codes.String != "" {
		r.Barcodes = strings.Split(codes.String, ",")
	}
	return r, nil
}

func collectProducts(rows *sql.Rows, err error) ([]catalog.Record, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Record
	for rows.Next() {
		r, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// filterSQL is the WHERE tail of a filter on the product alias p.
func filterSQL(f catalog.Filter, args []any) (string, []any) {
	q := ""
	if f.Category != "" {
		q += ` AND p.category = ?`
		args = append(args, f.Category)
	}
	switch f.State {
	case catalog.ActiveOnly:
		q += ` AND p.active = 1`
	case catalog.InactiveOnly:
		q += ` AND p.active = 0`
	}
	return q, args
}

func noProduct(err error, ref string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.ErrNoProduct.With("Ref", ref)
	}
	return err
}

// Product reads one product of a store.
func (db *DB) Product(ctx context.Context, storeID, id int64) (catalog.Record, error) {
	r, err := scanProduct(db.reader.QueryRowContext(ctx,
		`SELECT `+productCols+` FROM product p WHERE p.id = ? AND p.store_id = ?`, id, storeID))
	return r, noProduct(err, strconv.FormatInt(id, 10))
}

const productByCodeSQL = `SELECT ` + productCols + ` FROM product_barcode b CROSS JOIN product p ON p.id = b.product_id
	WHERE b.store_id = ? AND b.code = ?`

// ProductByCode finds the product holding a code: one probe of
// product_barcode's primary key (the scan at the counter).
func (db *DB) ProductByCode(ctx context.Context, storeID int64, code string) (catalog.Record, error) {
	st, err := db.prepared(ctx, productByCodeSQL)
	if err != nil {
		return catalog.Record{}, err
	}
	r, err := scanProduct(st.QueryRowContext(ctx, storeID, code))
	return r, noProduct(err, code)
}

// CodePrefix lists products with a code starting with prefix, by code (a
// product with two such codes comes twice).
func (db *DB) CodePrefix(ctx context.Context, storeID int64, prefix string, f catalog.Filter, limit int) ([]catalog.Record, error) {
	// Codes are ASCII below DEL, so prefix+DEL bounds every code that
	// starts with prefix: a range on the primary key.
	q, args := filterSQL(f, []any{storeID, prefix, prefix + "\x7f"})
	return collectProducts(db.reader.QueryContext(ctx, codePrefixSQL(q), append(args, limit)...))
}

func codePrefixSQL(filter string) string {
	return `SELECT ` + productCols + `
		FROM product_barcode b CROSS JOIN product p ON p.id = b.product_id
		WHERE b.store_id = ? AND b.code >= ? AND b.code < ?` + filter + ` ORDER BY b.code LIMIT ?`
}

// TermPrefix lists products with a search term starting with prefix, in
// id order (the catalogue's order), reading the FTS5 index first.
func (db *DB) TermPrefix(ctx context.Context, storeID int64, prefix string, f catalog.Filter, limit int) ([]catalog.Record, error) {
	if prefix == "" || strings.ContainsRune(prefix, '"') {
		return nil, nil
	}
	q, args := filterSQL(f, []any{`"` + prefix + `"*`, storeID})
	return collectProducts(db.reader.QueryContext(ctx, termPrefixSQL(q), append(args, limit)...))
}

func termPrefixSQL(filter string) string {
	return `SELECT ` + productCols + `
		FROM product_search s CROSS JOIN product p ON p.id = s.rowid
		WHERE product_search MATCH ? AND p.store_id = ?` + filter + ` LIMIT ?`
}

// ProductIDs lists the ids of a store's products f selects, by name, from
// one of the name indexes.
func (db *DB) ProductIDs(ctx context.Context, storeID int64, f catalog.Filter) ([]int64, error) {
	q, args := filterSQL(f, []any{storeID})
	rows, err := db.reader.QueryContext(ctx, productIDsSQL(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func productIDsSQL(filter string) string {
	return `SELECT p.id FROM product p WHERE p.store_id = ?` + filter + ` ORDER BY p.name, p.id`
}

// Products reads products by id in the order given, leaving out ids that
// are not the store's.
func (db *DB) Products(ctx context.Context, storeID int64, ids []int64) ([]catalog.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	const chunk = 500 // well under SQLite's bound on host parameters
	byID := make(map[int64]catalog.Record, len(ids))
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(len(ids), start+chunk)]
		args := []any{storeID}
		for _, id := range part {
			args = append(args, id)
		}
		recs, err := collectProducts(db.reader.QueryContext(ctx, productsByIDSQL(len(part)), args...))
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			byID[r.ID] = r
		}
	}
	out := make([]catalog.Record, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// productsByIDSQL reads n products by id. The unary + keeps SQLite from
// ever taking the name index (store_id is its first column) for it, as it
// does for a covered variant of this query on a million rows: a page of
// ids is a page of primary-key probes, not a walk of the store's names.
func productsByIDSQL(n int) string {
	return `SELECT ` + productCols + ` FROM product p WHERE +p.store_id = ? AND p.id IN (?` + strings.Repeat(",?", n-1) + `)`
}

// Categories lists a store's categories in use, sorted: one index seek per
// category (a skip scan), not a pass over every product.
func (db *DB) Categories(ctx context.Context, storeID int64) ([]string, error) {
	rows, err := db.reader.QueryContext(ctx, `WITH RECURSIVE c(x) AS (
		  SELECT (SELECT min(category) FROM product WHERE store_id = ?1 AND category > '')
		  UNION ALL
		  SELECT (SELECT min(category) FROM product WHERE store_id = ?1 AND category > x) FROM c WHERE x IS NOT NULL)
		SELECT x FROM c WHERE x IS NOT NULL`, storeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ScaleLayout is the name of the layout a store's label scales print.
func (db *DB) ScaleLayout(ctx context.Context, storeID int64) (string, error) {
	var l string
	err := db.reader.QueryRowContext(ctx, `SELECT scale_layout FROM store WHERE id = ?`, storeID).Scan(&l)
	return l, err
}

// CatalogTx runs fn in one write transaction.
func (db *DB) CatalogTx(ctx context.Context, fn func(catalog.Tx) error) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		t := &catalogTx{ctx: ctx, tx: tx}
		defer t.close()
		if err := fn(t); err != nil {
			return err
		}
		return t.done()
	})
}

type catalogTx struct {
	ctx    context.Context
	tx     *sql.Tx
	stmts  map[string]*sql.Stmt // an import runs the same few statements 100,000 times
	writes int
	// lateTerms holds search terms back until flushTerms: FTS5 writes its
	// pending terms out as a new index segment whenever another statement
	// of the transaction opens a savepoint, so terms written between other
	// writes (a pull's bookkeeping) would make thousands of tiny segments.
	lateTerms bool
	terms     []pendingTerms
	held      map[int64]bool // products with terms in terms
	// deferTerms leaves the terms out of the index: the products go into
	// search_pending (flushTerms) and the search builder writes their
	// terms after the transaction (searchbuild.go). A terminal filling its
	// catalogue from the back office spent half its time in FTS5 between
	// its other writes.
	deferTerms bool
	deferred   []int64        // written this transaction, for search_pending
	deferredIn map[int64]bool // the same, as a set
	pendingAny int8           // search_pending holds rows: 0 not looked yet, 1 no, 2 yes
}

type pendingTerms struct {
	id    int64
	terms string
}

func (t *catalogTx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(t.ctx, q)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st, nil
}

func (t *catalogTx) exec(q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *catalogTx) close() {
	for _, st := range t.stmts {
		st.Close()
	}
}

func (t *catalogTx) Product(storeID, id int64) (catalog.Record, error) {
	st, err := t.stmt(`SELECT ` + productCols + ` FROM product p WHERE p.id = ? AND p.store_id = ?`)
	if err != nil {
		return catalog.Record{}, err
	}
	r, err := scanProduct(st.QueryRowContext(t.ctx, id, storeID))
	return r, noProduct(err, strconv.FormatInt(id, 10))
}

func (t *catalogTx) CodeOwner(storeID int64, code string) (int64, error) {
	st, err := t.stmt(`SELECT product_id FROM product_barcode WHERE store_id = ? AND code = ?`)
	if err != nil {
		return 0, err
	}
	var id int64
	err = st.QueryRowContext(t.ctx, storeID, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

func stockArg(s *int64) any {
	if s == nil {
		return nil
	}
	return *s
}

func (t *catalogTx) Insert(r catalog.Record, terms []string) (int64, error) {
	if len(r.Barcodes) == 0 {
		return 0, catalog.ErrNoCode
	}
	if err := t.bulk(); err != nil {
		return 0, err
	}
	res, err := t.exec(`INSERT INTO product(store_id, barcode, name, price, unit, category, active, updated_at,
		tax_rate, non_discountable, stock) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		r.StoreID, r.Barcodes[0], r.Name, int64(r.Price), r.Unit, r.Category, boolInt(r.Active),
		r.UpdatedAt.UnixMilli(), r.TaxRate, boolInt(r.NonDiscountable), stockArg(r.Stock))
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if err := t.writeCodes(r.StoreID, id, r.Barcodes); err != nil {
		return 0, err
	}
	return id, t.writeTerms(id, terms)
}

func (t *catalogTx) Update(r catalog.Record, terms []string) error {
	if len(r.Barcodes) == 0 {
		return catalog.ErrNoCode
	}
	if err := t.bulk(); err != nil {
		return err
	}
	// The codes first: product.barcode names the first, and another
	// product may just have given it up in this transaction.
	if _, err := t.exec(`DELETE FROM product_barcode WHERE product_id = ?`, r.ID); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE product SET barcode=?, name=?, price=?, unit=?, category=?, active=?, updated_at=?,
		tax_rate=?, non_discountable=?, stock=? WHERE id=? AND store_id=?`,
		r.Barcodes[0], r.Name, int64(r.Price), r.Unit, r.Category, boolInt(r.Active), r.UpdatedAt.UnixMilli(),
		r.TaxRate, boolInt(r.NonDiscountable), stockArg(r.Stock), r.ID, r.StoreID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return catalog.ErrNoProduct.With("Ref", strconv.FormatInt(r.ID, 10))
	}
	if err := t.writeCodes(r.StoreID, r.ID, r.Barcodes); err != nil {
		return err
	}
	if terms == nil {
		return nil
	}
	// Terms held back or left to the search builder are not in the index
	// yet; a product the builder has not reached gets its terms here.
	wasPending, err := t.unpend(r.ID)
	if err != nil {
		return err
	}
	if !t.held[r.ID] && !t.deferredIn[r.ID] && !wasPending {
		if _, err := t.exec(`DELETE FROM product_search WHERE rowid = ?`, r.ID); err != nil {
			return err
		}
	}
	return t.writeTerms(r.ID, terms)
}

// unpend takes id out of search_pending, reporting whether it was there
// (its terms not in the index). One look a transaction while the table is
// empty, as it is but for a while after a bulk pull.
func (t *catalogTx) unpend(id int64) (bool, error) {
	if t.pendingAny == 0 {
		var any bool
		if err := t.tx.QueryRowContext(t.ctx, `SELECT EXISTS (SELECT 1 FROM search_pending)`).Scan(&any); err != nil {
			return false, err
		}
		t.pendingAny = 1
		if any {
			t.pendingAny = 2
		}
	}
	if t.pendingAny == 1 {
		return false, nil
	}
	res, err := t.exec(`DELETE FROM search_pending WHERE product_id = ?`, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// bulkAfter is how many writes make a transaction an import: from there
// FTS5 stops merging its index segments after every flush and merges
// once more at the end (done), which saves a third of an import's time.
const bulkAfter = 1000

// bulk counts the transaction's product writes and turns FTS5's
// automatic merging off at bulkAfter.
func (t *catalogTx) bulk() error {
	t.writes++
	if t.writes != bulkAfter {
		return nil
	}
	_, err := t.exec(`INSERT INTO product_search(product_search, rank) VALUES ('automerge', 0)`)
	return err
}

// done restores FTS5's automatic merging (its default, 4) in the same
// transaction, so no import leaves the index set otherwise.
func (t *catalogTx) done() error {
	if t.writes < bulkAfter {
		return nil
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO product_search(product_search, rank) VALUES ('automerge', 4)`)
	return err
}

func (t *catalogTx) writeCodes(storeID, id int64, codes []string) error {
	for i, c := range codes {
		if _, err := t.exec(`INSERT INTO product_barcode(store_id, code, product_id, position) VALUES (?,?,?,?)`,
			storeID, c, id, i); err != nil {
			return err
		}
	}
	return nil
}

func (t *catalogTx) writeTerms(id int64, terms []string) error {
	if t.deferTerms {
		if !t.deferredIn[id] {
			if t.deferredIn == nil {
				t.deferredIn = map[int64]bool{}
			}
			t.deferredIn[id] = true
			t.deferred = append(t.deferred, id)
		}
		return nil
	}
	if t.lateTerms {
		if t.held == nil {
			t.held = map[int64]bool{}
		}
		t.held[id] = true
		t.terms = append(t.terms, pendingTerms{id, strings.Join(terms, " ")})
		return nil
	}
	_, err := t.exec(`INSERT INTO product_search(rowid, terms) VALUES (?,?)`, id, strings.Join(terms, " "))
	return err
}

// flushTerms writes the terms held back (lateTerms) in one statement; a
// product's latest terms only, if it was written twice. Products left to
// the search builder (deferTerms) are written into search_pending.
func (t *catalogTx) flushTerms() error {
	if len(t.deferred) > 0 {
		b, err := json.Marshal(t.deferred)
		if err != nil {
			return err
		}
		if _, err := t.exec(`INSERT OR IGNORE INTO search_pending(product_id) SELECT value FROM json_each(?)`, string(b)); err != nil {
			return err
		}
		t.deferred, t.deferredIn, t.pendingAny = nil, nil, 2
	}
	if len(t.terms) == 0 {
		return nil
	}
	last := make(map[int64]int, len(t.terms))
	for i, p := range t.terms {
		last[p.id] = i
	}
	rows := make([][2]any, 0, len(last))
	for i, p := range t.terms {
		if last[p.id] == i {
			rows = append(rows, [2]any{p.id, p.terms})
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO product_search(rowid, terms) SELECT value->>0, value->>1 FROM json_each(?)`, string(b))
	t.terms, t.held = nil, nil
	return err
}

func (t *catalogTx) Audit(e app.AuditEntry) error { return InsertAudit(t.ctx, t.tx, e) }

// settingSearchIndex records which catalog.IndexVersion the search terms
// were written by.
const settingSearchIndex = "catalog_index_version"

// ensureSearchIndex writes every product's search terms again when they
// were written by another version of catalog.IndexTerms (or, after the
// migration that made the index, never): once, at the first start of a
// new version.
func (db *DB) ensureSearchIndex(ctx context.Context) error {
	want := strconv.Itoa(catalog.IndexVersion)
	var have string
	err := db.reader.QueryRowContext(ctx, `SELECT value FROM setting WHERE key = ?`, settingSearchIndex).Scan(&have)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if have == want {
		return nil
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_search(product_search) VALUES ('delete-all')`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_pending`); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, name FROM product`)
		if err != nil {
			return err
		}
		type named struct {
			id   int64
			name string
		}
		var all []named
		for rows.Next() {
			var n named
			if err := rows.Scan(&n.id, &n.name); err != nil {
				rows.Close()
				return err
			}
			all = append(all, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		t := &catalogTx{ctx: ctx, tx: tx}
		defer t.close()
		for _, n := range all {
			if err := t.writeTerms(n.id, catalog.IndexTerms(n.name)); err != nil {
				return err
			}
		}
		return setSetting(ctx, tx, settingSearchIndex, want)
	})
}

// insertCatalogProduct adds a product with its codes and terms inside tx
// (the demo data).
func insertCatalogProduct(ctx context.Context, tx *sql.Tx, r catalog.Record) (int64, error) {
	t := &catalogTx{ctx: ctx, tx: tx}
	defer t.close()
	return t.Insert(r, catalog.IndexTerms(r.Name))
}
