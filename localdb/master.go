package localdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"cashier/app"
	"cashier/app/staff"
	"cashier/sync/backoffice/master"
)

// Master data pulled from the back office (docs/sync.md "Master data"):
// one pulled page is applied in one transaction together with its cursor,
// through the catalogue's and staff administration's own writes (so the
// search terms and the audit stay right). An item that fails its checks
// is quarantined with the reason and audited; the rest of the page is
// applied and the cursor moves on, so one bad row never stops a store's
// sync.

// ErrPullRaced: the topic's cursor is no longer the one the page was
// asked from (another pull applied a page meanwhile); nothing was written.
var ErrPullRaced = app.NewError("sync.master.raced")

// settingPullScope records the enrolment the cursors belong to.
const settingPullScope = "sync.pull_scope"

// PullCursor is the cursor topic has reached (0: never pulled).
func (db *DB) PullCursor(ctx context.Context, topic string) (int64, error) {
	var c int64
	err := db.reader.QueryRowContext(ctx, `SELECT cursor FROM sync_cursor WHERE topic=?`, topic).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return c, err
}

// PrepareMasterPull makes the cursors those of scope's enrolment: after an
// enrolment anew (another terminal id or store) every topic is pulled from
// the start and the copy of the old back office's rows is dropped. The
// products already written stay; pulled again, each is matched again by
// its codes (as a product the terminal made is).
func (db *DB) PrepareMasterPull(ctx context.Context, scope master.Scope) error {
	want := scope.Terminal + "/" + scope.StoreCode
	have, err := db.GetSetting(ctx, settingPullScope, "")
	if err != nil || have == want {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM sync_cursor`, `DELETE FROM sync_quarantine`,
			`DELETE FROM master_barcode`, `DELETE FROM master_price`, `DELETE FROM master_setting`, `DELETE FROM master_product`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return setSetting(ctx, tx, settingPullScope, want)
	})
}

// QuarantinedItem is an item this terminal refused.
type QuarantinedItem struct {
	Topic, ID string
	Kind      string // "item": it did not pass the checks; "apply": the catalogue could not take it
	Cursor    int64
	Reason    string
	At        time.Time
}

// MasterQuarantine lists the refused items, newest first.
func (db *DB) MasterQuarantine(ctx context.Context) ([]QuarantinedItem, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT topic, item_id, kind, cursor, reason, at FROM sync_quarantine ORDER BY at DESC, topic, item_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QuarantinedItem
	for rows.Next() {
		var q QuarantinedItem
		var at int64
		if err := rows.Scan(&q.Topic, &q.ID, &q.Kind, &q.Cursor, &q.Reason, &at); err != nil {
			return nil, err
		}
		q.At = time.UnixMilli(at)
		out = append(out, q)
	}
	return out, rows.Err()
}

// ApplyMasterPage applies one pulled page and stores its cursor, in one
// transaction. ErrPullRaced when the topic's cursor is not p.From.
func (db *DB) ApplyMasterPage(ctx context.Context, scope master.Scope, p *master.Page) (master.Outcome, error) {
	res, err := db.ApplyMasterPages(ctx, scope, []*master.Page{p})
	if err != nil {
		return master.Outcome{}, err
	}
	return res[0], nil
}

// ApplyMasterPages applies pages of one topic that follow each other, each
// with its cursor, in one transaction: all of them or none. A puller that
// has fallen behind (a fresh terminal, a day offline) hands over the pages
// it has already fetched, so a catch-up commits, and writes the search
// index's segments, a few times rather than once a page.
func (db *DB) ApplyMasterPages(ctx context.Context, scope master.Scope, pages []*master.Page) ([]master.Outcome, error) {
	out := make([]master.Outcome, len(pages))
	items := 0
	for _, p := range pages {
		items += len(p.Items)
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if items >= bulkItems {
			restore, err := bulkCache(ctx, tx)
			if err != nil {
				return err
			}
			defer restore()
		}
		// A bulk transaction (a fresh terminal filling its catalogue)
		// leaves its search terms to the builder, which writes them
		// when the topic has ended.
		cat := &catalogTx{ctx: ctx, tx: tx, lateTerms: true, deferTerms: items >= deferItems}
		defer cat.close()
		now := time.Now()
		for i, p := range pages {
			out[i] = master.Outcome{}
			a := &masterTx{ctx: ctx, tx: tx, scope: scope, now: now, topic: p.Topic, res: &out[i], cat: cat,
				affected: map[string]bool{}, terms: map[string][]string{}, visiting: map[string]bool{}, done: map[string]bool{},
				newIDs: map[string]int64{}, skuByID: map[int64]string{}}
			if err := a.page(p); err != nil {
				return err
			}
		}
		// The search terms last, after every other write of the
		// transaction: FTS5 writes its pending terms out as a segment
		// whenever a later statement opens a savepoint.
		if err := cat.flushTerms(); err != nil {
			return err
		}
		return cat.done()
	})
	if err != nil {
		return nil, err
	}
	if !pages[len(pages)-1].More {
		db.kickPendingSearch(ctx)
	}
	return out, nil
}

// bulkItems is how many items make a transaction a bulk one (a fresh
// terminal filling its catalogue): one that gets bulkCacheKiB of page
// cache for itself.
const (
	bulkItems    = 10_000
	bulkCacheKiB = 256 << 10
)

// deferItems is how many items make a transaction leave its products'
// search terms to the search builder (a variable for the tests).
var deferItems = bulkItems

// bulkCache gives the writer a larger page cache for this transaction and
// returns what puts the usual one back. A million products' tables and
// indexes are hundreds of megabytes, written in name and code order, not
// in the order they come: with the usual 32 MB the same index pages are
// read back and written out again many times a transaction. The cache is
// memory only, nothing of durability: commits sync as always.
func bulkCache(ctx context.Context, tx *sql.Tx) (func(), error) {
	var was int64
	if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&was); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -`+strconv.Itoa(bulkCacheKiB)); err != nil {
		return nil, err
	}
	return func() { _, _ = tx.ExecContext(ctx, `PRAGMA cache_size = `+strconv.FormatInt(was, 10)) }, nil
}

