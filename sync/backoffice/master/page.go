package master

import (
	"encoding/json"
	"runtime"
	"slices"
	"sync"

	"cashier/app/catalog"
)

// Raw is an item as pulled (protocol.MasterItem's fields).
type Raw struct {
	Cursor  int64
	ID      string
	Deleted bool
	Payload json.RawMessage
}

// Entry is a pulled item read: Item when it passed, Err when it did not
// (the terminal quarantines it). Terms are a product's search terms
// (catalog.IndexTerms of its name), worked out with the decoding, off the
// database's writer.
type Entry struct {
	Raw
	Item  Item
	Err   error
	Terms []string
}

// Page is a pulled page read: the items of Topic after cursor From, up
// to Next.
type Page struct {
	Topic string
	From  int64
	Next  int64
	More  bool
	Items []Entry
}

// DecodePage reads every item of a pulled page, on every core for a
// large page: a page of a thousand products is mostly the work of their
// search terms.
func DecodePage(topic string, from, next int64, more bool, raws []Raw) *Page {
	return decodePage(topic, from, next, more, raws, true)
}

// DecodeBulkPage is DecodePage without the search terms: a page of a
// topic a terminal pulls for the first time, whose products the terminal
// writes in bulk and indexes for search afterwards.
func DecodeBulkPage(topic string, from, next int64, more bool, raws []Raw) *Page {
	return decodePage(topic, from, next, more, raws, false)
}

func decodePage(topic string, from, next int64, more bool, raws []Raw, terms bool) *Page {
	p := &Page{Topic: topic, From: from, Next: next, More: more, Items: make([]Entry, len(raws))}
	one := func(i int) {
		r := raws[i]
		e := Entry{Raw: r}
		e.Item, e.Err = Decode(topic, r.ID, r.Deleted, r.Payload)
		if terms && e.Err == nil && topic == TopicProducts && !r.Deleted {
			prod := e.Item.Value.(Product)
			e.Terms = catalog.IndexTerms(prod.Catalogue(nil, 1).Name)
		}
		p.Items[i] = e
	}
	workers := runtime.GOMAXPROCS(0)
	if len(raws) < 64 || workers < 2 {
		for i := range raws {
			one(i)
		}
		return p
	}
	var wg sync.WaitGroup
	per := (len(raws) + workers - 1) / workers
	for start := 0; start < len(raws); start += per {
		end := min(len(raws), start+per)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := start; i < end; i++ {
				one(i)
			}
		}()
	}
	wg.Wait()
	return p
}

// Scope is who a terminal is in the chain: what of the master data is its
// own (its store's prices and settings, its own terminal row).
type Scope struct {
	StoreCode string // as enrolled (sync_peer.store_code)
	Terminal  string // its terminal id (sync_peer.terminal)
}

// Outcome is what applying one page did, in items.
type Outcome struct {
	Applied     int // taken (also when nothing needed changing)
	Ignored     int // another store's or terminal's
	Quarantined int // refused; why in Refused
	Refused     []Refusal
	// Pending counts products touched by the page that wait for a code or
	// a price before the counter can sell them.
	Pending int
}

// Add adds b's counts and refusals to a.
func (a *Outcome) Add(b Outcome) {
	a.Applied += b.Applied
	a.Ignored += b.Ignored
	a.Quarantined += b.Quarantined
	a.Pending += b.Pending
	a.Refused = append(a.Refused, b.Refused...)
}

// Refusal is a quarantined item and why.
type Refusal struct {
	Topic, ID string
	Err       error
}

// Index is topic's place in Order (-1 when it is none).
func Index(topic string) int { return slices.Index(Order, topic) }
