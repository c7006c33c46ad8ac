package client

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"cashier/sync/backoffice/master"
	"cashier/sync/backoffice/protocol"
)

// Applier keeps the pulled master data (localdb.DB): each page applied in
// one transaction with its cursor.
type Applier interface {
	// PrepareMasterPull makes the stored cursors scope's (after an
	// enrolment anew every topic starts again from 0).
	PrepareMasterPull(ctx context.Context, scope master.Scope) error
	PullCursor(ctx context.Context, topic string) (int64, error)
	// ApplyMasterPages applies pages of one topic, in order, each with
	// its cursor, in one transaction.
	ApplyMasterPages(ctx context.Context, scope master.Scope, pages []*master.Page) ([]master.Outcome, error)
}

// Pages is where pages come from (Client).
type Pages interface {
	Pull(ctx context.Context, topic string, cursor int64, limit int) (protocol.PullPage, error)
}

// PullProgress is how far a pull has got in one topic.
type PullProgress struct {
	Topic  string
	Done   master.Outcome // this topic's items so far (Refused not kept here)
	Cursor int64          // the cursor applied
	More   bool           // another page of the topic waits
}

// PullResult is what a whole pull did.
type PullResult struct {
	master.Outcome
	Pages  int
	Topics []PullProgress // each topic as it ended
}

// Puller brings every master topic up to date: topic by topic in
// master.Order, page by page until the back office says there is no more,
// each page applied with its cursor in one transaction. The next pages are
// fetched and read while one is applied; when the apply has fallen behind
// (a fresh terminal, a day offline) the pages already fetched, up to
// Batch (BulkBatch for a topic never pulled before), are applied together
// in one transaction, each still with its cursor. A page that fails is
// asked for again from the old cursor next time; an error ends the pull (Retryable says whether to try later).
type Puller struct {
	Pages  Pages
	Store  Applier
	Scope  master.Scope
	Limit  int      // items a page; 0 is the back office's default (1,000)
	Topics []string // nil: master.Order
	// Batch bounds the pages applied in one transaction (0: DefaultBatch);
	// it bounds how long a catch-up holds the database's writer, which the
	// counter's sales wait for.
	Batch int
	// BulkBatch is Batch for a topic this terminal has never pulled
	// (cursor 0: a fresh terminal filling its catalogue, none of which it
	// can sell yet), where fewer, larger transactions matter more than
	// the writer's latency (0: DefaultBulkBatch).
	BulkBatch int
	// Progress hears of every page applied (called on the pulling
	// goroutine); nil: none.
	Progress func(PullProgress)
}

// DefaultBatch is Puller.Batch's default: five pages of a thousand items
// hold the writer for a few tenths of a second.
const DefaultBatch = 5

// DefaultBulkBatch is Puller.BulkBatch's default: fifty pages of a
// thousand items, a few seconds of the writer, commit a million products
// in some sixty transactions instead of six hundred; each page's cursor
// is still written with it, so a pull killed midway asks again from the
// last transaction committed.
const DefaultBulkBatch = 50

// bulkGCPercent is the collector's GOGC while a topic is pulled for the
// first time.
const bulkGCPercent = 400

// BulkGather is how long a topic pulled for the first time waits for
// pages to apply together (up to BulkBatch), from the first of them.
const BulkGather = 2 * time.Second

// fetched is one page read, or why not.
type fetched struct {
	page *master.Page
	err  error
}

