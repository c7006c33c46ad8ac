package products

import "cashier/app/catalog"

// pages is the list of a filter without a query: every product's id (a
// million ids are 8 MB; a million records would be hundreds) and the rows
// read so far, a bounded number of pages of them. A row not read yet is
// asked for; the newest asks are read first, so a fast scroll reads where
// it stops, not every page it passed.
type pages struct {
	ids  []int64
	size int // rows a page
	max  int // pages kept

	got  map[int][]catalog.Record // page → its rows, aligned with ids (ID 0: gone)
	used map[int]uint64           // page → when last shown
	tick uint64
	want []int // pages asked for, oldest first
	busy int   // the page being read; -1 none
}

// maxWanted bounds the asks kept: older ones are pages scrolled past.
const maxWanted = 8

func newPages(ids []int64, size, max int) *pages {
	return &pages{ids: ids, size: size, max: max, got: map[int][]catalog.Record{}, used: map[int]uint64{}, busy: -1}
}

// Len is the number of rows.
func (p *pages) Len() int { return len(p.ids) }

// Row is row i when its page has been read; otherwise its page is asked
// for and ok is false.
func (p *pages) Row(i int) (r catalog.Record, ok bool) {
	if i < 0 || i >= len(p.ids) {
		return r, false
	}
	n := i / p.size
	rows, ok := p.got[n]
	if !ok {
		p.ask(n)
		return r, false
	}
	p.tick++
	p.used[n] = p.tick
	return rows[i%p.size], true
}

func (p *pages) ask(n int) {
	if n == p.busy {
		return
	}
	for i, w := range p.want {
		if w == n {
			p.want = append(p.want[:i], p.want[i+1:]...)
			break
		}
	}
	p.want = append(p.want, n)
	if len(p.want) > maxWanted {
		p.want = p.want[len(p.want)-maxWanted:]
	}
}

// Next takes the newest page asked for and not read, with its ids; false
// when a page is being read or none is wanted.
func (p *pages) Next() (n int, ids []int64, ok bool) {
	if p.busy >= 0 {
		return 0, nil, false
	}
	for len(p.want) > 0 {
		n = p.want[len(p.want)-1]
		p.want = p.want[:len(p.want)-1]
		if _, have := p.got[n]; !have {
			p.busy = n
			return n, p.ids[n*p.size : min(len(p.ids), (n+1)*p.size)], true
		}
	}
	return 0, nil, false
}

// Put keeps page n's records (read by id, in any order, some perhaps
// gone), dropping the page shown longest ago when more than max are kept.
func (p *pages) Put(n int, recs []catalog.Record) {
	if p.busy == n {
		p.busy = -1
	}
	ids := p.ids[n*p.size : min(len(p.ids), (n+1)*p.size)]
	byID := make(map[int64]catalog.Record, len(recs))
	for _, r := range recs {
		byID[r.ID] = r
	}
	rows := make([]catalog.Record, len(ids))
	for i, id := range ids {
		rows[i] = byID[id]
	}
	p.got[n] = rows
	p.tick++
	p.used[n] = p.tick
	for len(p.got) > p.max {
		oldest, at := -1, p.tick+1
		for k, u := range p.used {
			if k != n && u < at {
				oldest, at = k, u
			}
		}
		if oldest < 0 {
			break
		}
		delete(p.got, oldest)
		delete(p.used, oldest)
	}
}

// Failed gives up the page being read (it is asked for again when shown).
func (p *pages) Failed(n int) {
	if p.busy == n {
		p.busy = -1
	}
}

// Index is the row of product id, -1 when the list does not hold it.
func (p *pages) Index(id int64) int {
	for i, x := range p.ids {
		if x == id {
			return i
		}
	}
	return -1
}
