-- Held orders (挂单/取单, issue 11): a cart parked before any payment, kept
-- until it is resumed or dropped, so it survives a restart and shows in
-- the shift handover. No order number and no tender: the order is written
-- only when the resumed cart is paid. Resuming deletes the rows in the
-- transaction that reads them, so one held order is resumed once.

CREATE TABLE held_order (
  id INTEGER PRIMARY KEY,
  store_id INTEGER NOT NULL REFERENCES store(id),
  terminal_id INTEGER NOT NULL REFERENCES terminal(id),
  staff_id INTEGER NOT NULL REFERENCES staff(id),   -- who held it
  shift_id INTEGER REFERENCES shift(id),            -- their open shift then, if any
  label TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 20),
  order_discount INTEGER NOT NULL DEFAULT 0 CHECK (order_discount >= 0),
  deposit_part INTEGER NOT NULL DEFAULT 0 CHECK (deposit_part >= 0),
  payment_mode TEXT NOT NULL DEFAULT 'default'
    CHECK (payment_mode IN ('default','total_nondiscount','consume_deposit')),
  total INTEGER NOT NULL CHECK (total >= 0),        -- what the customer would pay, when held
  line_count INTEGER NOT NULL CHECK (line_count BETWEEN 1 AND 200),
  created_at INTEGER NOT NULL
);
-- A terminal's held orders, oldest first: the list and the handover's
-- count, total and oldest read this index alone.
CREATE INDEX held_order_terminal ON held_order(store_id, terminal_id, created_at, total);

CREATE TABLE held_order_line (
  held_id INTEGER NOT NULL REFERENCES held_order(id) ON DELETE CASCADE,
  line_no INTEGER NOT NULL,
  product_id INTEGER REFERENCES product(id),
  barcode TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  qty INTEGER NOT NULL CHECK (qty > 0),
  unit_price INTEGER NOT NULL CHECK (unit_price >= 0), -- per piece, or per unit of a weighed line
  line_discount INTEGER NOT NULL DEFAULT 0 CHECK (line_discount >= 0),
  non_discountable INTEGER NOT NULL DEFAULT 0,
  grams INTEGER NOT NULL DEFAULT 0 CHECK (grams >= 0), -- > 0: weighed
  unit TEXT NOT NULL DEFAULT '',
  from_label INTEGER NOT NULL DEFAULT 0,               -- from a scale label
  PRIMARY KEY (held_id, line_no)
) WITHOUT ROWID;

-- The lowest price a discount may bring a line or an order to, as a
-- percent of its list price (80: at most 20 % off); 0 sets no floor.
ALTER TABLE store ADD COLUMN discount_floor_pct INTEGER NOT NULL DEFAULT 0
  CHECK (discount_floor_pct BETWEEN 0 AND 100);
