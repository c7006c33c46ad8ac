-- The takings journal (the summary engine's one source), the handover's
-- columns on shifts, and the shift of refunds and deposit operations.

-- One row per settled money movement, written in the transaction that
-- settles it and never changed: a sale tender paid, an order's discount
-- (its share per method, when the order is paid), money given back (a
-- refund done, cash handed back at a void), a deposit frozen, consumed or
-- released. Amounts are positive; kind says which way the money went.
-- business_day is the store's local date (yyyymmdd) of the shift the row
-- belongs to, or of the movement when it is on no shift: a shift that
-- crosses midnight belongs to the day it started.
CREATE TABLE takings (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('sale','discount','refund','deposit_hold','deposit_consume','deposit_release')),
  ref TEXT NOT NULL,                     -- what it records: tender:ID, refund:ID, return:ID, order:ID:method, op:ID[:rest]
  store_id INTEGER NOT NULL REFERENCES store(id),
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  shift_id INTEGER REFERENCES shift(id),
  order_id INTEGER REFERENCES orders(id),
  method TEXT NOT NULL CHECK (method IN ('wechat','alipay','unionpay','member','cash')),
  amount INTEGER NOT NULL CHECK (amount >= 0),
  discount INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0),
  at INTEGER NOT NULL,
  business_day INTEGER NOT NULL,
  UNIQUE (kind, ref)
);
-- Covering indexes: a summary reads index entries only (docs/PERFORMANCE.md).
CREATE INDEX takings_store_at ON takings(store_id, at, kind, method, amount, discount);
CREATE INDEX takings_store_day ON takings(store_id, business_day, kind, method, amount, discount, staff_id);
CREATE INDEX takings_staff_at ON takings(staff_id, at, store_id, kind, method, amount, discount);
CREATE INDEX takings_shift ON takings(shift_id, kind, method, amount, discount, store_id, staff_id) WHERE shift_id IS NOT NULL;
-- Open orders by person: what a handover hands over (and, later, the
-- counter's held orders). An order leaves the index when it is paid or
-- closed, so it stays small whatever the history.
CREATE INDEX orders_open ON orders(store_id, staff_id, created_at) WHERE status IN ('open','paying');
-- Deposits held at a moment: those frozen now, and those settled after it.
CREATE INDEX deposit_frozen ON deposit(created_at) WHERE state = 'frozen';
CREATE INDEX deposit_settled ON deposit(settled_at);

-- A tender's share of its order's discount, set when the order is paid;
-- a refund of the tender carries back the same share of what it returns.
ALTER TABLE tender ADD COLUMN discount INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0);

-- Refunds and deposit operations belong to the shift of the person who
-- did them, at their time.
ALTER TABLE refund ADD COLUMN shift_id INTEGER REFERENCES shift(id);
ALTER TABLE deposit_operation ADD COLUMN shift_id INTEGER REFERENCES shift(id);

-- The handover (summary_json keeps the whole handover and its figures).
ALTER TABLE shift ADD COLUMN opening_float INTEGER NOT NULL DEFAULT 0 CHECK (opening_float >= 0);
ALTER TABLE shift ADD COLUMN expected INTEGER;
ALTER TABLE shift ADD COLUMN counted INTEGER;
ALTER TABLE shift ADD COLUMN variance INTEGER;
ALTER TABLE shift ADD COLUMN float_left INTEGER CHECK (float_left >= 0);
ALTER TABLE shift ADD COLUMN countersigned_by INTEGER REFERENCES staff(id);
CREATE INDEX shift_store ON shift(store_id, started_at);

-- Backfill from what was settled before the journal existed. Stores then
-- were all on China time (no daylight saving), so a business day is the
-- UTC+8 date unless the store says UTC.
CREATE TEMP TABLE store_offset AS
  SELECT id, CASE timezone WHEN 'UTC' THEN '+0 hours' ELSE '+8 hours' END AS off FROM store;

INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, at, business_day)
SELECT CASE o.kind WHEN 'deposit' THEN 'deposit_hold' ELSE 'sale' END, 'tender:' || t.id,
       o.store_id, t.staff_id, t.shift_id, o.id,
       CASE WHEN t.kind = 'cash' THEN 'cash' WHEN t.kind = 'member' OR t.wallet = 'member' THEN 'member'
            WHEN t.wallet IN ('alipay','unionpay') THEN t.wallet ELSE 'wechat' END,
       t.amount, CASE t.state WHEN 'paid' THEN COALESCE(t.settled_at, t.created_at) ELSE t.created_at END,
       CAST(strftime('%Y%m%d', CASE t.state WHEN 'paid' THEN COALESCE(t.settled_at, t.created_at) ELSE t.created_at END / 1000,
            'unixepoch', so.off) AS INTEGER)
