-- Master data pulled from the back office (issue 14, docs/sync.md "Master
-- data"): the cursor each topic has reached, the items this terminal
-- refused, and its copy of the back office's catalogue rows for its store,
-- from which the catalogue is written.

-- The cursor of the last page applied, per topic; written in the page's
-- transaction, so a page is applied once or asked for again.
CREATE TABLE sync_cursor (
  topic TEXT PRIMARY KEY,
  cursor INTEGER NOT NULL CHECK (cursor >= 0),
  updated_at INTEGER NOT NULL
);

-- Items refused: a bad item (kind 'item': its payload did not pass the
-- checks) or one the catalogue could not take (kind 'apply': a code held
-- by another product, too many codes). The rest of the page is applied
-- and the cursor moves on; a later version of the item that applies
-- removes its row.
CREATE TABLE sync_quarantine (
  topic TEXT NOT NULL,
  item_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('item','apply')),
  cursor INTEGER NOT NULL,
  payload TEXT NOT NULL,               -- as received, at most 4 KiB of it
  reason TEXT NOT NULL,                -- the error's code and parameters
  at INTEGER NOT NULL,
  PRIMARY KEY (topic, item_id, kind)
);

-- The back office's products (chain-wide, by SKU) and which local product
-- each became. A product reaches the catalogue once it has a code and a
-- price; until then product_id is NULL. A deleted one keeps its row while
-- its local product (deactivated: orders name it) exists.
CREATE TABLE master_product (
  sku TEXT PRIMARY KEY,
  product_id INTEGER REFERENCES product(id),
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  category TEXT NOT NULL,
  tax_rate INTEGER NOT NULL,
  non_discountable INTEGER NOT NULL,
  active INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE UNIQUE INDEX master_product_local ON master_product(product_id) WHERE product_id IS NOT NULL;

-- The back office's codes: one SKU per code.
CREATE TABLE master_barcode (
  code TEXT PRIMARY KEY,
  sku TEXT NOT NULL,
  position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX master_barcode_sku ON master_barcode(sku, position, code);

-- Prices for every store ('*') and for this terminal's store; another
-- store's are never kept.
CREATE TABLE master_price (
  sku TEXT NOT NULL,
  scope TEXT NOT NULL,
  price INTEGER NOT NULL CHECK (price > 0),
  PRIMARY KEY (sku, scope)
) WITHOUT ROWID;

-- Settings for every store ('*') and for this store, the store's winning.
CREATE TABLE master_setting (
  key TEXT NOT NULL,
  scope TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (key, scope)
) WITHOUT ROWID;

-- The bcrypt hash the back office last sent for a person: sent again
-- unchanged it leaves alone a PIN the person has changed since.
ALTER TABLE staff ADD COLUMN master_pin_hash TEXT NOT NULL DEFAULT '';
