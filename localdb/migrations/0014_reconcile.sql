-- Reconciliation against the channels' bills (issue 13, app/reconcile,
-- docs/reconciliation.md): one run per bill day and channel, kept with its
-- totals, and the lines a person must see or that must be remembered.

-- A run: the bill day (yyyymmdd, China time, as the channels cut their
-- bills), the channel, where it stands, both sides' totals (fen) and the
-- last attempt. A failed attempt on a day with a result keeps the result
-- and notes the failure (error_code, error_args) beside it.
CREATE TABLE reconcile_run (
  id INTEGER PRIMARY KEY,
  day INTEGER NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('not_ready','failed','open','done','empty')),
  bill_count INTEGER NOT NULL DEFAULT 0,
  bill_amount INTEGER NOT NULL DEFAULT 0,
  bill_refund_count INTEGER NOT NULL DEFAULT 0,
  bill_refund_amount INTEGER NOT NULL DEFAULT 0,
  bill_fee INTEGER NOT NULL DEFAULT 0,
  other_count INTEGER NOT NULL DEFAULT 0,       -- other terminals' rows in the bill
  other_amount INTEGER NOT NULL DEFAULT 0,
  other_refund_count INTEGER NOT NULL DEFAULT 0,
  other_refund_amount INTEGER NOT NULL DEFAULT 0,
  other_fee INTEGER NOT NULL DEFAULT 0,
  local_count INTEGER NOT NULL DEFAULT 0,
  local_amount INTEGER NOT NULL DEFAULT 0,
  local_refund_count INTEGER NOT NULL DEFAULT 0,
  local_refund_amount INTEGER NOT NULL DEFAULT 0,
  matched INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,        -- bill rows that were copies of another
  open INTEGER NOT NULL DEFAULT 0,              -- lines no one resolved yet
  error_code TEXT NOT NULL DEFAULT '',          -- why the last attempt failed ('' it did not)
  error_args TEXT NOT NULL DEFAULT '',          -- its parameters, JSON
  staff_id INTEGER REFERENCES staff(id),        -- who ran it; NULL the scheduled job
  attempted_at INTEGER NOT NULL,
  reconciled_at INTEGER,                        -- when a bill was last matched
  UNIQUE (day, channel)
);

-- A kept line: every difference, and the matched lines worth keeping (a
-- row seen twice in the bill; a record matched on the bill of another day
-- than its own, so that day does not count it missing). A rerun replaces
-- the run's unresolved lines and keeps the resolved ones; resolution is
-- 'matched' only when the record really matched, 'explained' only with a
-- person's note (and its audit line).
CREATE TABLE reconcile_line (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES reconcile_run(id),
  kind TEXT NOT NULL CHECK (kind IN ('matched','missing_local','missing_channel','amount_differs','state_differs')),
  record TEXT NOT NULL CHECK (record IN ('payment','deposit','consume','release','refund')),
  ref TEXT NOT NULL,                            -- ours when the record is here, else the bill's number
  out_trade_no TEXT NOT NULL DEFAULT '',
  order_no TEXT NOT NULL DEFAULT '',
  transaction_id TEXT NOT NULL DEFAULT '',
  local_state TEXT NOT NULL DEFAULT '',         -- moved, none, open, manual; '' no record here
  local_stored TEXT NOT NULL DEFAULT '',
  local_amount INTEGER NOT NULL DEFAULT 0,
  seen_state TEXT NOT NULL DEFAULT '',          -- paid, reversed, closed, pending, refunded; '' not in the bill
  seen_amount INTEGER NOT NULL DEFAULT 0,
  seen_returned INTEGER NOT NULL DEFAULT 0,
  seen_txn TEXT NOT NULL DEFAULT '',
  seen_at INTEGER,
  duplicates INTEGER NOT NULL DEFAULT 0,
  at INTEGER,
  resolution TEXT NOT NULL DEFAULT '' CHECK (resolution IN ('','matched','explained')),
  matched_day INTEGER,                          -- resolved by another day's bill, which had the record
  note TEXT NOT NULL DEFAULT '',
  resolved_by INTEGER REFERENCES staff(id),
  resolved_at INTEGER,
  CHECK (resolution != 'explained' OR note != '')
);
CREATE INDEX reconcile_line_run ON reconcile_line(run_id, resolution);
-- A record matched on one day's bill is looked up by the neighbouring days.
CREATE INDEX reconcile_line_ref ON reconcile_line(ref, record);

-- The records a day's reconciliation reads besides the takings journal's
-- settled movements: refunds a person must check and deposit operations
-- not settled yet. Both partial: a refund or operation settling normally
-- never enters them, so a sale's commit and a refund pay nothing for them.
CREATE INDEX refund_manual ON refund(created_at) WHERE state = 'manual';
CREATE INDEX deposit_operation_open ON deposit_operation(created_at) WHERE state NOT IN ('done','failed');
