-- The product catalogue (issue 10): several codes per product, tax rate,
-- non-discountable flag, optional stock, the scale-label layout per store,
-- the product_manage permission and the search index.

ALTER TABLE product ADD COLUMN tax_rate INTEGER NOT NULL DEFAULT 0
  CHECK (tax_rate BETWEEN 0 AND 10000);          -- basis points: 1300 is 13%
ALTER TABLE product ADD COLUMN non_discountable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE product ADD COLUMN stock INTEGER;     -- NULL: the store does not count it
-- product.barcode stays the first code (the one a shelf label prints);
-- product_barcode holds every code, one product per code in a store.

CREATE TABLE product_barcode (
  store_id INTEGER NOT NULL REFERENCES store(id),
  code TEXT NOT NULL,
  product_id INTEGER NOT NULL REFERENCES product(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,                      -- 0 is product.barcode
  PRIMARY KEY (store_id, code)
) WITHOUT ROWID;
CREATE INDEX product_barcode_product ON product_barcode(product_id, position);
INSERT INTO product_barcode(store_id, code, product_id, position)
  SELECT store_id, barcode, id, 0 FROM product;

-- The Products workspace lists by name, whole or one category.
CREATE INDEX product_store_name ON product(store_id, name);
CREATE INDEX product_store_category ON product(store_id, category, name);

-- Search terms (app/catalog.IndexTerms), rowid = product.id. Contentless:
-- the terms are computed in Go (pinyin), written in the transaction that
-- writes the product, and never read back, only matched. Prefix indexes
-- of 2 and 3 characters answer the first keystrokes from one doclist
-- each; a one-character query only looks for names that start with it
-- (2 characters with the start mark), so no 1-character index is kept:
-- each index length costs an import a quarter more index writes.
CREATE VIRTUAL TABLE product_search USING fts5(
  terms, content='', contentless_delete=1, detail=none,
  tokenize='ascii', prefix='2 3');

-- What a store's label scales print in an EAN-13 that starts with 2:
-- app/catalog's layouts, or 'none' when the store has no label scale.
ALTER TABLE store ADD COLUMN scale_layout TEXT NOT NULL DEFAULT 'price13';

INSERT INTO permission(code, name_zh, name_en) VALUES
  ('product_manage','商品管理','Product management');
INSERT OR IGNORE INTO role_permission(role_code, permission_code) VALUES
  ('admin','product_manage'),('manager','product_manage');
INSERT OR IGNORE INTO staff_permission(staff_id, permission_code, granted_at)
  SELECT id, 'product_manage', CAST(strftime('%s','now') AS INTEGER) * 1000
  FROM staff WHERE role_code IN ('admin','manager');
