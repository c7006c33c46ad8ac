package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"cashier/app"
)

// Record is a product as stored.
type Record struct {
	ID      int64
	StoreID int64
	Product
	UpdatedAt time.Time
}

// State filters products by their active flag.
type State int

const (
	AnyState State = iota
	ActiveOnly
	InactiveOnly
)

// Filter narrows a list, a search or an export.
type Filter struct {
	Category string // "" every category
	State    State
}

// Found is a search hit.
type Found struct {
	Record
	Rank Rank
}

// Errors of the catalogue's use cases.
var (
	ErrNoProduct = app.NewError("catalog.product.unknown")
	// ErrCodeTaken: a code belongs to another product (Name, Barcode).
	ErrCodeTaken = app.NewError("catalog.barcode.taken")
	ErrNoCode    = app.NewError("catalog.barcode.none")
)

// Store is what the catalogue needs from storage. Every read is of one
// store's products.
type Store interface {
	// CatalogTx runs fn in one write transaction: nothing is kept unless
	// fn returns nil.
	CatalogTx(ctx context.Context, fn func(Tx) error) error
	Product(ctx context.Context, storeID, id int64) (Record, error) // ErrNoProduct
	// ProductByCode finds the product holding code (NormaliseCode form).
	ProductByCode(ctx context.Context, storeID int64, code string) (Record, error)
	// CodePrefix lists products with a code starting with prefix, by code.
	CodePrefix(ctx context.Context, storeID int64, prefix string, f Filter, limit int) ([]Record, error)
	// TermPrefix lists products with an index term starting with prefix
	// (IndexTerms, IndexQuery), in catalogue order.
	TermPrefix(ctx context.Context, storeID int64, prefix string, f Filter, limit int) ([]Record, error)
	// ProductIDs lists the ids of the products f selects, by name.
	ProductIDs(ctx context.Context, storeID int64, f Filter) ([]int64, error)
	// Products reads the products with these ids, in the order given
	// (ids no longer there are left out).
	Products(ctx context.Context, storeID int64, ids []int64) ([]Record, error)
	Categories(ctx context.Context, storeID int64) ([]string, error)
	ScaleLayout(ctx context.Context, storeID int64) (string, error)
}

// Tx is one write transaction on the catalogue: every read sees the
// writes before it.
type Tx interface {
	Product(storeID, id int64) (Record, error)
	// CodeOwner is the id of the product of storeID holding code, 0 when
	// none does.
	CodeOwner(storeID int64, code string) (int64, error)
	// Insert writes a new product with its codes and its search terms
	// (IndexTerms of its name).
	Insert(r Record, terms []string) (int64, error)
	// Update rewrites a product and its codes, and its search terms unless
	// terms is nil (the name did not change).
	Update(r Record, terms []string) error
	Audit(e app.AuditEntry) error
}

// Service is the catalogue's use cases. Changes need the product_manage
// permission, checked at the moment of the change, and are audited in the
// transaction that makes them.
type Service struct {
	Store   Store
	Permits app.Permits
	Clock   app.Clock
}

// CanManage reports whether staffID may change the catalogue now.
func (s Service) CanManage(ctx context.Context, staffID int64) error {
	_, err := s.Permits.Check(ctx, staffID, app.PermProductManage)
	return err
}

// Save adds a product (id 0) or changes one, on behalf of staffID. Every
// problem with the product comes back at once (Validate), and a code held
// by another product is refused naming it.
func (s Service) Save(ctx context.Context, staffID, storeID, id int64, p Product) (int64, error) {
	who, err := s.Permits.Check(ctx, staffID, app.PermProductManage)
	if err != nil {
		return 0, err
	}
	p = p.Normalise()
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if len(p.Barcodes) == 0 {
		return 0, ErrNoCode
	}
	now := s.Clock.Now()
	err = s.Store.CatalogTx(ctx, func(tx Tx) error {
		for _, c := range p.Barcodes {
			owner, err := tx.CodeOwner(storeID, c)
			if err != nil {
				return err
			}
			if owner != 0 && owner != id {
				other, err := tx.Product(storeID, owner)
				if err != nil {
					return err
				}
				return ErrCodeTaken.With("Barcode", c, "Name", other.Name)
			}
		}
		r := Record{ID: id, StoreID: storeID, Product: p, UpdatedAt: now}
		if id == 0 {
			if id, err = tx.Insert(r, IndexTerms(p.Name)); err != nil {
				return err
			}
			return tx.Audit(app.AuditEntry{At: now, StaffID: who.ID, Action: "product_add",
				Subject: p.Barcodes[0], Detail: describe(p)})
		}
		old, err := tx.Product(storeID, id)
		if err != nil {
			return err
		}
		changes := Changes(old.Product, p)
		if changes == "" {
			return nil
		}
		var terms []string
		if old.Name != p.Name {
			terms = IndexTerms(p.Name)
		}
		if err := tx.Update(r, terms); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{At: now, StaffID: who.ID, Action: "product_change",
			Subject: p.Barcodes[0], Detail: changes})
	})
	return id, err
}

