// Package master is the master data a back office publishes and its
// terminals pull (docs/sync.md "Master data"): one payload type per topic,
// the ids of each topic, and the strict decoding and validation that both
// the back office's publish command and the terminal's apply run, so what
// one side accepts the other can apply.
//
// Money is integer fen. Products, their barcodes and staff are chain-wide;
// prices and settings are per store or for every store ("*"), the store's
// own winning; a terminal ignores what belongs to another store.
package master

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"cashier/app"
	"cashier/app/catalog"
)

// Topics. Order is the order a terminal applies them in: a product is
// written to the catalogue once it has a code and a price, so its codes
// and prices come first and a fresh terminal writes each product once.
const (
	TopicStores      = "stores"
	TopicTerminals   = "terminals"
	TopicStaff       = "staff"
	TopicPermissions = "permissions"
	TopicBarcodes    = "barcodes"
	TopicPrices      = "prices"
	TopicProducts    = "products"
	TopicSettings    = "settings"
)

// Order is every topic in the order a terminal pulls and applies them.
var Order = []string{TopicStores, TopicTerminals, TopicStaff, TopicPermissions,
	TopicBarcodes, TopicPrices, TopicProducts, TopicSettings}

// AllStores is the scope of a price or setting for every store.
const AllStores = "*"

// Errors of decoding and validating an item. Each names what is wrong, so
// a quarantined item says why in the terminal's language.
var (
	ErrItem         = app.NewError("sync.master.bad_item")
	ErrTopic        = ErrItem.Sub("sync.master.unknown_topic")
	ErrID           = ErrItem.Sub("sync.master.bad_id")
	ErrJSON         = ErrItem.Sub("sync.master.bad_json")
	ErrUnknownField = ErrItem.Sub("sync.master.unknown_field")
	ErrRequired     = ErrItem.Sub("sync.master.required")
	ErrValue        = ErrItem.Sub("sync.master.bad_value")
	ErrPrice        = ErrItem.Sub("sync.master.bad_price")
	ErrRole         = ErrItem.Sub("sync.master.bad_role")
	ErrPermission   = ErrItem.Sub("sync.master.unknown_permission")
	ErrPINHash      = ErrItem.Sub("sync.master.bad_pin_hash")
	ErrSetting      = ErrItem.Sub("sync.master.setting_not_allowed")
	ErrDeletedBody  = ErrItem.Sub("sync.master.deleted_with_payload")
)

// Store is a store of the chain, by its code: its name, address and
// phone head every receipt.
type Store struct {
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	Phone   string `json:"phone,omitempty"`
}

// Terminal is a terminal of the chain, by its id (t-…, as enrolled).
type Terminal struct {
	Store       string `json:"store"`
	Name        string `json:"name"`
	CashierMode string `json:"cashier_mode,omitempty"` // sale | deposit | sale_deposit; "" keeps the terminal's
}

// Staff is a person, by staff number. Store is the store they serve, ""
// for a merchant administrator (role admin), who serves every store.
type Staff struct {
	Store    string `json:"store"`
	Name     string `json:"name"`
	Role     string `json:"role"` // admin | manager | clerk
	Disabled bool   `json:"disabled,omitempty"`
	// PINHash is a bcrypt hash of a first PIN the person must change at
	// their next login; the PIN itself never travels. Sent again
	// unchanged it changes nothing, so a PIN the person chose stays.
	PINHash string `json:"pin_hash,omitempty"`
}

// Permissions is a person's whole set of permissions, by staff number.
type Permissions struct {
	Grants []string `json:"grants"`
}

// Product is a product of the chain, by SKU; its codes and prices are
// items of their own.
type Product struct {
	Name            string `json:"name"`
	Unit            string `json:"unit,omitempty"` // "" is 件
	Category        string `json:"category,omitempty"`
	TaxRate         int    `json:"tax_rate,omitempty"` // basis points: 1300 is 13%
	NonDiscountable bool   `json:"non_discountable,omitempty"`
	Active          *bool  `json:"active,omitempty"` // absent: on sale
}

// IsActive reports whether the product is on sale.
func (p Product) IsActive() bool { return p.Active == nil || *p.Active }

// Barcode is a code of a product, by the code itself (one product per
// code chain-wide). Position orders a product's codes: the lowest is the
// one shelf labels print.
type Barcode struct {
	SKU      string `json:"sku"`
	Position int    `json:"position,omitempty"`
}

// Price is a product's shelf price in a store, by "<store>/<sku>" or
// "*/<sku>" for every store without a price of its own.
type Price struct {
	Price int64 `json:"price"` // fen
}

