-- REPLACE INTO audit_log deletes the row in its way without firing the
-- delete trigger (SQLite fires delete triggers for REPLACE only with
-- recursive triggers on, which they are not): one statement rewrote a
-- sealed row past the append-only triggers of 0005. The chain still named
-- it; now the statement is refused like an UPDATE. The app never inserts
-- an id that is taken.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