// SetActive enables or disables a product (disabled products stay in
// orders and reports; a counter no longer finds them).
func (s Service) SetActive(ctx context.Context, staffID, storeID, id int64, active bool) error {
	who, err := s.Permits.Check(ctx, staffID, app.PermProductManage)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	return s.Store.CatalogTx(ctx, func(tx Tx) error {
		r, err := tx.Product(storeID, id)
		if err != nil {
			return err
		}
		if r.Active == active {
			return nil
		}
		r.Active, r.UpdatedAt = active, now
		if err := tx.Update(r, nil); err != nil {
			return err
		}
		action := "product_disable"
		if active {
			action = "product_enable"
		}
		return tx.Audit(app.AuditEntry{At: now, StaffID: who.ID, Action: action,
			Subject: first(r.Barcodes), Detail: r.Name})
	})
}

// Product reads one product.
func (s Service) Product(ctx context.Context, storeID, id int64) (Record, error) {
	return s.Store.Product(ctx, storeID, id)
}

func first(codes []string) string {
	if len(codes) == 0 {
		return ""
	}
	return codes[0]
}

// describe is a new product's audit detail.
func describe(p Product) string {
	return fmt.Sprintf("name=%q price=%d codes=%s unit=%q category=%q tax=%d active=%t nodiscount=%t stock=%s",
		p.Name, int64(p.Price), strings.Join(p.Barcodes, ","), p.Unit, p.Category, p.TaxRate,
		p.Active, p.NonDiscountable, stockText(p.Stock))
}

func stockText(s *int64) string {
	if s == nil {
		return ""
	}
	return strconv.FormatInt(*s, 10)
}

// Changes is a change's audit detail: each changed field as
// `field: "old" -> "new"`, joined by "; "; "" when nothing changed.
func Changes(old, p Product) string {
	var parts []string
	add := func(field, a, b string) {
		if a != b {
			parts = append(parts, fmt.Sprintf("%s: %q -> %q", field, a, b))
		}
	}
	add("name", old.Name, p.Name)
	add("codes", strings.Join(old.Barcodes, ","), strings.Join(p.Barcodes, ","))
	add("price", strconv.FormatInt(int64(old.Price), 10), strconv.FormatInt(int64(p.Price), 10))
	add("unit", old.Unit, p.Unit)
	add("category", old.Category, p.Category)
	add("tax", strconv.Itoa(old.TaxRate), strconv.Itoa(p.TaxRate))
	add("active", strconv.FormatBool(old.Active), strconv.FormatBool(p.Active))
	add("nodiscount", strconv.FormatBool(old.NonDiscountable), strconv.FormatBool(p.NonDiscountable))
	add("stock", stockText(old.Stock), stockText(p.Stock))
	return strings.Join(parts, "; ")
}

// Search is the one search of the counter, the Products workspace and the
// CLI: codes first (exact, then prefix), then names that start with the
// query (name, initials, full pinyin), then names that contain it; at most
// MaxResults, each product once.
func (s Service) Search(ctx context.Context, storeID int64, q string, f Filter) ([]Found, error) {
	var out []Found
	seen := map[int64]bool{}
	take := func(r Record, rank Rank) {
		if !seen[r.ID] && len(out) < MaxResults {
			seen[r.ID] = true
			out = append(out, Found{Record: r, Rank: rank})
		}
	}
	if code := NormaliseCode(q); code != "" && isCodeText(code) {
		recs, err := s.Store.CodePrefix(ctx, storeID, code, f, MaxResults)
		if err != nil {
			return nil, err
		}
		// Exact codes first: the store lists by code, so an exact code is
		// the first of its own prefix, but another product's may be first.
		for _, exact := range []bool{true, false} {
			for _, r := range recs {
				rank, _ := MatchCode(code, r.Barcodes)
				if (rank == RankExactCode) == exact {
					take(r, rank)
				}
			}
		}
	}
	start, within, cut := IndexQuery(q)
	for _, step := range []struct {
		prefix string
		rank   Rank
	}{{start, RankNamePrefix}, {within, RankName}} {
		if step.prefix == "" || len(out) >= MaxResults {
			break
		}
		limit := MaxResults + len(seen)
		if cut {
			limit *= 4 // some hits of the cut query are not confirmed
		}
		recs, err := s.Store.TermPrefix(ctx, storeID, step.prefix, f, limit)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if cut && !Confirm(q, r.Name) {
				continue
			}
			take(r, step.rank)
		}
	}
	return out, nil
}