// masterTx applies one page inside its transaction.
type masterTx struct {
	ctx   context.Context
	tx    *sql.Tx
	scope master.Scope
	now   time.Time
	topic string
	res   *master.Outcome
	cat   *catalogTx // the catalogue's writes, and a statement cache for the rest

	storeID    int64
	quarantine bool // the quarantine holds rows: a success must clear its own

	// SKUs whose catalogue product is written again at the end of the page.
	affected map[string]bool
	order    []string
	terms    map[string][]string // a product's search terms, worked out with the page
	visiting map[string]bool
	done     map[string]bool  // written this page
	newIDs   map[string]int64 // SKU → the product it became this page, not yet in master_product
	skuByID  map[int64]string
	added    int
	updated  int
	withdrew int
}

func (a *masterTx) page(p *master.Page) error {
	var cur int64
	err := a.tx.QueryRowContext(a.ctx, `SELECT cursor FROM sync_cursor WHERE topic=?`, p.Topic).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if cur != p.From || p.Next < p.From {
		return ErrPullRaced.With("Topic", p.Topic, "Have", cur, "From", p.From)
	}
	if err := a.resolve(); err != nil {
		return err
	}
	if err := a.tx.QueryRowContext(a.ctx, `SELECT EXISTS (SELECT 1 FROM sync_quarantine)`).Scan(&a.quarantine); err != nil {
		return err
	}
	switch p.Topic {
	case master.TopicBarcodes, master.TopicPrices, master.TopicProducts:
		if err := a.catalogue(p); err != nil {
			return err
		}
	default:
		for i := range p.Items {
			if err := a.item(&p.Items[i]); err != nil {
				return err
			}
		}
	}
	if a.added+a.updated+a.withdrew > 0 {
		// One line a page, as an import writes one: a catalogue of a
		// million products is not a million audit lines.
		if err := InsertAudit(a.ctx, a.tx, app.AuditEntry{At: a.now, Action: "product_import", Subject: "backoffice",
			Detail: fmt.Sprintf("topic=%s cursor=%d added=%d updated=%d withdrawn=%d", p.Topic, p.Next, a.added, a.updated, a.withdrew)}); err != nil {
			return err
		}
	}
	if _, err := a.tx.ExecContext(a.ctx, `INSERT INTO sync_cursor(topic, cursor, updated_at) VALUES (?,?,?)
		ON CONFLICT(topic) DO UPDATE SET cursor=excluded.cursor, updated_at=excluded.updated_at`, p.Topic, p.Next, a.now.UnixMilli()); err != nil {
		return err
	}
	return nil
}

// resolve finds this terminal's store: the one whose code the back
// office gave, else the store the terminal was set up in.
func (a *masterTx) resolve() error {
	err := a.tx.QueryRowContext(a.ctx, `SELECT id FROM store WHERE code=?`, a.scope.StoreCode).Scan(&a.storeID)
	if errors.Is(err, sql.ErrNoRows) {
		a.storeID, err = a.settingID(SettingStoreID)
	}
	return err
}

