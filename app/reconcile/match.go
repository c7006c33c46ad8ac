package reconcile

import (
	"encoding/binary"
	"hash/maphash"
	"sort"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// What each channel's bill lists, as far as the matcher must know it.
//
// A deposit's freeze is an order of Cloud Pay's order list; WeChat's and
// Alipay's trade bills list only what a deposit paid (its consumption).
// A WeChat consumption stays on the deposit's own order (its row carries
// the deposit's out_trade_no); Alipay's and Cloud Pay's become an order of
// their own, numbered by our out_request_no. Cloud Pay's order list gives
// each order once with its state now; WeChat's and Alipay's bills give
// events (a payment, a refund, a reversal) as rows.
func freezesBilled(ch app.ChannelName) bool    { return ch == app.ChannelCloudPay }
func consumeOnDeposit(ch app.ChannelName) bool { return ch == app.ChannelWeChat }
func ordersWithState(ch app.ChannelName) bool  { return ch == app.ChannelCloudPay }

// key names a number in the bill: a charge's out_trade_no or a refund's
// out_refund_no (two spaces: a refund number may look like anything).
type key struct {
	refund bool
	no     string
}

// billKey is where a record's money shows in the bill; billed is false for
// what the channel's bill never lists (a release; a freeze outside Cloud
// Pay).
func billKey(ch app.ChannelName, l Local) (k key, billed bool) {
	switch l.Record {
	case RecordRefund:
		return key{true, l.Ref}, true
	case RecordDeposit:
		return key{false, l.Ref}, freezesBilled(ch)
	case RecordConsume:
		if consumeOnDeposit(ch) && l.OutTradeNo != "" {
			return key{false, l.OutTradeNo}, true
		}
		return key{false, l.Ref}, true
	case RecordRelease:
		return key{false, l.Ref}, false
	}
	return key{false, l.Ref}, true
}

// role is what one bill row does.
type role int

const (
	roleCharge        role = iota // money taken (a payment, a freeze, a consumption)
	roleRefund                    // money given back under a refund number
	roleReversal                  // a charge given back by reversing it
	roleReversedOrder             // an order reversed (its state, no amount given back stated)
	rolePending                   // the customer still confirming
	roleNoMoney                   // closed, failed: nothing taken
)

// classify reads one row as the parsers write them (sync/channel/*/bill.go:
// SUCCESS, REFUND, REVOKED and, for Cloud Pay's orders, their states).
func classify(ch app.ChannelName, l app.BillLine) (role, key) {
	st := strings.ToUpper(strings.TrimSpace(l.Status))
	switch {
	case st == "REFUND" && ordersWithState(ch) && l.OutRefundNo == "":
		return roleCharge, key{false, l.OutTradeNo} // an order something was refunded of
	case st == "REFUND" && l.OutRefundNo != "" && l.OutRefundNo == l.OutTradeNo:
		return roleReversal, key{false, l.OutTradeNo} // Alipay writes a cancel that refunded as a refund under the order's number
	case st == "REFUND" && l.OutRefundNo == "":
		return roleRefund, key{true, l.OutTradeNo} // a refund without a number: never one of ours
	case st == "REFUND":
		return roleRefund, key{true, l.OutRefundNo}
	case st == "REVOKED" && l.RefundAmount > 0:
		return roleReversal, key{false, l.OutTradeNo}
	case st == "REVOKED":
		return roleReversedOrder, key{false, l.OutTradeNo}
	case st == "SUCCESS":
		return roleCharge, key{false, l.OutTradeNo}
	case st == "CLOSED" && l.RefundAmount > 0:
		// Cloud Pay shows an Alipay order refunded in full as closed.
		return roleCharge, key{false, l.OutTradeNo}
	case st == "USERPAYING" || st == "NOTPAY" || st == "PAYING" || st == "ACCEPT":
		return rolePending, key{false, l.OutTradeNo}
	}
	return roleNoMoney, key{false, l.OutTradeNo}
}

// item is one number as both sides know it.
type item struct {
	k        key
	local    *Local
	inWindow bool // the local record's time is in the bill day
	lines    int  // the bill's rows of it (duplicates not counted)
	merged   bool // its record went to the bill's row of the same transaction

	charged, returned, refunded, listed app.Money
	pending, closed, reversedOrder      bool
	txn                                 string
	at                                  time.Time
	dups                                int
}

func (it *item) seen() Seen {
	s := Seen{TransactionID: it.txn, At: it.at, Duplicates: it.dups}
	switch {
	case it.lines == 0:
		return s
	case it.k.refund:
		s.State, s.Amount = SeenRefunded, it.refunded
	case it.charged > 0:
		s.State, s.Amount, s.Returned = SeenPaid, it.charged, it.returned
		if it.returned >= it.charged {
			s.State = SeenReversed
		}
	case it.returned > 0:
		s.State, s.Returned = SeenReversed, it.returned
	case it.reversedOrder:
		s.State, s.Amount = SeenReversed, it.listed
	case it.pending:
		s.State, s.Amount = SeenPending, it.listed
	default:
		s.State, s.Amount = SeenClosed, it.listed
	}
	return s
}

// matcher matches one bill against the records of one day and channel.
type matcher struct {
	ch       app.ChannelName
	day      summary.Day
	from, to time.Time
	prefix   string

	items    map[key]*item
	order    []*item
	unbilled []Local // open records of kinds no bill lists
	bill     Totals
	others   Totals
	dups     int
}

func newMatcher(ch app.ChannelName, day summary.Day, prefix string) *matcher {
	from, to := Window(day)
	return &matcher{ch: ch, day: day, from: from, to: to, prefix: prefix, items: map[key]*item{}}
}

func (m *matcher) item(k key) *item {
	it := m.items[k]
	if it == nil {
		it = &item{k: k}
		m.items[k] = it
		m.order = append(m.order, it)
	}
	return it
}

// ours: a row under another terminal's number is that terminal's to
// reconcile (a refund made elsewhere of our payment is ours: its order is).
func (m *matcher) ours(l app.BillLine) bool {
	return m.prefix == "" || strings.HasPrefix(l.OutTradeNo, m.prefix)
}

func (t *Totals) add(r role, l app.BillLine) {
	switch r {
	case roleCharge:
		t.Count++
		t.Amount += l.Amount
	case roleRefund:
		t.RefundCount++
		t.RefundAmount += l.RefundAmount
	case roleReversal:
		t.RefundCount++
		t.RefundAmount += reversed(l)
	}
	t.Fee += l.Fee
}

func reversed(l app.BillLine) app.Money {
	if l.RefundAmount > 0 {
		return l.RefundAmount
	}
	return l.Amount
}

// lineHash stands for a row in the search for copies: a map keyed by the
// whole row took 25 MB for a 100,000-row bill.
func lineHash(seed maphash.Seed, l app.BillLine) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, s := range []string{l.OutTradeNo, l.TransactionID, l.OutRefundNo, l.RefundID, l.Status} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(l.Time.UnixNano()))
	binary.LittleEndian.PutUint64(b[8:], uint64(l.Amount))
	binary.LittleEndian.PutUint64(b[16:], uint64(l.RefundAmount))
	binary.LittleEndian.PutUint64(b[24:], uint64(l.Fee))
	h.Write(b[:])
	return h.Sum64()
}