// isCodeText reports whether s could be (the start of) a code.
func isCodeText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return len(s) <= MaxInternalCodeLen
}

// IDs lists the products f selects, by name: a list screen keeps the ids
// and reads the rows it shows (Products).
func (s Service) IDs(ctx context.Context, storeID int64, f Filter) ([]int64, error) {
	return s.Store.ProductIDs(ctx, storeID, f)
}

// Products reads products by id, in the order given.
func (s Service) Products(ctx context.Context, storeID int64, ids []int64) ([]Record, error) {
	return s.Store.Products(ctx, storeID, ids)
}

// Categories lists the store's categories in use, sorted.
func (s Service) Categories(ctx context.Context, storeID int64) ([]string, error) {
	return s.Store.Categories(ctx, storeID)
}

// Scanned is what a scanned code sells: a product, and for a scale label
// its weight or its price.
type Scanned struct {
	Record
	Label *Label // nil for a product's own code
	// Amount is what the line costs for a scale label (the label's price,
	// or the weight times the product's price per unit); 0 otherwise.
	Amount app.Money
}

// ErrWeighedUnit: a weight label for a product whose unit is not a weight.
var ErrWeighedUnit = app.NewError("catalog.scale.unit")

// Scan finds what a scanned code sells: a product's own code first, then,
// for an in-store EAN-13 the store's label scales print, the product of
// the label's item code with the weight or price it carries. Inactive
// products are not sold.
func (s Service) Scan(ctx context.Context, storeID int64, code string) (Scanned, error) {
	code = NormaliseCode(code)
	r, err := s.Store.ProductByCode(ctx, storeID, code)
	if err == nil {
		if !r.Active {
			return Scanned{}, ErrInactive.With("Name", r.Name)
		}
		return Scanned{Record: r}, nil
	}
	if !errors.Is(err, ErrNoProduct) {
		return Scanned{}, err
	}
	name, err := s.Store.ScaleLayout(ctx, storeID)
	if err != nil {
		return Scanned{}, err
	}
	l, ok := LayoutNamed(name)
	if !ok || !l.Matches(code) {
		return Scanned{}, ErrNoProduct.With("Ref", code)
	}
	lab, err := DecodeScaleLabel(code, l)
	if err != nil {
		return Scanned{}, err
	}
	r, err = s.itemCode(ctx, storeID, lab.ItemCode)
	if err != nil {
		return Scanned{}, err
	}
	if !r.Active {
		return Scanned{}, ErrInactive.With("Name", r.Name)
	}
	out := Scanned{Record: r, Label: &lab, Amount: lab.Price}
	if lab.Measure == MeasureWeight {
		per, ok := GramsPerUnit(r.Unit)
		if !ok {
			return Scanned{}, ErrWeighedUnit.With("Name", r.Name, "Unit", r.Unit)
		}
		if out.Amount, err = WeighedTotal(r.Price, per, lab.Grams); err != nil {
			return Scanned{}, err
		}
	}
	return out, nil
}

// ErrInactive: the product is disabled.
var ErrInactive = app.NewError("catalog.product.inactive")

// itemCode finds a scale's item code (PLU) among the products' codes, as
// printed ("00123") or without its leading zeros ("123").
func (s Service) itemCode(ctx context.Context, storeID int64, item string) (Record, error) {
	codes := []string{item}
	if t := strings.TrimLeft(item, "0"); t != item && t != "" {
		codes = append(codes, t)
	}
	for _, c := range codes {
		r, err := s.Store.ProductByCode(ctx, storeID, c)
		if !errors.Is(err, ErrNoProduct) {
			return r, err
		}
	}
	return Record{}, ErrNoProduct.With("Ref", item)
}

// Layouts are the scale-label layouts a store can choose, by Name.
var Layouts = []Layout{LayoutPrice13, LayoutWeight13, LayoutGS1Price}

// LayoutNone is the setting of a store without label scales.
const LayoutNone = "none"

// LayoutNamed finds a layout by name; false for LayoutNone or an unknown
// name.
func LayoutNamed(name string) (Layout, bool) {
	i := slices.IndexFunc(Layouts, func(l Layout) bool { return l.Name == name })
	if i < 0 {
		return Layout{}, false
	}
	return Layouts[i], true
}

// GramsPerUnit is how many grams a weighed product's price is for, by its
// unit: kg/千克/公斤 1000, 斤 500, 两 50, 100g 100, g/克 1.
func GramsPerUnit(unit string) (int64, bool) {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "kg", "千克", "公斤":
		return 1000, true
	case "斤", "市斤":
		return 500, true
	case "两":
		return 50, true
	case "100g", "100克":
		return 100, true
	case "g", "克":
		return 1, true
	}
	return 0, false
}