func (a *masterTx) settingID(key string) (int64, error) {
	v, err := getSetting(a.ctx, a.tx, key)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id == 0 {
		return 0, ErrNotSetUp.With("Dir", "")
	}
	return id, nil
}

func (a *masterTx) exec(q string, args ...any) (sql.Result, error) { return a.cat.exec(q, args...) }

func (a *masterTx) row(q string, args ...any) *sql.Row {
	st, err := a.cat.stmt(q)
	if err != nil {
		return a.tx.QueryRowContext(a.ctx, q, args...) // reports the same error on Scan
	}
	return st.QueryRowContext(a.ctx, args...)
}

func (a *masterTx) audit(action, subject, detail string) error {
	return InsertAudit(a.ctx, a.tx, app.AuditEntry{At: a.now, Action: action, Subject: subject, Detail: detail})
}

// item applies one entry: a refused one is quarantined, an applied one
// clears the quarantine of its earlier versions.
func (a *masterTx) item(e *master.Entry) error {
	if e.Err != nil {
		return a.refuse(a.topic, e.ID, "item", e.Cursor, e.Payload, e.Err)
	}
	it := e.Item
	var ignored bool
	var err error
	switch a.topic {
	case master.TopicStores:
		ignored, err = a.store(it)
	case master.TopicTerminals:
		ignored, err = a.terminal(it)
	case master.TopicStaff:
		ignored, err = a.staff(it)
	case master.TopicPermissions:
		ignored, err = a.permissions(it)
	case master.TopicSettings:
		ignored, err = a.setting(it)
	default:
		return a.refuse(a.topic, e.ID, "item", e.Cursor, e.Payload, master.ErrTopic.With("Topic", a.topic))
	}
	var refusal *app.Error
	if errors.As(err, &refusal) {
		return a.refuse(a.topic, e.ID, "apply", e.Cursor, e.Payload, err)
	}
	if err != nil {
		return err
	}
	if ignored {
		a.res.Ignored++
		return nil
	}
	a.res.Applied++
	return a.cleared(a.topic, e.ID, "item")
}

// maxQuarantined bounds what is kept of a refused item's payload.
const maxQuarantined = 4 << 10

func (a *masterTx) refuse(topic, id, kind string, cursor int64, payload []byte, reason error) error {
	if len(payload) > maxQuarantined {
		payload = payload[:maxQuarantined]
	}
	why := reason.Error()
	if _, err := a.exec(`INSERT INTO sync_quarantine(topic, item_id, kind, cursor, payload, reason, at) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT(topic, item_id, kind) DO UPDATE SET cursor=excluded.cursor, payload=excluded.payload, reason=excluded.reason, at=excluded.at`,
		topic, id, kind, cursor, string(payload), why, a.now.UnixMilli()); err != nil {
		return err
	}
	a.quarantine = true
	a.res.Quarantined++
	a.res.Refused = append(a.res.Refused, master.Refusal{Topic: topic, ID: id, Err: reason})
	return a.audit("sync_quarantine", topic+"/"+id, why)
}

func (a *masterTx) cleared(topic, id, kind string) error {
	if !a.quarantine {
		return nil
	}
	_, err := a.exec(`DELETE FROM sync_quarantine WHERE topic=? AND item_id=? AND kind=?`, topic, id, kind)
	return err
}

// ---- the store, the terminal, settings ----

// store applies this store's name, address and phone (a receipt's
// header); other stores are not kept on a terminal.
func (a *masterTx) store(it master.Item) (bool, error) {
	if it.ID != a.scope.StoreCode || it.Deleted {
		return true, nil
	}
	s := it.Value.(master.Store)
	var name, address, phone string
	if err := a.tx.QueryRowContext(a.ctx, `SELECT name, address, phone FROM store WHERE id=?`, a.storeID).Scan(&name, &address, &phone); err != nil {
		return false, err
	}
	changed := AuditChanges("name", name, s.Name, "address", address, s.Address, "phone", phone, s.Phone)
	if changed == "" {
		return false, nil
	}
	if _, err := a.tx.ExecContext(a.ctx, `UPDATE store SET name=?, address=?, phone=? WHERE id=?`, s.Name, s.Address, s.Phone, a.storeID); err != nil {
		return false, err
	}
	return false, a.audit("settings", "store", changed+"; by=backoffice")
}