// addBill reads the bill's rows; a row identical to one before is counted
// once and reported on its number.
func (m *matcher) addBill(b app.Bill) {
	seed := maphash.MakeSeed()
	first := make(map[uint64]int32, len(b.Lines)) // a row's hash → the first row with it
	for i, l := range b.Lines {
		r, k := classify(m.ch, l)
		h := lineHash(seed, l)
		if j, ok := first[h]; ok && b.Lines[j] == l {
			m.dups++
			if m.ours(l) {
				m.item(k).dups++
			}
			continue
		} else if !ok {
			first[h] = int32(i)
		}
		if !m.ours(l) {
			m.others.add(r, l)
			continue
		}
		m.bill.add(r, l)
		it := m.item(k)
		it.lines++
		switch r {
		case roleCharge:
			it.charged += l.Amount
		case roleRefund:
			it.refunded += l.RefundAmount
		case roleReversal:
			it.returned += reversed(l)
		case roleReversedOrder:
			it.reversedOrder, it.listed = true, l.Amount
		case rolePending:
			it.pending, it.listed = true, l.Amount
		default:
			it.closed, it.listed = true, l.Amount
		}
		if it.txn == "" {
			it.txn = l.TransactionID
			if r == roleRefund {
				it.txn = l.RefundID
			}
		}
		if it.at.IsZero() || l.Time.Before(it.at) {
			it.at = l.Time
		}
	}
}

func (m *matcher) inWindow(t time.Time) bool { return !t.Before(m.from) && t.Before(m.to) }

// addLocal puts one record beside the bill's numbers (l is kept, not
// copied). A record already there (a lookup finds what the day's records
// held) is left as it is.
func (m *matcher) addLocal(l *Local) {
	k, billed := billKey(m.ch, *l)
	if !billed {
		if l.State == LocalOpen || l.State == LocalManual {
			m.unbilled = append(m.unbilled, *l)
		}
		return
	}
	it := m.items[k]
	if it != nil && it.local != nil {
		return
	}
	if it == nil && l.State == LocalNone {
		return // nothing moved and the bill says nothing: nothing to tell
	}
	it = m.item(k)
	it.local, it.inWindow = l, m.inWindow(l.At)
}

// wanted lists the bill's numbers of ours that no record of the day
// holds, to be looked up by number.
func (m *matcher) wanted() (charges, refunds []string) {
	for _, it := range m.order {
		if it.local != nil || it.lines == 0 || it.merged {
			continue
		}
		if it.k.refund {
			refunds = append(refunds, it.k.no)
		} else {
			charges = append(charges, it.k.no)
		}
	}
	return charges, refunds
}

