-- Orders before tenders, compare-and-set writes, and the states the money
-- fixes need. Runs in one transaction with its version row.

-- A tender is one way part (or all) of an order is paid: a wallet payment
-- (its payment intent), cash, or later the member balance. The order is
-- paid when its paid tenders cover the payable amount.
CREATE TABLE tender (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  kind TEXT NOT NULL CHECK (kind IN ('wallet','cash','member')),
  wallet TEXT NOT NULL DEFAULT '',
  amount INTEGER NOT NULL CHECK (amount > 0),
  state TEXT NOT NULL CHECK (state IN ('pending','paid','failed','returned')),
  cash_received INTEGER NOT NULL DEFAULT 0 CHECK (cash_received >= 0),
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  shift_id INTEGER REFERENCES shift(id),
  created_at INTEGER NOT NULL,
  settled_at INTEGER
);
CREATE INDEX tender_order ON tender(order_id);

ALTER TABLE payment_intent ADD COLUMN tender_id INTEGER REFERENCES tender(id);
ALTER TABLE payment_intent ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- The channel said the number is someone else's (Cloud Pay 407).
ALTER TABLE payment_intent ADD COLUMN foreign_no INTEGER NOT NULL DEFAULT 0;

-- Every payment written before tenders existed becomes its order's one
-- wallet tender, under the payment's own id (each old order had one
-- payment, so the link is exact). A payment still open or with a person
-- has no settled time yet.
INSERT INTO tender(id, order_id, kind, wallet, amount, state, staff_id, shift_id, created_at, settled_at)
SELECT i.id, i.order_id, 'wallet', i.wallet, i.amount,
       CASE WHEN i.state = 'paid' THEN 'paid'
            WHEN i.state IN ('failed','reversed','closed') THEN 'failed'
            ELSE 'pending' END,
       o.staff_id, o.shift_id, i.created_at,
       CASE WHEN i.state IN ('paid','failed','reversed','closed') THEN i.finished_at END
FROM payment_intent i JOIN orders o ON o.id = i.order_id;
UPDATE payment_intent SET tender_id = id WHERE order_id IS NOT NULL;
CREATE INDEX payment_intent_tender ON payment_intent(tender_id);
-- Recovery lists every payment not settled, manual ones included: the
-- index's condition must be the query's for SQLite to use it.
DROP INDEX payment_intent_open;
CREATE INDEX payment_intent_open ON payment_intent(state) WHERE state NOT IN ('paid','failed','reversed','closed');
-- An order whose only payment failed was closed; under the tender rules a
-- failed tender leaves it open. Old ones stay closed: they were given up.

-- Refunds gain 'refused' (a re-send refused for good; the query decides)
-- and 'manual' (the channel's answer disagrees; a person checks), and a
-- version. SQLite cannot change a CHECK, so the table is rebuilt; nothing
-- references refund rows.
CREATE TABLE refund_new (
  id INTEGER PRIMARY KEY,
  out_refund_no TEXT NOT NULL UNIQUE,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  intent_id INTEGER NOT NULL REFERENCES payment_intent(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  reason TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('created','sent','processing','unknown','refused','refunded','failed','manual')),
  refund_id TEXT NOT NULL DEFAULT '',
  channel_code TEXT NOT NULL DEFAULT '',
  channel_msg TEXT NOT NULL DEFAULT '',
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  approved_by INTEGER REFERENCES staff(id),
  version INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
INSERT INTO refund_new(id, out_refund_no, order_id, intent_id, amount, reason, state, refund_id, channel_code,
  channel_msg, staff_id, approved_by, created_at, updated_at, finished_at)
SELECT id, out_refund_no, order_id, intent_id, amount, reason, state, refund_id, channel_code,
  channel_msg, staff_id, approved_by, created_at, updated_at, finished_at FROM refund;
DROP TABLE refund;
ALTER TABLE refund_new RENAME TO refund;
CREATE INDEX refund_order ON refund(order_id);
CREATE INDEX refund_intent ON refund(intent_id);
CREATE INDEX refund_open ON refund(state) WHERE state IN ('created','sent','processing','unknown','refused');

CREATE TABLE deposit_operation_new (
  id INTEGER PRIMARY KEY,
  deposit_id INTEGER NOT NULL REFERENCES deposit(id),
  kind TEXT NOT NULL CHECK (kind IN ('consume','release','reverse','refund')),
  out_request_no TEXT NOT NULL UNIQUE,
  amount INTEGER NOT NULL CHECK (amount >= 0),
  state TEXT NOT NULL CHECK (state IN ('created','sent','unknown','refused','done','failed','manual')),
  channel_code TEXT NOT NULL DEFAULT '',
  channel_msg TEXT NOT NULL DEFAULT '',
  staff_id INTEGER REFERENCES staff(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  transaction_id TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 0
);
INSERT INTO deposit_operation_new(id, deposit_id, kind, out_request_no, amount, state, channel_code, channel_msg,
  staff_id, created_at, updated_at, transaction_id)
SELECT id, deposit_id, kind, out_request_no, amount, state, channel_code, channel_msg,
  staff_id, created_at, updated_at, transaction_id FROM deposit_operation;
DROP TABLE deposit_operation;
ALTER TABLE deposit_operation_new RENAME TO deposit_operation;
CREATE INDEX deposit_operation_deposit ON deposit_operation(deposit_id);

-- Opening a smart-cabinet door by hand is a permission of its own.
INSERT INTO permission(code, name_zh, name_en) VALUES ('cabinet_door','智能柜开门','Open cabinet doors');
INSERT INTO role_permission(role_code, permission_code) VALUES ('admin','cabinet_door'),('manager','cabinet_door');