// terminal applies this terminal's name and cashier mode.
func (a *masterTx) terminal(it master.Item) (bool, error) {
	if it.ID != a.scope.Terminal || it.Deleted {
		return true, nil
	}
	t := it.Value.(master.Terminal)
	id, err := a.settingID(SettingTerminalID)
	if err != nil {
		return false, err
	}
	var name, mode string
	if err := a.tx.QueryRowContext(a.ctx, `SELECT name, cashier_mode FROM terminal WHERE id=?`, id).Scan(&name, &mode); err != nil {
		return false, err
	}
	newMode := mode
	if t.CashierMode != "" {
		newMode = t.CashierMode
	}
	changed := AuditChanges("name", name, t.Name, "cashier_mode", mode, newMode)
	if changed == "" {
		return false, nil
	}
	if _, err := a.tx.ExecContext(a.ctx, `UPDATE terminal SET name=?, cashier_mode=? WHERE id=?`, t.Name, newMode, id); err != nil {
		return false, err
	}
	return false, a.audit("settings", "terminal", changed+"; by=backoffice")
}

// storeColumns are the settings kept as columns of the store row.
var storeColumns = map[string]string{
	master.SettingReceiptFooter: "receipt_footer",
	master.SettingPaymentMode:   "payment_mode",
	master.SettingDiscountFloor: "discount_floor_pct",
	master.SettingScaleLayout:   "scale_layout",
}

// setting keeps the back office's value for every store and for this one,
// and applies the one that wins (this store's). A setting no longer set
// for either keeps the value it has.
func (a *masterTx) setting(it master.Item) (bool, error) {
	if it.Scope != master.AllStores && it.Scope != a.scope.StoreCode {
		return true, nil
	}
	if it.Deleted {
		if _, err := a.exec(`DELETE FROM master_setting WHERE key=? AND scope=?`, it.Key, it.Scope); err != nil {
			return false, err
		}
	} else if _, err := a.exec(`INSERT INTO master_setting(key, scope, value) VALUES (?,?,?)
		ON CONFLICT(key, scope) DO UPDATE SET value=excluded.value`, it.Key, it.Scope, it.Value.(master.Setting).Value); err != nil {
		return false, err
	}
	var value string
	err := a.tx.QueryRowContext(a.ctx, `SELECT value FROM master_setting WHERE key=? AND scope IN (?, '*') ORDER BY scope='*' LIMIT 1`,
		it.Key, a.scope.StoreCode).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if col, ok := storeColumns[it.Key]; ok {
		var old string
		if err := a.tx.QueryRowContext(a.ctx, `SELECT CAST(`+col+` AS TEXT) FROM store WHERE id=?`, a.storeID).Scan(&old); err != nil {
			return false, err
		}
		if old == value {
			return false, nil
		}
		var arg any = value
		if it.Key == master.SettingDiscountFloor {
			n, _ := strconv.Atoi(value) // checked by master.CheckSetting
			arg = n
		}
		if _, err := a.tx.ExecContext(a.ctx, `UPDATE store SET `+col+`=? WHERE id=?`, arg, a.storeID); err != nil {
			return false, err
		}
		return false, a.audit("settings", "store", AuditChanges(col, old, value)+"; by=backoffice")
	}
	// shift.variance_threshold, stored as app/settings writes it ("50.00").
	m, err := app.ParseMoneyWith(value, app.MoneyRules{AllowZero: true})
	if err != nil {
		return false, master.ErrValue.With("Field", it.Key, "Value", value)
	}
	old, err := getSetting(a.ctx, a.tx, it.Key)
	if err != nil || old == m.String() {
		return false, err
	}
	if err := setSetting(a.ctx, a.tx, it.Key, m.String()); err != nil {
		return false, err
	}
	return false, a.audit("settings", it.Key, fmt.Sprintf("%s->%s; by=backoffice", old, m.String()))
}

// ---- staff ----

const byBackoffice = "by=backoffice"

