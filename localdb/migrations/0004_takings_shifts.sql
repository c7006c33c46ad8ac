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
  ref TEXT NOT NULL,                     -- what it records: tender:ID (a sale, a deposit frozen, a tender's discount share), refund:ID, return:ID, op:ID[:rest]
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

-- Backfill from what was settled before the journal existed, by the live
-- rules (localdb/takings.go): each movement goes on the shift its person
-- had open in the store at its time, and to the business day that shift
-- started on, else to its own. Stores then were all on China time (no
-- daylight saving), so a business day is the UTC+8 date unless the store
-- says UTC.
CREATE TEMP TABLE store_offset AS
  SELECT id, CASE timezone WHEN 'UTC' THEN '+0 hours' ELSE '+8 hours' END AS off FROM store;
CREATE TEMP TABLE moves (
  kind TEXT NOT NULL, ref TEXT NOT NULL, store_id INTEGER NOT NULL, staff_id INTEGER NOT NULL,
  order_id INTEGER, method TEXT NOT NULL, amount INTEGER NOT NULL, discount INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL
);

INSERT INTO moves(kind, ref, store_id, staff_id, order_id, method, amount, at)
SELECT CASE o.kind WHEN 'deposit' THEN 'deposit_hold' ELSE 'sale' END, 'tender:' || t.id,
       o.store_id, t.staff_id, o.id,
       CASE WHEN t.kind = 'cash' THEN 'cash' WHEN t.kind = 'member' OR t.wallet = 'member' THEN 'member'
            WHEN t.wallet IN ('alipay','unionpay') THEN t.wallet ELSE 'wechat' END,
       t.amount, CASE t.state WHEN 'paid' THEN COALESCE(t.settled_at, t.created_at) ELSE t.created_at END
FROM tender t JOIN orders o ON o.id = t.order_id
WHERE t.state IN ('paid','returned');

-- Cash handed back at a void (who voided it is not kept: the person who
-- took it).
INSERT INTO moves(kind, ref, store_id, staff_id, order_id, method, amount, at)
SELECT 'refund', 'return:' || t.id, o.store_id, t.staff_id, o.id, 'cash', t.amount, COALESCE(t.settled_at, t.created_at)
FROM tender t JOIN orders o ON o.id = t.order_id
WHERE t.state = 'returned' AND t.kind = 'cash';

-- Discounts of paid orders, on their first paid tender (its method, its
-- person).
UPDATE tender SET discount = (SELECT o.discount FROM orders o WHERE o.id = tender.order_id)
WHERE id IN (SELECT min(t.id) FROM tender t JOIN orders o ON o.id = t.order_id
             WHERE t.state IN ('paid','returned') AND o.status IN ('paid','part_refunded','refunded') AND o.discount > 0
             GROUP BY t.order_id);
INSERT INTO moves(kind, ref, store_id, staff_id, order_id, method, amount, discount, at)
SELECT 'discount', 'tender:' || t.id, o.store_id, t.staff_id, o.id,
       CASE WHEN t.kind = 'cash' THEN 'cash' WHEN t.kind = 'member' OR t.wallet = 'member' THEN 'member'
            WHEN t.wallet IN ('alipay','unionpay') THEN t.wallet ELSE 'wechat' END,
       0, t.discount, COALESCE(o.paid_at, o.created_at)
FROM tender t JOIN orders o ON o.id = t.order_id
WHERE t.discount > 0 AND o.kind = 'sale';

-- Refunds done, each carrying back its share of its tender's discount:
-- the share of everything refunded up to it, less the share of what was
-- refunded before it.
INSERT INTO moves(kind, ref, store_id, staff_id, order_id, method, amount, discount, at)
SELECT 'refund', 'refund:' || x.id, x.store_id, x.staff_id, x.order_id, x.method, x.amount,
       CASE WHEN x.tamount > 0 AND x.tdiscount > 0
            THEN min(x.prior + x.amount, x.tamount) * x.tdiscount / x.tamount - min(x.prior, x.tamount) * x.tdiscount / x.tamount
            ELSE 0 END,
       x.at
FROM (SELECT r.id, o.store_id, r.staff_id, o.id AS order_id,
             CASE WHEN i.wallet IN ('alipay','unionpay','member') THEN i.wallet ELSE 'wechat' END AS method,
             r.amount, COALESCE(r.finished_at, r.updated_at) AS at,
             COALESCE(t.amount, 0) AS tamount, COALESCE(t.discount, 0) AS tdiscount,
             (SELECT COALESCE(sum(p.amount), 0) FROM refund p
              WHERE p.intent_id = r.intent_id AND p.state = 'refunded' AND p.id < r.id) AS prior
      FROM refund r JOIN orders o ON o.id = r.order_id JOIN payment_intent i ON i.id = r.intent_id
      LEFT JOIN tender t ON t.id = i.tender_id
      WHERE r.state = 'refunded') x;

-- Deposit operations done: a consume charges its amount and gives the
-- rest back; a release gives back what was left.
INSERT INTO moves(kind, ref, store_id, staff_id, order_id, method, amount, at)
SELECT CASE op.kind WHEN 'consume' THEN 'deposit_consume' ELSE 'deposit_release' END, 'op:' || op.id,
       o.store_id, COALESCE(op.staff_id, o.staff_id), o.id,
       CASE WHEN i.wallet IN ('alipay','unionpay','member') THEN i.wallet ELSE 'wechat' END,
       CASE op.kind WHEN 'consume' THEN op.amount ELSE d.released END, op.updated_at
FROM deposit_operation op JOIN deposit d ON d.id = op.deposit_id JOIN orders o ON o.id = d.order_id
JOIN payment_intent i ON i.id = d.intent_id
WHERE op.state = 'done' AND op.kind IN ('consume','release');
INSERT INTO moves(kind, ref, store_id, staff_id, order_id, method, amount, at)
SELECT 'deposit_release', 'op:' || op.id || ':rest', o.store_id, COALESCE(op.staff_id, o.staff_id), o.id,
       CASE WHEN i.wallet IN ('alipay','unionpay','member') THEN i.wallet ELSE 'wechat' END,
       d.released, op.updated_at
FROM deposit_operation op JOIN deposit d ON d.id = op.deposit_id JOIN orders o ON o.id = d.order_id
JOIN payment_intent i ON i.id = d.intent_id
WHERE op.state = 'done' AND op.kind = 'consume' AND d.released > 0;

-- Each on its person's shift at its time, on that shift's day. A
-- person's shifts do not overlap, so only the last one they started by
-- then can hold it (one step down shift_staff, never a walk of their
-- history).
INSERT INTO takings(kind, ref, store_id, staff_id, shift_id, order_id, method, amount, discount, at, business_day)
SELECT m.kind, m.ref, m.store_id, m.staff_id, sh.id, m.order_id, m.method, m.amount, m.discount, m.at,
       CAST(strftime('%Y%m%d', COALESCE(sh.started_at, m.at) / 1000, 'unixepoch', so.off) AS INTEGER)
FROM moves m JOIN store_offset so ON so.id = m.store_id
LEFT JOIN shift sh ON sh.id = (SELECT s.id FROM shift s WHERE s.staff_id = m.staff_id AND s.started_at <= m.at
                               ORDER BY s.started_at DESC LIMIT 1)
                  AND (sh.ended_at IS NULL OR sh.ended_at > m.at) AND sh.store_id = m.store_id;

DROP TABLE moves;
DROP TABLE store_offset;
