-- Two of the takings journal's covering indexes (0004) kept each day's and
-- each shift's rows sorted by kind, method and amount, so the rows of one
-- sale (its tenders' sale rows and their discount shares) landed on up to
-- four leaves of each, wherever their amounts fell among the day's: every
-- one a page more in the sale's commit. Sorted by id after the day or the
-- shift, a sale's rows go at the end, on one leaf, as in the two indexes
-- by time. The summaries still read only these indexes' entries (covering,
-- never the table); a day or a shift now groups its entries by kind and
-- method in a temporary B-tree, as the time ranges always did
-- (docs/PERFORMANCE.md: a business day of ~2,700 sales 0.5 → 1.1 ms, a
-- shift unchanged). A shift's mark (max(id)) becomes one step down the
-- index.
DROP INDEX takings_store_day;
CREATE INDEX takings_store_day ON takings(store_id, business_day, id, kind, method, amount, discount, staff_id);
DROP INDEX takings_shift;
CREATE INDEX takings_shift ON takings(shift_id, id, kind, method, amount, discount, store_id, staff_id) WHERE shift_id IS NOT NULL;
