package localdb

import (
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/sync/backoffice/master"
)

// The catalogue's topics. A page of codes, prices or products is kept as
// the back office's rows (master_barcode, master_price, master_product,
// each page in a few statements over the page as a JSON array), and then
// every product it touched is written into the catalogue through its own
// writes: with its codes by position, the store's price or else the
// chain's. A pull of a million products is 3,000 such pages, so the
// statements a page runs, not an item, are what is kept few.

// catalogue applies a page of topic barcodes, prices or products.
func (a *masterTx) catalogue(p *master.Page) error {
	var ups, dels []any
	var codes []string // barcodes: every code of the page, to find whom it leaves
	for i := range p.Items {
		e := &p.Items[i]
		if e.Err != nil {
			if err := a.refuse(a.topic, e.ID, "item", e.Cursor, e.Payload, e.Err); err != nil {
				return err
			}
			continue
		}
		it := e.Item
		switch a.topic {
		case master.TopicBarcodes:
			codes = append(codes, it.ID)
			if it.Deleted {
				dels = append(dels, it.ID)
				break
			}
			b := it.Value.(master.Barcode)
			ups = append(ups, []any{it.ID, b.SKU, b.Position})
			a.affect(b.SKU)
		case master.TopicPrices:
			if it.Scope != master.AllStores && it.Scope != a.scope.StoreCode {
				a.res.Ignored++
				continue
			}
			if it.Deleted {
				dels = append(dels, []any{it.Key, it.Scope})
			} else {
				ups = append(ups, []any{it.Key, it.Scope, it.Value.(master.Price).Price})
			}
			a.affect(it.Key)
		case master.TopicProducts:
			a.affect(it.ID)
			if it.Deleted {
				dels = append(dels, it.ID)
				break
			}
			c := it.Value.(master.Product).Catalogue(nil, 1)
			ups = append(ups, []any{it.ID, c.Name, c.Unit, c.Category, c.TaxRate, boolInt(c.NonDiscountable), boolInt(c.Active)})
			if e.Terms != nil {
				a.terms[it.ID] = e.Terms
			}
		}
		a.res.Applied++
		if err := a.cleared(a.topic, e.ID, "item"); err != nil {
			return err
		}
	}
	if len(codes) > 0 {
		// A code moving to another product leaves the one that had it.
		if err := a.each(`SELECT m.sku FROM json_each(?) j CROSS JOIN master_barcode m ON m.code = j.value`, func(sc func(...any) error) error {
			var sku string
			if err := sc(&sku); err != nil {
				return err
			}
			a.affect(sku)
			return nil
		}, jsonArg(codes)); err != nil {
			return err
		}
	}
	var del, up string
	switch a.topic {
	case master.TopicBarcodes:
		del = `DELETE FROM master_barcode WHERE code IN (SELECT value FROM json_each(?))`
		up = `INSERT INTO master_barcode(code, sku, position) SELECT value->>0, value->>1, value->>2 FROM json_each(?) WHERE true
			ON CONFLICT(code) DO UPDATE SET sku=excluded.sku, position=excluded.position`
	case master.TopicPrices:
		del = `DELETE FROM master_price WHERE (sku, scope) IN (SELECT value->>0, value->>1 FROM json_each(?))`
		up = `INSERT INTO master_price(sku, scope, price) SELECT value->>0, value->>1, value->>2 FROM json_each(?) WHERE true
			ON CONFLICT(sku, scope) DO UPDATE SET price=excluded.price`
	case master.TopicProducts:
		del = `UPDATE master_product SET deleted=1 WHERE sku IN (SELECT value FROM json_each(?))`
		up = `INSERT INTO master_product(sku, name, unit, category, tax_rate, non_discountable, active, deleted)
			SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, 0 FROM json_each(?) WHERE true
			ON CONFLICT(sku) DO UPDATE SET name=excluded.name, unit=excluded.unit, category=excluded.category, tax_rate=excluded.tax_rate,
			non_discountable=excluded.non_discountable, active=excluded.active, deleted=0`
	}
	if len(dels) > 0 {
		if _, err := a.exec(del, jsonArg(dels)); err != nil {
			return err
		}
	}
	if len(ups) > 0 {
		if _, err := a.exec(up, jsonArg(ups)); err != nil {
			return err
		}
	}
	return a.writeAffected()
}

// jsonArg is v as a JSON text parameter (json_each reads it).
func jsonArg(v any) string {
	b, _ := json.Marshal(v) // strings, numbers and slices of them
	return string(b)
}

