-- Refunds at the counter (退款单, app/sale/refund.go): what a person gave
-- back of a paid order — chosen lines and quantities, an amount, or all
-- that was left — and how each of the order's tenders pays its part back.

-- One refund at the counter: its own number (printed on the refund
-- receipt), the amount, who did it and who approved it (a manager's
-- override), on which shift and terminal.
CREATE TABLE order_refund (
  id INTEGER PRIMARY KEY,
  refund_no TEXT NOT NULL UNIQUE,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  whole INTEGER NOT NULL DEFAULT 0 CHECK (whole IN (0,1)), -- everything that was left
  reason TEXT NOT NULL DEFAULT '',
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  approved_by INTEGER REFERENCES staff(id),
  shift_id INTEGER REFERENCES shift(id),
  terminal_id INTEGER REFERENCES terminal(id),
  created_at INTEGER NOT NULL
);
CREATE INDEX order_refund_order ON order_refund(order_id);

-- The lines and quantities a refund covered. A line's quantity refunded is
-- the sum of its rows here; the write that adds a row checks, in its
-- transaction, that the sum stays within the line's quantity, so no line
-- is refunded twice. amount is the line's share, to the fen: the line's
-- amount × quantity refunded so far ÷ its quantity, less the share
-- refunded before, so a line refunded in parts adds up to its amount.
CREATE TABLE order_refund_line (
  refund_id INTEGER NOT NULL REFERENCES order_refund(id),
  line_no INTEGER NOT NULL,
  qty INTEGER NOT NULL CHECK (qty > 0),
  amount INTEGER NOT NULL CHECK (amount >= 0),
  PRIMARY KEY (refund_id, line_no)
) WITHOUT ROWID;

-- Each tender's part of a refund, through its own channel. A wallet part
-- is paid back by a channel refund (refund, with its own number):
-- channel_refund_id is the one carrying it now, linked before it is sent;
-- NULL until the first is written, and replaced by a new one only when the
-- last ended failed (the money never went). A cash part is handed back
-- from the drawer when the refund is written (cash_refund).
CREATE TABLE order_refund_part (
  id INTEGER PRIMARY KEY,
  refund_id INTEGER NOT NULL REFERENCES order_refund(id),
  tender_id INTEGER NOT NULL REFERENCES tender(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  channel_refund_id INTEGER UNIQUE REFERENCES refund(id),
  UNIQUE (refund_id, tender_id)
);

-- Cash handed back over the counter: who, on which shift (the drawer it
-- came out of), when. Each is also a row of the takings journal (kind
-- refund, method cash, ref cash_refund:ID), written in the same
-- transaction, so the shift's expected cash and the summaries go down by
-- it.
CREATE TABLE cash_refund (
  id INTEGER PRIMARY KEY,
  part_id INTEGER NOT NULL UNIQUE REFERENCES order_refund_part(id),
  order_id INTEGER NOT NULL REFERENCES orders(id),
  tender_id INTEGER NOT NULL REFERENCES tender(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  staff_id INTEGER NOT NULL REFERENCES staff(id),
  approved_by INTEGER REFERENCES staff(id),
  shift_id INTEGER REFERENCES shift(id),
  created_at INTEGER NOT NULL
);
CREATE INDEX cash_refund_tender ON cash_refund(tender_id);