// Setting is one setting, by "<store>/<key>" or "*/<key>", the store's
// own winning; Key must be one of Settings.
type Setting struct {
	Value string `json:"value"`
}

// Item is one decoded master-data item: Value is a Store, Terminal,
// Staff, Permissions, Product, Barcode, Price or Setting (nil when
// Deleted). Scope and Key split a price's or a setting's id.
type Item struct {
	Topic   string
	ID      string
	Deleted bool
	Value   any
	Scope   string // prices, settings: the store code or AllStores
	Key     string // prices: the SKU; settings: the setting key
}

// Decode reads one item of topic strictly: a known topic, a valid id, a
// JSON object with no unknown field, no second value after it, and
// values that pass the topic's checks. A deleted item carries no payload.
func Decode(topic, id string, deleted bool, payload []byte) (Item, error) {
	it := Item{Topic: topic, ID: id, Deleted: deleted}
	var err error
	if it.Scope, it.Key, err = checkID(topic, id); err != nil {
		return it, err
	}
	if deleted {
		if p := bytes.TrimSpace(payload); len(p) > 0 && !bytes.Equal(p, []byte("null")) && !bytes.Equal(p, []byte("{}")) {
			return it, ErrDeletedBody.With("Topic", topic, "ID", id)
		}
		return it, nil
	}
	switch topic {
	case TopicStores:
		it.Value, err = decodeAs[Store](payload, Store.validate)
	case TopicTerminals:
		it.Value, err = decodeAs[Terminal](payload, Terminal.validate)
	case TopicStaff:
		it.Value, err = decodeAs[Staff](payload, Staff.validate)
	case TopicPermissions:
		it.Value, err = decodeAs[Permissions](payload, Permissions.validate)
	case TopicProducts:
		it.Value, err = decodeAs[Product](payload, Product.validate)
	case TopicBarcodes:
		it.Value, err = decodeAs[Barcode](payload, Barcode.validate)
	case TopicPrices:
		it.Value, err = decodeAs[Price](payload, Price.validate)
	case TopicSettings:
		it.Value, err = decodeAs[Setting](payload, func(s Setting) error { return CheckSetting(it.Key, s.Value) })
	}
	return it, err
}

// decodeAs decodes payload into a T with no unknown fields and runs check.
func decodeAs[T any](payload []byte, check func(T) error) (T, error) {
	var v T
	p := bytes.TrimSpace(payload)
	if len(p) == 0 || p[0] != '{' {
		return v, ErrJSON.With("Err", "not a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(p))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		if f, ok := unknownField(err); ok {
			return v, ErrUnknownField.With("Field", f)
		}
		return v, ErrJSON.With("Err", err.Error())
	}
	if _, err := d.Token(); err != io.EOF {
		return v, ErrJSON.With("Err", "data after the object")
	}
	return v, check(v)
}

// unknownField reads the field name out of encoding/json's error (it has
// no type of its own for it).
func unknownField(err error) (string, bool) {
	const prefix = `json: unknown field "`
	s := err.Error()
	if !strings.HasPrefix(s, prefix) {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, prefix), `"`), true
}

// MaxCodeLen bounds store codes and SKUs.
const MaxCodeLen = 32

// ValidCode reports whether s is a store code or SKU: 1–32 ASCII letters,
// digits, '.', '-' or '_'.
func ValidCode(s string) bool {
	if s == "" || len(s) > MaxCodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidStaffCode reports whether s is a staff number: 1–12 digits (as
// app/staff requires).
func ValidStaffCode(s string) bool {
	return s != "" && len(s) <= 12 && strings.Trim(s, "0123456789") == ""
}

// validTerminalID: the back office's terminal ids are "t-" and hex; any
// printable ASCII without spaces up to 64 is taken.
func validTerminalID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// checkID checks an item's id for its topic and splits a scoped one.
func checkID(topic, id string) (scope, key string, err error) {
	bad := ErrID.With("Topic", topic, "ID", id)
	switch topic {
	case TopicStores:
		if !ValidCode(id) {
			return "", "", bad
		}
	case TopicTerminals:
		if !validTerminalID(id) {
			return "", "", bad
		}
	case TopicStaff, TopicPermissions:
		if !ValidStaffCode(id) {
			return "", "", bad
		}
	case TopicProducts:
		if !ValidCode(id) {
			return "", "", bad
		}
	case TopicBarcodes:
		// The code exactly as the catalogue stores it, so one code has
		// one id.
		if _, err := catalog.Classify(id); err != nil || catalog.NormaliseCode(id) != id {
			return "", "", bad
		}
	case TopicPrices, TopicSettings:
		scope, key, ok := strings.Cut(id, "/")
		if !ok || !(scope == AllStores || ValidCode(scope)) {
			return "", "", bad
		}
		if topic == TopicPrices && !ValidCode(key) {
			return "", "", bad
		}
		if topic == TopicSettings {
			if _, known := allowed[key]; !known {
				return "", "", ErrSetting.With("Key", key)
			}
		}
		return scope, key, nil
	default:
		return "", "", ErrTopic.With("Topic", topic)
	}
	return "", "", nil
}

// PriceID is the id of a price of sku in store (AllStores for every store).
func PriceID(store, sku string) string { return store + "/" + sku }

// SettingID is the id of setting key in store (AllStores for every store).
func SettingID(store, key string) string { return store + "/" + key }

func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return ErrRequired.With("Field", field)
	}
	return nil
}