// each runs a query and calls fn with each row's Scan.
func (a *masterTx) each(q string, fn func(scan func(...any) error) error, args ...any) error {
	st, err := a.cat.stmt(q)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(a.ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (a *masterTx) affect(sku string) {
	if !a.affected[sku] {
		a.affected[sku] = true
		a.order = append(a.order, sku)
	}
}

// productState is what the back office holds for a product.
type productState struct {
	sku     string
	pid     int64 // its local product, 0 when none yet
	product master.Product
	deleted bool
	codes   []string
	price   int64 // the store's, else the chain's; 0 when neither
}

// states reads the back office's rows of skus (those it has a product
// for), in one statement.
func (a *masterTx) states(skus []string) (map[string]*productState, error) {
	out := make(map[string]*productState, len(skus))
	err := a.each(`SELECT mp.sku, mp.product_id, mp.name, mp.unit, mp.category, mp.tax_rate, mp.non_discountable, mp.active, mp.deleted,
		(SELECT group_concat(code, ',') FROM (SELECT code FROM master_barcode b WHERE b.sku = mp.sku ORDER BY position, code)),
		coalesce((SELECT price FROM master_price p WHERE p.sku = mp.sku AND p.scope = ?2),
		         (SELECT price FROM master_price p WHERE p.sku = mp.sku AND p.scope = '*'), 0)
		FROM json_each(?1) j CROSS JOIN master_product mp ON mp.sku = j.value`, func(scan func(...any) error) error {
		var s productState
		var pid sql.NullInt64
		var nd, active, deleted int
		var codes sql.NullString
		if err := scan(&s.sku, &pid, &s.product.Name, &s.product.Unit, &s.product.Category, &s.product.TaxRate,
			&nd, &active, &deleted, &codes, &s.price); err != nil {
			return err
		}
		s.pid, s.deleted = pid.Int64, deleted != 0
		if id, ok := a.newIDs[s.sku]; ok && s.pid == 0 {
			s.pid = id
		}
		s.product.NonDiscountable = nd != 0
		on := active != 0
		s.product.Active = &on
		if codes.String != "" {
			s.codes = strings.Split(codes.String, ",")
		}
		out[s.sku] = &s
		return nil
	}, jsonArg(skus), a.scope.StoreCode)
	return out, err
}

// writeAffected writes every product the page touched into the catalogue.
func (a *masterTx) writeAffected() error {
	if len(a.order) == 0 {
		return nil
	}
	states, err := a.states(a.order)
	if err != nil {
		return err
	}
	// Who holds the codes now, read at once: a code held by no other
	// product (the usual case) needs no further look.
	var codes []string
	for _, s := range states {
		codes = append(codes, s.codes...)
	}
	owners := map[string]int64{}
	if len(codes) > 0 {
		if err := a.each(`SELECT b.code, b.product_id FROM json_each(?1) j CROSS JOIN product_barcode b ON b.store_id = ?2 AND b.code = j.value`,
			func(scan func(...any) error) error {
				var c string
				var id int64
				if err := scan(&c, &id); err != nil {
					return err
				}
				owners[c] = id
				return nil
			}, jsonArg(codes), a.storeID); err != nil {
			return err
		}
	}
	for _, sku := range a.order {
		// One written earlier in the page (a code's former holder) is as
		// it should be; its row read above may be older.
		if s := states[sku]; s != nil && !a.done[sku] {
			if err := a.write(s, owners); err != nil {
				return err
			}
		}
	}
	return a.linkNew()
}

// linkNew records which product each SKU written anew this page became.
func (a *masterTx) linkNew() error {
	if len(a.newIDs) == 0 {
		return nil
	}
	pairs := make([]any, 0, len(a.newIDs))
	for sku, id := range a.newIDs {
		pairs = append(pairs, []any{sku, id})
	}
	_, err := a.exec(`UPDATE master_product SET product_id = j.value->>1 FROM json_each(?) AS j WHERE master_product.sku = j.value->>0`, jsonArg(pairs))
	clear(a.newIDs)
	return err
}

// materialise writes sku's product as the back office has it now, read
// afresh.
func (a *masterTx) materialise(sku string) error {
	states, err := a.states([]string{sku})
	if err != nil {
		return err
	}
	if s := states[sku]; s != nil {
		return a.write(s, nil)
	}
	return nil
}

// retiredCode stands in for the codes of a product the back office
// withdrew: '~' is in no code a scanner or a person can enter
// (catalog.Classify refuses it), and it frees the product's codes for
// another product while orders still name it.
func retiredCode(id int64) string { return "~" + strconv.FormatInt(id, 10) }

// write puts s into the catalogue: its codes, its price, its other
// fields. A product without a code or a price waits (one already sold
// here is taken off sale until it has both); a deleted one is taken off
// sale with its codes freed (orders name it, so it stays). owners, when
// given, says who held each code at the start of the page.
func (a *masterTx) write(s *productState, owners map[string]int64) error {
	if a.visiting[s.sku] {
		return nil
	}
	a.visiting[s.sku] = true
	defer delete(a.visiting, s.sku)
	a.done[s.sku] = true
	if s.deleted {
		if s.pid == 0 {
			_, err := a.exec(`DELETE FROM master_product WHERE sku=?`, s.sku)
			return err
		}
		return a.withdraw(s.pid, nil)
	}
	if len(s.codes) == 0 || s.price == 0 {
		a.res.Pending++
		if s.pid != 0 {
			return a.withdraw(s.pid, s.codes)
		}
		return nil
	}
	p := s.product.Catalogue(s.codes, app.Money(s.price))
	if err := p.Validate(); err != nil {
		return a.refuse(master.TopicProducts, s.sku, "apply", 0, nil, err)
	}
	id := s.pid
	var old catalog.Record
	if id != 0 {
		var err error
		old, err = a.cat.Product(a.storeID, id)
		if errors.Is(err, catalog.ErrNoProduct) {
			id = 0 // not this store's (another enrolment's mark): written anew
		} else if err != nil {
			return err
		}
	}
	if owners == nil || !ownsOrFree(owners, s.codes, id) {
		claimed, err := a.claim(s, id)
		if err != nil || claimed < 0 {
			return err
		}
		if claimed != id && claimed != 0 {
			if old, err = a.cat.Product(a.storeID, claimed); err != nil {
				return err
			}
		}
		id = claimed
	}
	rec := catalog.Record{ID: id, StoreID: a.storeID, Product: p, UpdatedAt: a.now}
	if id == 0 {
		id, err := a.cat.Insert(rec, a.termsOf(s.sku, p.Name))
		if err != nil {
			return err
		}
		// Which product it became is written for the whole page at once
		// (linkNew); until then these maps say it.
		a.newIDs[s.sku], a.skuByID[id] = id, s.sku
		a.added++
		return a.cleared(master.TopicProducts, s.sku, "apply")
	}
	rec.Stock = old.Stock // the store counts its own stock
	if catalog.Changes(old.Product, rec.Product) != "" {
		var terms []string
		if old.Name != p.Name {
			terms = a.termsOf(s.sku, p.Name)
		}
		if err := a.cat.Update(rec, terms); err != nil {
			return err
		}
		a.updated++
	}
	return a.cleared(master.TopicProducts, s.sku, "apply")
}

// termsOf is the search terms of sku's product named name: none (but
// not nil: the name changed) in a transaction that leaves them to the
// search builder, else those the page's reading worked out.
func (a *masterTx) termsOf(sku, name string) []string {
	if a.cat.deferTerms {
		return []string{}
	}
	if t := a.terms[sku]; t != nil {
		return t
	}
	return catalog.IndexTerms(name)
}

// ownsOrFree reports whether every code is free or id's.
func ownsOrFree(owners map[string]int64, codes []string, id int64) bool {
	for _, c := range codes {
		if o := owners[c]; o != 0 && o != id {
			return false
		}
	}
	return true
}

// claim makes s's codes free for it, and returns the product to write
// (-1: refused, nothing to write). A product of the back office's that
// has given a code up is written first (it lets the code go); a product
// made at this terminal holding the codes becomes this one, as an import
// updates the product holding a row's codes; a code held otherwise is
// refused.
func (a *masterTx) claim(s *productState, id int64) (int64, error) {
	for _, c := range s.codes {
		owner, err := a.cat.CodeOwner(a.storeID, c)
		if err != nil {
			return 0, err
		}
		if owner == 0 || owner == id {
			continue
		}
		other, ok := a.skuByID[owner]
		if !ok {
			err = a.row(`SELECT sku FROM master_product WHERE product_id=?`, owner).Scan(&other)
		}
		switch {
		case err == nil && !a.visiting[other]:
			if err := a.materialise(other); err != nil {
				return 0, err
			}
			if owner, err = a.cat.CodeOwner(a.storeID, c); err != nil {
				return 0, err
			}
			if owner == 0 {
				continue
			}
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return 0, err
		case errors.Is(err, sql.ErrNoRows) && id == 0:
			id = owner
			if _, err := a.exec(`UPDATE master_product SET product_id=? WHERE sku=?`, id, s.sku); err != nil {
				return 0, err
			}
			continue
		}
		held, err := a.cat.Product(a.storeID, owner)
		if err != nil {
			return 0, err
		}
		return -1, a.refuse(master.TopicProducts, s.sku, "apply", 0, nil, catalog.ErrCodeTaken.With("Barcode", c, "Name", held.Name))
	}
	return id, nil
}

// withdraw takes a product off sale, with the codes it still has at the
// back office; without any (or deleted there) its codes are let go.
func (a *masterTx) withdraw(id int64, codes []string) error {
	r, err := a.cat.Product(a.storeID, id)
	if errors.Is(err, catalog.ErrNoProduct) {
		return nil
	}
	if err != nil {
		return err
	}
	// Only codes no other product holds: an off-sale product takes none.
	var own []string
	for _, c := range codes {
		owner, err := a.cat.CodeOwner(a.storeID, c)
		if err != nil {
			return err
		}
		if owner == 0 || owner == id {
			own = append(own, c)
		}
	}
	codes = own
	if len(codes) == 0 {
		codes = []string{retiredCode(id)}
	}
	if !r.Active && strings.Join(codes, ",") == strings.Join(r.Barcodes, ",") {
		return nil
	}
	r.Active, r.Barcodes, r.UpdatedAt = false, codes, a.now
	if err := a.cat.Update(r, nil); err != nil {
		return err
	}
	a.withdrew++
	return nil
}
