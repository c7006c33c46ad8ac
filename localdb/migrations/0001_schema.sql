-- The whole schema, designed at once so later work extends it rather than
-- reshaping it. Amounts are INTEGER fen. Times are INTEGER unix milliseconds (UTC).

CREATE TABLE merchant (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,             -- sub-merchant number at the provider
  name TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',     -- service provider name
  created_at INTEGER NOT NULL
);

CREATE TABLE store (
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL REFERENCES merchant(id),
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  receipt_footer TEXT NOT NULL DEFAULT '',
  timezone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
  payment_mode TEXT NOT NULL DEFAULT 'default'
    CHECK (payment_mode IN ('default','total_nondiscount','consume_deposit')),
  created_at INTEGER NOT NULL
);

CREATE TABLE terminal (
  id INTEGER PRIMARY KEY,
  store_id INTEGER NOT NULL REFERENCES store(id),
  code TEXT NOT NULL UNIQUE,             -- device_info / device_id sent to channels
  name TEXT NOT NULL,
  cashier_mode TEXT NOT NULL DEFAULT 'sale_deposit'
    CHECK (cashier_mode IN ('sale','deposit','sale_deposit')),
  order_prefix TEXT NOT NULL DEFAULT '', -- cashier-id prefix for out_trade_no
  created_at INTEGER NOT NULL
);

CREATE TABLE role (
  code TEXT PRIMARY KEY,                 -- admin | manager | clerk
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL
);

CREATE TABLE permission (
  code TEXT PRIMARY KEY,                 -- refund, adjust_balance, settings, grant, ...
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL
);

CREATE TABLE role_permission (
  role_code TEXT NOT NULL REFERENCES role(code),
  permission_code TEXT NOT NULL REFERENCES permission(code),
  PRIMARY KEY (role_code, permission_code)
);

CREATE TABLE staff (
  id INTEGER PRIMARY KEY,
  store_id INTEGER REFERENCES store(id), -- NULL for merchant administrators
  code TEXT NOT NULL UNIQUE,             -- login / staff_id sent to channels
  name TEXT NOT NULL,
  role_code TEXT NOT NULL REFERENCES role(code),
  pin_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Per-person grants on top of the role (refund permission is per person).
CREATE TABLE staff_permission (
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  permission_code TEXT NOT NULL REFERENCES permission(code),
  granted_by INTEGER REFERENCES staff(id),
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (staff_id, permission_code)
);

CREATE TABLE product (
  id INTEGER PRIMARY KEY,
  store_id INTEGER NOT NULL REFERENCES store(id),
  barcode TEXT NOT NULL,
  name TEXT NOT NULL,
  price INTEGER NOT NULL CHECK (price >= 0),
  unit TEXT NOT NULL DEFAULT '件',
  category TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  updated_at INTEGER NOT NULL,
  UNIQUE (store_id, barcode)
);

CREATE TABLE shift (
  id INTEGER PRIMARY KEY,
  store_id INTEGER NOT NULL REFERENCES store(id),
  terminal_id INTEGER REFERENCES terminal(id), -- NULL: clocked on for the whole store
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  summary_json TEXT NOT NULL DEFAULT ''
);
CREATE INDEX shift_staff ON shift(staff_id, started_at);
-- at most one open shift per person
CREATE UNIQUE INDEX shift_one_open ON shift(staff_id) WHERE ended_at IS NULL;

CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  order_no TEXT NOT NULL UNIQUE,
  store_id INTEGER NOT NULL REFERENCES store(id),
  terminal_id INTEGER NOT NULL REFERENCES terminal(id),
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  shift_id INTEGER REFERENCES shift(id),
  kind TEXT NOT NULL CHECK (kind IN ('sale','deposit')),
  status TEXT NOT NULL CHECK (status IN ('open','paying','paid','closed','refunded','part_refunded')),
  total INTEGER NOT NULL CHECK (total >= 0),
  discount INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0),
  non_discountable INTEGER NOT NULL DEFAULT 0 CHECK (non_discountable >= 0),
  deposit_part INTEGER NOT NULL DEFAULT 0 CHECK (deposit_part >= 0),
  payable INTEGER NOT NULL CHECK (payable >= 0),
  paid INTEGER NOT NULL DEFAULT 0,
  refunded INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  paid_at INTEGER,
  CHECK (refunded <= paid)
);
-- Reports by store and time use this; reports by staff go through their
-- shifts' intervals on the same index. Every extra index is one more page
-- written per sale (see docs/PERFORMANCE.md).
CREATE INDEX orders_store_time ON orders(store_id, created_at);