func (s Store) validate() error {
	return errors.Join(
		app.CheckText(app.Msg("field.store_name"), s.Name, true, 40),
		app.CheckText(app.Msg("field.address"), s.Address, false, 80),
		app.CheckText(app.Msg("field.phone"), s.Phone, false, 20),
	)
}

func (t Terminal) validate() error {
	var errs []error
	if !ValidCode(t.Store) {
		errs = append(errs, ErrValue.With("Field", "store", "Value", t.Store))
	}
	mode := app.CashierMode(t.CashierMode)
	if mode == "" {
		mode = app.ModeSaleDeposit // only the name is checked then
	}
	errs = append(errs, app.TerminalInfo{Name: t.Name, CashierMode: mode}.Validate())
	return errors.Join(errs...)
}

func (s Staff) validate() error {
	var errs []error
	role := app.Role(s.Role)
	switch {
	case !role.Known():
		errs = append(errs, ErrRole.With("Role", s.Role))
	case role == app.RoleAdmin && s.Store != "":
		errs = append(errs, ErrValue.With("Field", "store", "Value", s.Store))
	case role != app.RoleAdmin && !ValidCode(s.Store):
		errs = append(errs, ErrRequired.With("Field", "store"))
	}
	errs = append(errs, app.CheckText(app.Msg("field.staff_name"), s.Name, true, 20))
	if s.PINHash != "" && !bcryptHash(s.PINHash) {
		errs = append(errs, ErrPINHash)
	}
	return errors.Join(errs...)
}

// bcryptHash reports whether h looks like a bcrypt hash ($2a$, $2b$ or
// $2y$, a two-digit cost from 4 to 31, 53 characters of salt and hash).
func bcryptHash(h string) bool {
	if len(h) != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$' {
		return false
	}
	if v := h[2]; v != 'a' && v != 'b' && v != 'y' {
		return false
	}
	cost := int(h[4]-'0')*10 + int(h[5]-'0')
	if h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || cost < 4 || cost > 31 {
		return false
	}
	for i := 7; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

func (p Permissions) validate() error {
	var errs []error
	if p.Grants == nil {
		errs = append(errs, ErrRequired.With("Field", "grants"))
	}
	for _, g := range p.Grants {
		if !app.KnownPermission(g) {
			errs = append(errs, ErrPermission.With("Code", g))
		}
	}
	return errors.Join(errs...)
}

// Catalogue returns the product as the catalogue holds it, with codes and
// price.
func (p Product) Catalogue(codes []string, price app.Money) catalog.Product {
	unit := p.Unit
	if strings.TrimSpace(unit) == "" {
		unit = catalog.DefaultUnit
	}
	return catalog.Product{Name: p.Name, Barcodes: codes, Price: price, Unit: unit, Category: p.Category,
		TaxRate: p.TaxRate, Active: p.IsActive(), NonDiscountable: p.NonDiscountable}.Normalise()
}

func (p Product) validate() error {
	// The catalogue's own rules, with a stand-in code and price: those
	// come as items of their own.
	c := p.Catalogue([]string{"X"}, 1)
	if err := c.Validate(); err != nil {
		return err
	}
	return nil
}

// MaxPosition bounds a code's position.
const MaxPosition = 99

func (b Barcode) validate() error {
	var errs []error
	if !ValidCode(b.SKU) {
		errs = append(errs, ErrValue.With("Field", "sku", "Value", b.SKU))
	}
	if b.Position < 0 || b.Position > MaxPosition {
		errs = append(errs, ErrValue.With("Field", "position", "Value", b.Position))
	}
	return errors.Join(errs...)
}

func (p Price) validate() error {
	if p.Price <= 0 || app.Money(p.Price) > catalog.PriceCeiling {
		return ErrPrice.With("Value", p.Price, "Ceiling", catalog.PriceCeiling)
	}
	return nil
}

// Encode is the JSON of a payload (the back office publishes it).
func Encode(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("master: %w", err)
	}
	return b, nil
}