// Run pulls every topic. A cancelled ctx stops it between pages: the page
// being applied is finished (it is one transaction either way).
func (p *Puller) Run(ctx context.Context) (PullResult, error) {
	var res PullResult
	if err := p.Store.PrepareMasterPull(ctx, p.Scope); err != nil {
		return res, err
	}
	topics := p.Topics
	if topics == nil {
		topics = master.Order
	}
	for _, topic := range topics {
		prog, err := p.topic(ctx, topic, &res)
		res.Topics = append(res.Topics, prog)
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

func (p *Puller) topic(ctx context.Context, topic string, res *PullResult) (PullProgress, error) {
	prog := PullProgress{Topic: topic}
	from, err := p.Store.PullCursor(ctx, topic)
	if err != nil {
		return prog, err
	}
	prog.Cursor = from
	batch := p.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	if from == 0 {
		batch = p.BulkBatch
		if batch <= 0 {
			batch = DefaultBulkBatch
		}
		// A first pull reads millions of small JSON values, and the
		// collector ran on a third of the time the two cores of a POS
		// had for it (a million products: 53 s at the usual 100, 50 s
		// at 400). The garbage is short-lived; the heap it lets grow is
		// a few pages' worth, and the usual pace is back after the topic.
		defer debug.SetGCPercent(debug.SetGCPercent(bulkGCPercent))
	}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	// Fetching and reading are two stages beside the apply: the next
	// page is asked for while one is read (its search terms worked out).
	raw := make(chan fetchedRaw, 2)
	pages := make(chan fetched, batch)
	go p.fetch(fctx, topic, from, raw)
	go decode(fctx, topic, from == 0, raw, pages)
	for {
		f, ok := <-pages
		if !ok {
			return prog, ctx.Err()
		}
		if f.err != nil {
			return prog, f.err
		}
		todo, later := gather(ctx, f.page, pages, batch, from == 0)
		if err := ctx.Err(); err != nil {
			return prog, err
		}
		// Pages begun are finished: they are one transaction, and an
		// interrupted one would only be asked for again.
		done, err := p.Store.ApplyMasterPages(context.WithoutCancel(ctx), p.Scope, todo)
		if err != nil {
			return prog, err
		}
		for i, pg := range todo {
			res.Pages++
			res.Add(done[i])
			done[i].Refused = nil
			prog.Done.Add(done[i])
			prog.Cursor, prog.More = pg.Next, pg.More
			if p.Progress != nil {
				p.Progress(prog)
			}
		}
		if later != nil {
			return prog, later
		}
		if !prog.More {
			return prog, nil
		}
	}
}

// gather is first and the pages fetched after it that are here, up to
// batch of them, and the error of a fetch that failed after them. A
// topic pulled for the first time (bulk) waits up to BulkGather for its
// next pages rather than commit what is here: its transactions are the
// fewer and larger (the search terms left to after the topic, the
// writer's large cache), and it sells nothing yet.
func gather(ctx context.Context, first *master.Page, pages <-chan fetched, batch int, bulk bool) ([]*master.Page, error) {
	todo := []*master.Page{first}
	var wait <-chan time.Time
	if bulk {
		t := time.NewTimer(BulkGather)
		defer t.Stop()
		wait = t.C
	}
	for len(todo) < batch && todo[len(todo)-1].More {
		var g fetched
		var ok bool
		if wait == nil {
			select {
			case g, ok = <-pages:
			default:
				return todo, nil
			}
		} else {
			select {
			case g, ok = <-pages:
			case <-wait:
				return todo, nil
			case <-ctx.Done():
				return todo, nil
			}
		}
		if !ok {
			return todo, nil
		}
		if g.err != nil {
			return todo, g.err
		}
		todo = append(todo, g.page)
	}
	return todo, nil
}

// fetchedRaw is one page as answered, from cursor, or why not.
type fetchedRaw struct {
	page   protocol.PullPage
	cursor int64
	err    error
}

// fetch asks for the pages of topic from cursor on, ahead of their
// reading, until the last page or an error.
func (p *Puller) fetch(ctx context.Context, topic string, cursor int64, out chan<- fetchedRaw) {
	defer close(out)
	for {
		pg, err := p.Pages.Pull(ctx, topic, cursor, p.Limit)
		if err == nil {
			err = checkPage(pg, cursor)
		}
		select {
		case out <- fetchedRaw{page: pg, cursor: cursor, err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil || !pg.More {
			return
		}
		cursor = pg.Next
	}
}

// decode reads the pages fetch answers, in order, for the apply; a topic
// pulled for the first time (bulk) without the products' search terms,
// which the terminal works out after the topic.
func decode(ctx context.Context, topic string, bulk bool, in <-chan fetchedRaw, out chan<- fetched) {
	defer close(out)
	for r := range in {
		f := fetched{err: r.err}
		if r.err == nil {
			pg := r.page
			raws := make([]master.Raw, len(pg.Items))
			for i, it := range pg.Items {
				raws[i] = master.Raw{Cursor: it.Cursor, ID: it.ID, Deleted: it.Deleted, Payload: it.Payload}
			}
			if bulk {
				f.page = master.DecodeBulkPage(topic, r.cursor, pg.Next, pg.More, raws)
			} else {
				f.page = master.DecodePage(topic, r.cursor, pg.Next, pg.More, raws)
			}
		}
		select {
		case out <- f:
		case <-ctx.Done():
			return
		}
		if f.err != nil {
			return
		}
	}
}

// checkPage refuses a page that is not the protocol's: items out of
// cursor order or beyond its next, or "more" without moving on (which
// would ask for the same page for ever). Such an answer is retried later,
// the cursor where it was.
func checkPage(pg protocol.PullPage, from int64) error {
	last := from
	for _, it := range pg.Items {
		if it.Cursor <= last || it.Cursor > pg.Next {
			return &Error{Status: http.StatusOK, Code: "bad_answer", Retry: true,
				Message: fmt.Sprintf("item %q at cursor %d out of order in a page after %d up to %d", it.ID, it.Cursor, from, pg.Next)}
		}
		last = it.Cursor
	}
	if pg.More && pg.Next <= from {
		return &Error{Status: http.StatusOK, Code: "bad_answer", Retry: true,
			Message: fmt.Sprintf("a page after %d says more but does not move on", from)}
	}
	return nil
}