// byTransaction puts a record the bill has no row of under its number
// beside a row of the bill no record holds, when both name the same
// channel transaction (a payment's transaction_id, a refund's refund_id):
// the channel wrote another number than ours on that row.
func (m *matcher) byTransaction() {
	lonely := map[key]*item{}
	for _, it := range m.order {
		if l := it.local; l != nil && it.lines == 0 && !it.merged && l.TransactionID != "" {
			lonely[key{it.k.refund, l.TransactionID}] = it
		}
	}
	if len(lonely) == 0 {
		return
	}
	for _, it := range m.order {
		if it.local != nil || it.lines == 0 || it.txn == "" {
			continue
		}
		if other := lonely[key{it.k.refund, it.txn}]; other != nil && !other.merged {
			it.local, it.inWindow = other.local, other.inWindow
			other.local, other.merged = nil, true
		}
	}
}

// lonely lists the refs of records with money moved in the day that the
// bill does not hold: another day's bill may have had them.
func (m *matcher) lonely() []string {
	var out []string
	for _, it := range m.order {
		if l := it.local; l != nil && it.lines == 0 && it.inWindow && l.State == LocalMoved && !it.merged {
			out = append(out, l.Ref)
		}
	}
	return out
}

// compare is what one record and what the bill says of its number make.
// A record not settled here is never matched, whatever the bill says.
func compare(l Local, s Seen) Kind {
	if l.State == LocalOpen || l.State == LocalManual {
		return StateDiffers
	}
	moved := l.State == LocalMoved
	switch s.State {
	case SeenAbsent:
		if moved {
			return MissingChannel
		}
		return Matched
	case SeenPaid, SeenRefunded:
		switch {
		case !moved, s.Returned > 0:
			return StateDiffers
		case s.Amount != l.Amount:
			return AmountDiffers
		}
		return Matched
	}
	// reversed, closed, pending: the channel holds no money of it
	if moved {
		return StateDiffers
	}
	return Matched
}

func recordOf(it *item) Record {
	if it.local != nil {
		return it.local.Record
	}
	if it.k.refund {
		return RecordRefund
	}
	return RecordPayment
}

// finish makes the run's totals and the lines to keep: every difference,
// a row seen twice, and a record matched on a bill day other than its own
// (kept so that day does not miss it). elsewhere holds the records a kept
// run of another day matched.
func (m *matcher) finish(elsewhere map[string]summary.Day) (Run, []Difference) {
	run := Run{Day: m.day, Channel: m.ch, Bill: m.bill, Others: m.others, Duplicates: m.dups}
	var lines []Difference
	for _, it := range m.order {
		if it.merged {
			continue
		}
		l, s := it.local, it.seen()
		var kind Kind
		switch {
		case l == nil:
			kind = MissingLocal
		case it.lines == 0 && !it.inWindow:
			continue // placed in a neighbouring day, and that day's bill has it (or will say)
		case it.lines == 0 && l.State == LocalMoved:
			if _, ok := elsewhere[l.Ref]; ok {
				continue
			}
			kind = compare(*l, s)
		default:
			kind = compare(*l, s)
		}
		if l != nil && l.State == LocalMoved {
			if l.Record == RecordRefund {
				run.Local.RefundCount++
				run.Local.RefundAmount += l.Amount
			} else {
				run.Local.Count++
				run.Local.Amount += l.Amount
			}
		}
		if kind == Matched {
			run.Matched++
			if s.Duplicates == 0 && it.inWindow {
				continue
			}
		}
		d := Difference{Day: m.day, Channel: m.ch, Kind: kind, Record: recordOf(it), Ref: it.k.no, Seen: s, At: s.At}
		if l != nil {
			d.Ref, d.OutTradeNo, d.OrderNo = l.Ref, l.OutTradeNo, l.OrderNo
			d.TransactionID = l.TransactionID
			d.LocalState, d.LocalStored, d.LocalAmount, d.At = l.State, l.Stored, l.Amount, l.At
		} else if !it.k.refund {
			d.OutTradeNo = it.k.no
		}
		if d.TransactionID == "" {
			d.TransactionID = s.TransactionID
		}
		if kind == Matched {
			d.Resolution = ResolvedMatched
		}
		lines = append(lines, d)
	}
	for _, l := range m.unbilled {
		if !m.inWindow(l.At) {
			continue
		}
		lines = append(lines, Difference{Day: m.day, Channel: m.ch, Kind: StateDiffers, Record: l.Record, Ref: l.Ref,
			OutTradeNo: l.OutTradeNo, OrderNo: l.OrderNo, TransactionID: l.TransactionID, LocalState: l.State,
			LocalStored: l.Stored, LocalAmount: l.Amount, At: l.At})
	}
	SortLines(lines)
	return run, lines
}

// SortLines puts unresolved lines first, then by kind (as Kinds lists
// them) and time.
func SortLines(lines []Difference) {
	rank := map[Kind]int{}
	for i, k := range Kinds {
		rank[k] = i
	}
	sort.SliceStable(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		if a.Resolved() != b.Resolved() {
			return !a.Resolved()
		}
		if rank[a.Kind] != rank[b.Kind] {
			return rank[a.Kind] < rank[b.Kind]
		}
		return a.At.Before(b.At)
	})
}
