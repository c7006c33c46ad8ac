-- Products whose search terms are not in product_search yet (issue 14):
-- a terminal filling its catalogue from the back office (a transaction of
-- thousands of products) writes the products, sellable by code at once,
-- and leaves their terms to one pass when the products topic ends, in
-- large transactions with nothing else between the index's writes. The
-- rows are written with the products, so a pull stopped before that pass
-- (killed, the back office gone) leaves them here, and the next start
-- builds what they name.
CREATE TABLE search_pending (
  product_id INTEGER PRIMARY KEY REFERENCES product(id) ON DELETE CASCADE
);