// staff applies a person through staff administration's writes. Someone
// of another store, or deleted, is disabled here when this terminal knows
// them (people are never deleted: orders name them) and ignored otherwise.
func (a *masterTx) staff(it master.Item) (bool, error) {
	st := staffTx{ctx: a.ctx, tx: a.tx}
	var id int64
	var sentHash string
	err := a.tx.QueryRowContext(a.ctx, `SELECT id, master_pin_hash FROM staff WHERE code=?`, it.ID).Scan(&id, &sentHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	exists := err == nil
	if it.Deleted || it.Value.(master.Staff).Store != "" && it.Value.(master.Staff).Store != a.scope.StoreCode {
		if !exists {
			return true, nil
		}
		cur, err := st.Staff(id)
		if err != nil || cur.Disabled {
			return false, err
		}
		if err := st.SetDisabled(id, true); err != nil {
			return false, err
		}
		return false, a.audit("staff_disable", it.ID, cur.Name+"; "+byBackoffice)
	}
	s := it.Value.(master.Staff)
	role := app.Role(s.Role)
	storeID := a.storeID
	if role == app.RoleAdmin {
		storeID = 0
	}
	if !exists {
		id, err := st.Insert(staff.Record{StoreID: storeID, Code: it.ID, Name: s.Name, Role: role, PINHash: s.PINHash, MustChangePIN: true})
		if err != nil {
			return false, err
		}
		// A person starts from their role's defaults, as at set-up; their
		// permissions item, when the back office sends one, is their set.
		if _, err := a.tx.ExecContext(a.ctx, `INSERT OR IGNORE INTO staff_permission(staff_id, permission_code, granted_at)
			SELECT ?, permission_code, ? FROM role_permission WHERE role_code=?`, id, a.now.UnixMilli(), string(role)); err != nil {
			return false, err
		}
		if _, err := a.tx.ExecContext(a.ctx, `UPDATE staff SET master_pin_hash=?, disabled=? WHERE id=?`, s.PINHash, boolInt(s.Disabled), id); err != nil {
			return false, err
		}
		return false, a.audit("staff_add", it.ID, fmt.Sprintf("name=%s role=%s store=%d disabled=%t; %s", s.Name, role, storeID, s.Disabled, byBackoffice))
	}
	cur, err := st.Staff(id)
	if err != nil {
		return false, err
	}
	if cur.Name != s.Name || cur.Role != role || cur.StoreID != storeID {
		if err := st.Update(id, s.Name, role, storeID); err != nil {
			return false, err
		}
		action, detail := "staff_edit", fmt.Sprintf("name=%s was=%s store=%d->%d", s.Name, cur.Name, cur.StoreID, storeID)
		if cur.Role != role {
			action, detail = "role_change", fmt.Sprintf("%s->%s name=%s store=%d->%d", cur.Role, role, s.Name, cur.StoreID, storeID)
		}
		if err := a.audit(action, it.ID, detail+"; "+byBackoffice); err != nil {
			return false, err
		}
	}
	if cur.Disabled != s.Disabled {
		if err := st.SetDisabled(id, s.Disabled); err != nil {
			return false, err
		}
		action := "staff_enable"
		if s.Disabled {
			action = "staff_disable"
		}
		if err := a.audit(action, it.ID, s.Name+"; "+byBackoffice); err != nil {
			return false, err
		}
	}
	if s.PINHash != "" && s.PINHash != sentHash {
		if err := st.SetPIN(id, s.PINHash, true); err != nil {
			return false, err
		}
		if _, err := a.tx.ExecContext(a.ctx, `UPDATE staff SET master_pin_hash=? WHERE id=?`, s.PINHash, id); err != nil {
			return false, err
		}
		if err := a.audit("pin_reset", it.ID, s.Name+"; "+byBackoffice); err != nil {
			return false, err
		}
	}
	return false, nil
}

// permissions makes a person's permissions the set given (none when the
// item is deleted); permission codes this version does not know are left
// as they are. A person this terminal does not hold is ignored.
func (a *masterTx) permissions(it master.Item) (bool, error) {
	st := staffTx{ctx: a.ctx, tx: a.tx}
	var id int64
	err := a.tx.QueryRowContext(a.ctx, `SELECT id FROM staff WHERE code=?`, it.ID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	cur, err := st.Staff(id)
	if err != nil {
		return false, err
	}
	want := map[string]bool{}
	if !it.Deleted {
		for _, g := range it.Value.(master.Permissions).Grants {
			want[g] = true
		}
	}
	for _, perm := range app.Permissions {
		switch {
		case want[perm] && !cur.Has(perm):
			if err := st.Grant(id, perm, 0); err != nil {
				return false, err
			}
			if err := a.audit("permission_grant", it.ID, perm+"; "+byBackoffice); err != nil {
				return false, err
			}
		case !want[perm] && cur.Has(perm):
			if err := st.Revoke(id, perm); err != nil {
				return false, err
			}
			if err := a.audit("permission_revoke", it.ID, perm+"; "+byBackoffice); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}