CREATE TABLE order_line (
  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  line_no INTEGER NOT NULL,
  product_id INTEGER REFERENCES product(id),
  barcode TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  qty INTEGER NOT NULL CHECK (qty > 0),
  unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
  discount INTEGER NOT NULL DEFAULT 0,
  amount INTEGER NOT NULL,
  PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID; -- lines live clustered under their order: one B-tree, no separate key index

-- A payment intent is written before the first network byte and is moved
-- to a final state (paid, failed, reversed, closed) by the cashier loop or
-- by recovery at start-up.
CREATE TABLE payment_intent (
  id INTEGER PRIMARY KEY,
  out_trade_no TEXT NOT NULL UNIQUE,
  order_id INTEGER REFERENCES orders(id),
  kind TEXT NOT NULL CHECK (kind IN ('pay','deposit')),
  channel TEXT NOT NULL,
  wallet TEXT NOT NULL,
  auth_code_masked TEXT NOT NULL,        -- never the full code
  auth_code_hash TEXT NOT NULL DEFAULT '', -- sha256, to spot the same code scanned twice
  amount INTEGER NOT NULL CHECK (amount > 0),
  state TEXT NOT NULL CHECK (state IN ('created','sent','paying','unknown','reversing','paid','failed','reversed','closed','manual')),
  transaction_id TEXT NOT NULL DEFAULT '',
  channel_code TEXT NOT NULL DEFAULT '',
  channel_msg TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  staff_id INTEGER REFERENCES staff(id),
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX payment_intent_open ON payment_intent(state) WHERE state NOT IN ('paid','failed','reversed','closed','manual');
CREATE INDEX payment_intent_code ON payment_intent(auth_code_hash, created_at);

CREATE TABLE refund (
  id INTEGER PRIMARY KEY,
  out_refund_no TEXT NOT NULL UNIQUE,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  intent_id INTEGER NOT NULL REFERENCES payment_intent(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  reason TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('created','sent','processing','unknown','refunded','failed')),
  refund_id TEXT NOT NULL DEFAULT '',
  channel_code TEXT NOT NULL DEFAULT '',
  channel_msg TEXT NOT NULL DEFAULT '',
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  approved_by INTEGER REFERENCES staff(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX refund_order ON refund(order_id);

CREATE TABLE deposit (
  id INTEGER PRIMARY KEY,
  deposit_no TEXT NOT NULL UNIQUE,       -- printed as a barcode on the receipt
  order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
  intent_id INTEGER NOT NULL REFERENCES payment_intent(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  consumed INTEGER NOT NULL DEFAULT 0,
  released INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('frozen','consumed','released','expired')),
  guest_name TEXT NOT NULL DEFAULT '',
  room TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  settled_at INTEGER,
  CHECK (consumed + released <= amount)
);

CREATE TABLE deposit_operation (
  id INTEGER PRIMARY KEY,
  deposit_id INTEGER NOT NULL REFERENCES deposit(id),
  kind TEXT NOT NULL CHECK (kind IN ('consume','release','reverse','refund')),
  out_request_no TEXT NOT NULL UNIQUE,
  amount INTEGER NOT NULL CHECK (amount >= 0),
  state TEXT NOT NULL CHECK (state IN ('created','sent','unknown','done','failed')),
  channel_code TEXT NOT NULL DEFAULT '',
  channel_msg TEXT NOT NULL DEFAULT '',
  staff_id INTEGER REFERENCES staff(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE print_jobs (
  id INTEGER PRIMARY KEY,
  printer TEXT NOT NULL,
  kind TEXT NOT NULL,
  ref TEXT NOT NULL DEFAULT '',
  payload BLOB NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','printing','printed','failed','cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  reprint_of INTEGER REFERENCES print_jobs(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  printed_at INTEGER
);
CREATE INDEX print_jobs_queue ON print_jobs(printer, state, id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  staff_id INTEGER REFERENCES staff(id),
  action TEXT NOT NULL,                  -- login, login_failed, refund, grant, settings ...
  subject TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''        -- never secrets
);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE setting (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Outbox for the back office: one row per thing to push, pushed idempotently by key.
CREATE TABLE sync_outbox (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,                   -- order, refund, shift, audit ...
  key TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  UNIQUE (topic, key)
);
CREATE INDEX sync_outbox_pending ON sync_outbox(id) WHERE sent_at IS NULL;

INSERT INTO role(code, name_zh, name_en) VALUES
  ('admin','商户管理员','Merchant administrator'),
  ('manager','店长','Store manager'),
  ('clerk','店员','Clerk');

INSERT INTO permission(code, name_zh, name_en) VALUES
  ('refund','退款','Refund'),
  ('deposit','押金操作','Deposits'),
  ('settings','系统设置','Settings'),
  ('grant','授予权限','Grant permissions'),
  ('adjust_balance','调整会员余额','Adjust member balance'),
  ('view_store_orders','查看门店交易','View store transactions'),
  ('shift_handover','交接班','Shift handover');

INSERT INTO role_permission(role_code, permission_code) VALUES
  ('admin','refund'),('admin','deposit'),('admin','settings'),('admin','grant'),
  ('admin','adjust_balance'),('admin','view_store_orders'),('admin','shift_handover'),
  ('manager','refund'),('manager','deposit'),('manager','settings'),
  ('manager','view_store_orders'),('manager','shift_handover'),
  ('clerk','deposit'),('clerk','shift_handover');
