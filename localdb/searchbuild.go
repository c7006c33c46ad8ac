package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"runtime"
	"strings"
	"sync"

	"cashier/app/catalog"
)

// The search builder writes the terms of the products search_pending
// names: those a bulk pull wrote without them (catalogTx.deferTerms). It
// runs beside the app, a chunk of products a transaction, after a pull
// has finished its products topic and at a start that finds the table not
// empty (a pull killed or cut off before its end). Until it reaches a
// product, the product sells by its code but is not found by its name.

// searchChunk is the products one transaction of the builder indexes:
// about a third of a second of the writer on a 2-core POS, so a sale
// waits at most that long behind it.
const searchChunk = 10_000

// searchBuild is the builder's state; DB holds one.
type searchBuild struct {
	mu      sync.Mutex
	running bool
	again   bool          // asked for while running: one more pass after this one
	idle    chan struct{} // closed when the pass running ends
	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	err     error  // the last pass's
	notify  func() // OnSearchIndex's
}

// OnSearchIndex has fn called (on the builder's goroutine) after each
// chunk the search builder writes and when it stops, so a screen showing
// SearchPending can read it again.
func (db *DB) OnSearchIndex(fn func()) {
	db.search.mu.Lock()
	defer db.search.mu.Unlock()
	db.search.notify = fn
}

func (db *DB) searchNotify() {
	db.search.mu.Lock()
	fn := db.search.notify
	db.search.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// kickSearchBuild starts the builder unless it runs; running, it makes
// one more pass when this one ends (products deferred meanwhile).
func (db *DB) kickSearchBuild() {
	b := &db.search
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil {
		b.ctx, b.stop = context.WithCancel(context.Background())
	}
	if b.ctx.Err() != nil {
		return // closing
	}
	if b.running {
		b.again = true
		return
	}
	b.running, b.idle = true, make(chan struct{})
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			err := db.buildPendingTerms(b.ctx)
			b.mu.Lock()
			b.err = err
			if b.again && err == nil {
				b.again = false
				b.mu.Unlock()
				continue
			}
			b.running, b.again = false, false
			close(b.idle)
			b.mu.Unlock()
			db.searchNotify()
			return
		}
	}()
}

// kickPendingSearch starts the builder when products wait for it.
func (db *DB) kickPendingSearch(ctx context.Context) {
	var any bool
	if err := db.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM search_pending)`).Scan(&any); err == nil && any {
		db.kickSearchBuild()
	}
}

// BuildSearchIndex starts the builder when products wait for it and waits
// for it to end (pos sync pull stays for it).
func (db *DB) BuildSearchIndex(ctx context.Context) error {
	db.kickPendingSearch(ctx)
	return db.WaitSearchIndex(ctx)
}

// WaitSearchIndex waits until the search builder is not running, and
// returns the error its last pass ended with (nil when none ran).
func (db *DB) WaitSearchIndex(ctx context.Context) error {
	b := &db.search
	b.mu.Lock()
	running, idle, err := b.running, b.idle, b.err
	b.mu.Unlock()
	if !running {
		return err
	}
	select {
	case <-idle:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// SearchPending counts the products not yet found by name: their terms
// wait for the search builder.
func (db *DB) SearchPending(ctx context.Context) (int, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM search_pending`).Scan(&n)
	return n, err
}

// stopSearchBuild ends the builder (Close): a pass stops where it is (a
// chunk under way is rolled back), and what it has not indexed stays
// listed for the next start.
func (db *DB) stopSearchBuild() {
	b := &db.search
	b.mu.Lock()
	if b.ctx == nil {
		b.ctx, b.stop = context.WithCancel(context.Background())
	}
	b.stop()
	b.mu.Unlock()
	b.wg.Wait()
}

// namedTerms is a pending product's name as read and the terms worked out
// from it.
type namedTerms struct {
	id    int64
	name  string
	terms string
}

// buildPendingTerms indexes every product search_pending names, a chunk a
// transaction; the next chunk is read and its terms worked out (on every
// core) while one is written. A product renamed meanwhile keeps its row
// for a later pass (or had it taken by the rename, which wrote its terms).
func (db *DB) buildPendingTerms(ctx context.Context) error {
	for pass := 0; pass < 3; pass++ {
		chunks := make(chan []namedTerms, 1)
		readErr := make(chan error, 1)
		rctx, cancel := context.WithCancel(ctx)
		go func() {
			defer close(chunks)
			readErr <- db.readPending(rctx, chunks)
		}()
		var werr error
		for c := range chunks {
			if werr == nil {
				werr = db.writePendingTerms(ctx, c)
				if werr != nil {
					cancel()
				} else {
					db.searchNotify()
				}
			}
		}
		cancel()
		if err := <-readErr; werr == nil && err != nil && ctx.Err() == nil {
			werr = err
		}
		if werr != nil {
			return werr
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// What is left names a product renamed meanwhile: another pass.
		var left bool
		if err := db.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM search_pending s JOIN product p ON p.id = s.product_id)`).Scan(&left); err != nil || !left {
			return err
		}
	}
	return nil
}

// readPending sends the pending products in id order, a chunk at a time,
// with their terms.
func (db *DB) readPending(ctx context.Context, out chan<- []namedTerms) error {
	var after int64
	for {
		rows, err := db.reader.QueryContext(ctx, `SELECT s.product_id, p.name FROM search_pending s CROSS JOIN product p ON p.id = s.product_id
			WHERE s.product_id > ? ORDER BY s.product_id LIMIT ?`, after, searchChunk)
		if err != nil {
			return err
		}
		var c []namedTerms
		for rows.Next() {
			var n namedTerms
			if err := rows.Scan(&n.id, &n.name); err != nil {
				rows.Close()
				return err
			}
			c = append(c, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(c) == 0 {
			return nil
		}
		workTerms(c)
		select {
		case out <- c:
		case <-ctx.Done():
			return ctx.Err()
		}
		after = c[len(c)-1].id
	}
}

// workTerms fills in each product's terms, on every core.
func workTerms(c []namedTerms) {
	workers := runtime.GOMAXPROCS(0)
	per := (len(c) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(c); start += per {
		part := c[start:min(len(c), start+per)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range part {
				part[i].terms = strings.Join(catalog.IndexTerms(part[i].name), " ")
			}
		}()
	}
	wg.Wait()
}

// writePendingTerms indexes a chunk of products still pending under the
// name their terms were worked out from, and takes them out of
// search_pending, in one transaction.
func (db *DB) writePendingTerms(ctx context.Context, c []namedTerms) error {
	ids := make([][2]any, len(c))
	for i, n := range c {
		ids[i] = [2]any{n.id, n.name}
	}
	arg, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM search_pending WHERE product_id IN (
			SELECT p.id FROM json_each(?) j CROSS JOIN product p ON p.id = j.value->>0 AND p.name = j.value->>1)
			RETURNING product_id`, string(arg))
		if err != nil {
			return err
		}
		taken := make(map[int64]bool, len(c))
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			taken[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		terms := make([][2]any, 0, len(taken))
		for _, n := range c {
			if taken[n.id] {
				terms = append(terms, [2]any{n.id, n.terms})
			}
		}
		if len(terms) == 0 {
			return nil
		}
		b, err := json.Marshal(terms)
		if err != nil {
			return err
		}
		// FTS5 merges its segments after each write unless told not to:
		// once here at the end of the chunk is enough.
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_search(product_search, rank) VALUES ('automerge', 0)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_search(rowid, terms) SELECT value->>0, value->>1 FROM json_each(?)`, string(b)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO product_search(product_search, rank) VALUES ('automerge', 4)`)
		return err
	})
}
