-- The takings journal summed per business day, person, kind and method,
-- kept by the database itself in the transaction that writes a journal
-- row. A month-by-day bill or a year's bill reads a few hundred of these
-- rows instead of every journal row of the month: a store with a million
-- sales in a month has about a million journal rows, and reading even
-- their covering index entries once took 140 ms grouped by day alone and
-- 790 ms grouped by day, kind and method (docs/PERFORMANCE.md, reports).
-- A sale's commit updates one more leaf (its day's entries sit together,
-- its person's under them).
--
-- The journal is append-only; the triggers for a change and a removal
-- keep the sums exact should a row ever be corrected by hand.
CREATE TABLE takings_day (
  store_id INTEGER NOT NULL,
  business_day INTEGER NOT NULL,
  staff_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  n INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  discount INTEGER NOT NULL,
  PRIMARY KEY (store_id, business_day, staff_id, kind, method)
) WITHOUT ROWID;

INSERT INTO takings_day(store_id, business_day, staff_id, kind, method, n, amount, discount)
SELECT store_id, business_day, staff_id, kind, method, count(*), sum(amount), sum(discount)
FROM takings WHERE true GROUP BY store_id, business_day, staff_id, kind, method;

-- An insert that the journal's UNIQUE(kind, ref) turns into DO NOTHING
-- inserts no row and fires nothing: a movement is summed once.
CREATE TRIGGER takings_day_insert AFTER INSERT ON takings BEGIN
  INSERT INTO takings_day(store_id, business_day, staff_id, kind, method, n, amount, discount)
  VALUES (NEW.store_id, NEW.business_day, NEW.staff_id, NEW.kind, NEW.method, 1, NEW.amount, NEW.discount)
  ON CONFLICT(store_id, business_day, staff_id, kind, method)
  DO UPDATE SET n = n + 1, amount = amount + excluded.amount, discount = discount + excluded.discount;
END;

CREATE TRIGGER takings_day_delete AFTER DELETE ON takings BEGIN
  UPDATE takings_day SET n = n - 1, amount = amount - OLD.amount, discount = discount - OLD.discount
  WHERE store_id = OLD.store_id AND business_day = OLD.business_day AND staff_id = OLD.staff_id
    AND kind = OLD.kind AND method = OLD.method;
END;

CREATE TRIGGER takings_day_update AFTER UPDATE OF store_id, business_day, staff_id, kind, method, amount, discount ON takings BEGIN
  UPDATE takings_day SET n = n - 1, amount = amount - OLD.amount, discount = discount - OLD.discount
  WHERE store_id = OLD.store_id AND business_day = OLD.business_day AND staff_id = OLD.staff_id
    AND kind = OLD.kind AND method = OLD.method;
  INSERT INTO takings_day(store_id, business_day, staff_id, kind, method, n, amount, discount)
  VALUES (NEW.store_id, NEW.business_day, NEW.staff_id, NEW.kind, NEW.method, 1, NEW.amount, NEW.discount)
  ON CONFLICT(store_id, business_day, staff_id, kind, method)
  DO UPDATE SET n = n + 1, amount = amount + excluded.amount, discount = discount + excluded.discount;
END;