FROM tender t JOIN orders o ON o.id = t.order_id JOIN store_offset so ON so.id = o.store_id
WHERE t.state IN ('paid','returned');

-- Cash handed back at a void.
INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, at, business_day)
SELECT 'refund', 'return:' || t.id, o.store_id, t.staff_id, t.shift_id, o.id, 'cash', t.amount,
       COALESCE(t.settled_at, t.created_at),
       CAST(strftime('%Y%m%d', COALESCE(t.settled_at, t.created_at) / 1000, 'unixepoch', so.off) AS INTEGER)
FROM tender t JOIN orders o ON o.id = t.order_id JOIN store_offset so ON so.id = o.store_id
WHERE t.state = 'returned' AND t.kind = 'cash';

-- Discounts of paid orders, on their first paid tender's method.
UPDATE tender SET discount = (SELECT o.discount FROM orders o WHERE o.id = tender.order_id)
WHERE id IN (SELECT min(t.id) FROM tender t JOIN orders o ON o.id = t.order_id
             WHERE t.state IN ('paid','returned') AND o.status IN ('paid','part_refunded','refunded') AND o.discount > 0
             GROUP BY t.order_id);
INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, discount, amount, at, business_day)
SELECT 'discount', 'order:' || o.id || ':' || k.method, o.store_id, o.staff_id, o.shift_id, o.id, k.method, t.discount, 0,
       COALESCE(o.paid_at, o.created_at),
       CAST(strftime('%Y%m%d', COALESCE(o.paid_at, o.created_at) / 1000, 'unixepoch', so.off) AS INTEGER)
FROM tender t JOIN orders o ON o.id = t.order_id JOIN store_offset so ON so.id = o.store_id
JOIN takings k ON k.ref = 'tender:' || t.id AND k.kind = 'sale'
WHERE t.discount > 0;

-- Refunds done.
INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, at, business_day)
SELECT 'refund', 'refund:' || r.id, o.store_id, r.staff_id, NULL, o.id,
       CASE WHEN i.wallet IN ('alipay','unionpay','member') THEN i.wallet ELSE 'wechat' END,
       r.amount, COALESCE(r.finished_at, r.updated_at),
       CAST(strftime('%Y%m%d', COALESCE(r.finished_at, r.updated_at) / 1000, 'unixepoch', so.off) AS INTEGER)
FROM refund r JOIN orders o ON o.id = r.order_id JOIN payment_intent i ON i.id = r.intent_id
JOIN store_offset so ON so.id = o.store_id
WHERE r.state = 'refunded';

-- Deposit operations done: a consume charges its amount and gives the
-- rest back; a release gives back what was left.
INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, at, business_day)
SELECT CASE op.kind WHEN 'consume' THEN 'deposit_consume' ELSE 'deposit_release' END, 'op:' || op.id,
       o.store_id, COALESCE(op.staff_id, o.staff_id), NULL, o.id,
       CASE WHEN i.wallet IN ('alipay','unionpay','member') THEN i.wallet ELSE 'wechat' END,
       CASE op.kind WHEN 'consume' THEN op.amount ELSE d.released END, op.updated_at,
       CAST(strftime('%Y%m%d', op.updated_at / 1000, 'unixepoch', so.off) AS INTEGER)
FROM deposit_operation op JOIN deposit d ON d.id = op.deposit_id JOIN orders o ON o.id = d.order_id
JOIN payment_intent i ON i.id = d.intent_id JOIN store_offset so ON so.id = o.store_id
WHERE op.state = 'done' AND op.kind IN ('consume','release');
INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, at, business_day)
SELECT 'deposit_release', 'op:' || op.id || ':rest', o.store_id, COALESCE(op.staff_id, o.staff_id), NULL, o.id,
       CASE WHEN i.wallet IN ('alipay','unionpay','member') THEN i.wallet ELSE 'wechat' END,
       d.released, op.updated_at,
       CAST(strftime('%Y%m%d', op.updated_at / 1000, 'unixepoch', so.off) AS INTEGER)
FROM deposit_operation op JOIN deposit d ON d.id = op.deposit_id JOIN orders o ON o.id = d.order_id
JOIN payment_intent i ON i.id = d.intent_id JOIN store_offset so ON so.id = o.store_id
WHERE op.state = 'done' AND op.kind = 'consume' AND d.released > 0;

DROP TABLE store_offset;
