-- The outbox (docs/sync.md, "Terminal side: push"). Every business record
-- the back office keeps (orders, their lines, tenders and payments, refunds,
-- deposits and their operations, shifts, the audit log, the takings journal)
-- is queued by these triggers in the transaction that writes it, so no
-- record is ever committed without being queued.
--
-- A trigger only appends the change to sync_outbox_log: an append lands
-- on the log's last page, where a sale's other changes land too, so a
-- sale's commit writes about one page more (an upsert into sync_outbox
-- itself touched a leaf of its (topic, key) index per table, and cost a
-- quarter of the commit: docs/PERFORMANCE.md). The push folds the log
-- into sync_outbox (localdb/outbox.go), in its own transaction: one row
-- per record, its version raised by one for each change, made pending
-- again (sent_at NULL). Neither holds a copy of the record: the push
-- reads the record as it is then, so the back office always gets the
-- newest state.
--
-- key is the record's id, "<table>:<primary key>" (a composite key's
-- parts joined by "/"); version is 1 when the record is first written and
-- grows by one with every later change; the back office keeps the highest
-- version it has seen. A push marks a record sent only at the version it
-- sent, so a record changed while its batch was in flight goes again.
-- held_version is the version the push found too large to send (over the
-- protocol's 256 KiB a record): it is skipped until the record changes.
-- A deleted record is queued too (pushed as deleted). Times come from
-- julianday, which every SQLite has (the sqlite3 tool too: a row it
-- writes is queued like any other).
ALTER TABLE sync_outbox ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sync_outbox ADD COLUMN held_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE sync_outbox_log (
  seq INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  key TEXT NOT NULL,
  at INTEGER NOT NULL                    -- unix ms of the change
);

-- Three triggers a table. A key changed by an UPDATE (the app never
-- does it) is a record gone and one new: both are queued.

CREATE TRIGGER sync_outbox_orders_ins AFTER INSERT ON orders BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('orders', 'orders:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_orders_upd AFTER UPDATE ON orders BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('orders', 'orders:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'orders', 'orders:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_orders_del AFTER DELETE ON orders BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('orders', 'orders:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_order_line_ins AFTER INSERT ON order_line BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('order_lines', 'order_line:' || NEW.order_id || '/' || NEW.line_no, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_order_line_upd AFTER UPDATE ON order_line BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('order_lines', 'order_line:' || NEW.order_id || '/' || NEW.line_no, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'order_lines', 'order_line:' || OLD.order_id || '/' || OLD.line_no, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.order_id IS NOT NEW.order_id OR OLD.line_no IS NOT NEW.line_no;
END;
CREATE TRIGGER sync_outbox_order_line_del AFTER DELETE ON order_line BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('order_lines', 'order_line:' || OLD.order_id || '/' || OLD.line_no, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_tender_ins AFTER INSERT ON tender BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('tenders', 'tender:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_tender_upd AFTER UPDATE ON tender BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('tenders', 'tender:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'tenders', 'tender:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_tender_del AFTER DELETE ON tender BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('tenders', 'tender:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_payment_intent_ins AFTER INSERT ON payment_intent BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('tenders', 'payment_intent:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_payment_intent_upd AFTER UPDATE ON payment_intent BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('tenders', 'payment_intent:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'tenders', 'payment_intent:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_payment_intent_del AFTER DELETE ON payment_intent BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('tenders', 'payment_intent:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_refund_ins AFTER INSERT ON refund BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'refund:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_refund_upd AFTER UPDATE ON refund BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'refund:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'refunds', 'refund:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_refund_del AFTER DELETE ON refund BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'refund:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_order_refund_ins AFTER INSERT ON order_refund BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'order_refund:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_order_refund_upd AFTER UPDATE ON order_refund BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'order_refund:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'refunds', 'order_refund:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_order_refund_del AFTER DELETE ON order_refund BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'order_refund:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_order_refund_line_ins AFTER INSERT ON order_refund_line BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'order_refund_line:' || NEW.refund_id || '/' || NEW.line_no, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_order_refund_line_upd AFTER UPDATE ON order_refund_line BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'order_refund_line:' || NEW.refund_id || '/' || NEW.line_no, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'refunds', 'order_refund_line:' || OLD.refund_id || '/' || OLD.line_no, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.refund_id IS NOT NEW.refund_id OR OLD.line_no IS NOT NEW.line_no;
END;
CREATE TRIGGER sync_outbox_order_refund_line_del AFTER DELETE ON order_refund_line BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'order_refund_line:' || OLD.refund_id || '/' || OLD.line_no, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_order_refund_part_ins AFTER INSERT ON order_refund_part BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'order_refund_part:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_order_refund_part_upd AFTER UPDATE ON order_refund_part BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'order_refund_part:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'refunds', 'order_refund_part:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_order_refund_part_del AFTER DELETE ON order_refund_part BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'order_refund_part:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_cash_refund_ins AFTER INSERT ON cash_refund BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'cash_refund:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_cash_refund_upd AFTER UPDATE ON cash_refund BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'cash_refund:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'refunds', 'cash_refund:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_cash_refund_del AFTER DELETE ON cash_refund BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('refunds', 'cash_refund:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_deposit_ins AFTER INSERT ON deposit BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('deposits', 'deposit:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_deposit_upd AFTER UPDATE ON deposit BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('deposits', 'deposit:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'deposits', 'deposit:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_deposit_del AFTER DELETE ON deposit BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('deposits', 'deposit:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_deposit_operation_ins AFTER INSERT ON deposit_operation BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('deposit_ops', 'deposit_operation:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_deposit_operation_upd AFTER UPDATE ON deposit_operation BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('deposit_ops', 'deposit_operation:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'deposit_ops', 'deposit_operation:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_deposit_operation_del AFTER DELETE ON deposit_operation BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('deposit_ops', 'deposit_operation:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_shift_ins AFTER INSERT ON shift BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('shifts', 'shift:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_shift_upd AFTER UPDATE ON shift BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('shifts', 'shift:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'shifts', 'shift:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_shift_del AFTER DELETE ON shift BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('shifts', 'shift:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_audit_log_ins AFTER INSERT ON audit_log BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('audit', 'audit_log:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_audit_log_upd AFTER UPDATE ON audit_log BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('audit', 'audit_log:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'audit', 'audit_log:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_audit_log_del AFTER DELETE ON audit_log BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('audit', 'audit_log:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER sync_outbox_takings_ins AFTER INSERT ON takings BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('takings', 'takings:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER sync_outbox_takings_upd AFTER UPDATE ON takings BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('takings', 'takings:' || NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
  INSERT INTO sync_outbox_log(topic, key, at) SELECT 'takings', 'takings:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER sync_outbox_takings_del AFTER DELETE ON takings BEGIN
  INSERT INTO sync_outbox_log(topic, key, at) VALUES ('takings', 'takings:' || OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

-- Every record written before this migration is queued once, at version 1.
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'orders', 'orders:' || orders.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM orders WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'order_lines', 'order_line:' || order_line.order_id || '/' || order_line.line_no, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM order_line WHERE true ORDER BY order_id, line_no
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'tenders', 'tender:' || tender.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM tender WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'tenders', 'payment_intent:' || payment_intent.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM payment_intent WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'refunds', 'refund:' || refund.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM refund WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'refunds', 'order_refund:' || order_refund.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM order_refund WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'refunds', 'order_refund_line:' || order_refund_line.refund_id || '/' || order_refund_line.line_no, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM order_refund_line WHERE true ORDER BY refund_id, line_no
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'refunds', 'order_refund_part:' || order_refund_part.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM order_refund_part WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'refunds', 'cash_refund:' || cash_refund.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM cash_refund WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'deposits', 'deposit:' || deposit.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM deposit WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'deposit_ops', 'deposit_operation:' || deposit_operation.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM deposit_operation WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'shifts', 'shift:' || shift.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM shift WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'audit', 'audit_log:' || audit_log.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM audit_log WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
INSERT INTO sync_outbox(topic, key, payload, created_at)
  SELECT 'takings', 'takings:' || takings.id, '', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM takings WHERE true ORDER BY id
  ON CONFLICT(topic, key) DO NOTHING;
