-- The audit log becomes a tamper-evident hash chain (docs/audit.md).
-- Every row carries the hash of the row before it (prev) and its own hash
-- (an HMAC-SHA256, keyed by audit.key in the data folder, over prev and the
-- row's fields, computed in Go inside the writing transaction); key_id
-- names the key that sealed it. audit_head holds the newest row's id and
-- hash, so removing the newest rows is noticed too.

ALTER TABLE audit_log ADD COLUMN prev BLOB;
ALTER TABLE audit_log ADD COLUMN hash BLOB;
ALTER TABLE audit_log ADD COLUMN key_id TEXT;

-- One row. last_id -1 means the rows written before this migration are
-- not sealed yet: the next writable open (or the next audit line) seals
-- them in one transaction. lost_at is set when the app found the head gone
-- and had to rebuild it: the rows after lost_at cannot be vouched for.
CREATE TABLE audit_head (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  last_id INTEGER NOT NULL,
  last_hash BLOB NOT NULL,
  lost_at INTEGER NOT NULL DEFAULT 0,
  key_id TEXT NOT NULL,
  mac BLOB NOT NULL
);
INSERT INTO audit_head(one, last_id, last_hash, key_id, mac) VALUES (1, -1, X'', '', X'');

-- The Audit view and `pos audit list` filter by person and by action,
-- newest first.
CREATE INDEX audit_log_staff ON audit_log(staff_id, id);
CREATE INDEX audit_log_action ON audit_log(action, id);

-- Append-only: a sealed row is never changed and no row is deleted. The
-- sqlite3 tool can drop these; the chain still shows what was done.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head is kept'); END;
