package reconcile

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/summary"
)

var day = summary.Day{Year: 2026, Month: time.November, D: 30}

// at is a time of the bill day (China time); h may pass 24 for the next day.
func at(h, m, s int) time.Time { return time.Date(2026, 11, 30, h, m, s, 0, app.ChinaTime) }

const pfx = "sz01T1"

func pay(no string, amount app.Money, when time.Time) Local {
	return Local{Record: RecordPayment, Ref: no, OutTradeNo: no, OrderNo: "O" + no, State: LocalMoved, Stored: "paid", Amount: amount, At: when}
}

func refund(no, order string, amount app.Money, when time.Time) Local {
	return Local{Record: RecordRefund, Ref: no, OutTradeNo: order, State: LocalMoved, Stored: "refunded", Amount: amount, At: when}
}

func success(no string, amount app.Money, when time.Time) app.BillLine {
	return app.BillLine{Time: when, OutTradeNo: no, TransactionID: "T" + no, Status: "SUCCESS", Amount: amount, Fee: (amount*6 + 500) / 1000}
}

func refundLine(no, order string, amount app.Money, when time.Time) app.BillLine {
	return app.BillLine{Time: when, OutTradeNo: order, TransactionID: "T" + order, OutRefundNo: no, RefundID: "RID" + no,
		Status: "REFUND", RefundAmount: amount, Fee: -(amount*6 + 500) / 1000}
}

// match runs the matcher as Service.run does, with lookup standing for
// the records found by number outside the day.
func match(ch app.ChannelName, bill []app.BillLine, locals []Local, lookup []Local, elsewhere map[string]summary.Day) (Run, []Difference) {
	m := newMatcher(ch, day, pfx)
	m.addBill(app.Bill{Channel: ch, Lines: bill})
	for i := range locals {
		m.addLocal(&locals[i])
	}
	charges, refunds := m.wanted()
	want := map[string]bool{}
	for _, n := range append(charges, refunds...) {
		want[n] = true
	}
	for i := range lookup {
		k, _ := billKey(ch, lookup[i])
		if want[k.no] {
			m.addLocal(&lookup[i])
		}
	}
	m.byTransaction()
	return m.finish(elsewhere)
}

func kinds(lines []Difference) map[string]Kind {
	out := map[string]Kind{}
	for _, d := range lines {
		out[d.Ref] = d.Kind
	}
	return out
}

func TestMatch_EachKindAndOnlyThem(t *testing.T) {
	bill := []app.BillLine{
		success(pfx+"01", 1250, at(9, 0, 0)), // matched
		success(pfx+"02", 3000, at(9, 5, 0)), // matched, refunded in part
		refundLine(pfx+"R1", pfx+"02", 500, at(10, 0, 0)),
		success(pfx+"03", 800, at(11, 0, 0)),       // only at the channel
		success(pfx+"05", 1001, at(12, 0, 0)),      // 1 fen more than here
		success(pfx+"06", 700, at(13, 0, 0)),       // paid there, unknown here
		success(pfx+"01", 1250, at(9, 0, 0)),       // a copy of the first row
		success("sz01OTHER09", 9900, at(14, 0, 0)), // another terminal's
	}
	unknown := pay(pfx+"06", 700, at(12, 59, 58))
	unknown.State, unknown.Stored = LocalOpen, "unknown"
	locals := []Local{
		pay(pfx+"01", 1250, at(9, 0, 1)),
		pay(pfx+"02", 3000, at(9, 5, 2)),
		refund(pfx+"R1", pfx+"02", 500, at(10, 0, 1)),
		pay(pfx+"04", 2000, at(10, 30, 0)), // only here
		pay(pfx+"05", 1000, at(12, 0, 1)),
		unknown,
	}
	run, lines := match(app.ChannelWeChat, bill, locals, nil, nil)
	assert.Equal(t, map[string]Kind{
		pfx + "01": Matched, // kept: its row came twice
		pfx + "03": MissingLocal,
		pfx + "04": MissingChannel,
		pfx + "05": AmountDiffers,
		pfx + "06": StateDiffers,
	}, kinds(lines))
	for _, d := range lines {
		assert.Equal(t, d.Kind == Matched, d.Resolved(), "only a match resolves itself: %s", d.Ref)
	}
	byRef := map[string]Difference{}
	for _, d := range lines {
		byRef[d.Ref] = d
	}
	assert.Equal(t, 1, byRef[pfx+"01"].Seen.Duplicates)
	assert.Equal(t, app.Money(1001), byRef[pfx+"05"].Seen.Amount)
	assert.Equal(t, app.Money(1000), byRef[pfx+"05"].LocalAmount)
	assert.Equal(t, SeenPaid, byRef[pfx+"06"].Seen.State)
	assert.Equal(t, LocalOpen, byRef[pfx+"06"].LocalState)
	assert.Equal(t, LocalAbsent, byRef[pfx+"03"].LocalState)
	assert.Equal(t, pfx+"03", byRef[pfx+"03"].OutTradeNo)

	assert.Equal(t, 3, run.Matched, "01, 02 and its refund")
	assert.Equal(t, 1, run.Duplicates)
	assert.Equal(t, Totals{Count: 5, Amount: 1250 + 3000 + 800 + 1001 + 700, RefundCount: 1, RefundAmount: 500,
		Fee: 8 + 18 - 3 + 5 + 6 + 4}, run.Bill, "the copy is counted once")
	assert.Equal(t, Totals{Count: 1, Amount: 9900, Fee: 59}, run.Others)
	assert.Equal(t, Totals{Count: 4, Amount: 1250 + 3000 + 2000 + 1000, RefundCount: 1, RefundAmount: 500}, run.Local,
		"the unknown payment moved nothing here yet")
}

// The bill day is China time's: a payment taken at 23:59:59 and settled
// here after midnight is the day's, and the next day does not miss it.
func TestMatch_AroundMidnight(t *testing.T) {
	bill := []app.BillLine{success(pfx+"11", 500, at(23, 59, 59))}
	late := pay(pfx+"11", 500, at(24, 0, 3)) // settled here 4 s after midnight
	_, lines := match(app.ChannelWeChat, bill, []Local{late}, nil, nil)
	require.Len(t, lines, 1)
	assert.Equal(t, Matched, lines[0].Kind, "kept, for the next day to see")
	assert.True(t, lines[0].Resolved())

	// The next day: the record is in its day, the bill not; the day before matched it.
	next := summary.Day{Year: 2026, Month: time.December, D: 1}
	m := newMatcher(app.ChannelWeChat, next, pfx)
	m.addLocal(&late)
	assert.Equal(t, []string{pfx + "11"}, m.lonely())
	run, lines := m.finish(map[string]summary.Day{pfx + "11": day})
	assert.Empty(t, lines)
	assert.Zero(t, run.Local.Count, "counted on the day whose bill had it")

	// Without that, it is missing from the bill.
	m = newMatcher(app.ChannelWeChat, next, pfx)
	m.addLocal(&late)
	_, lines = m.finish(nil)
	require.Len(t, lines, 1)
	assert.Equal(t, MissingChannel, lines[0].Kind)

	// A record of the grace time before the day, with no row today: the
	// day before's bill has it (or will say it misses it); not this one.
	_, lines = match(app.ChannelWeChat, nil, []Local{pay(pfx+"12", 100, at(0, -5, 0))}, nil, nil)
	assert.Empty(t, lines)

	// A row whose record is far outside the window is found by number.
	old := pay(pfx+"13", 100, at(-30, 0, 0))
	_, lines = match(app.ChannelWeChat, []app.BillLine{success(pfx+"13", 100, at(8, 0, 0))}, nil, []Local{old}, nil)
	require.Len(t, lines, 1)
	assert.Equal(t, Matched, lines[0].Kind)
}

func TestMatch_NotSettledHereIsNeverMatched(t *testing.T) {
	for _, st := range []LocalState{LocalOpen, LocalManual} {
		l := pay(pfx+"21", 100, at(10, 0, 0))
		l.State = st
		_, lines := match(app.ChannelAlipay, []app.BillLine{success(pfx+"21", 100, at(10, 0, 0))}, []Local{l}, nil, nil)
		require.Len(t, lines, 1)
		assert.Equal(t, StateDiffers, lines[0].Kind, st)
		// and not in the bill either
		_, lines = match(app.ChannelAlipay, nil, []Local{l}, nil, nil)
		require.Len(t, lines, 1)
		assert.Equal(t, StateDiffers, lines[0].Kind, st)
	}
}

func TestMatch_Reversals(t *testing.T) {
	// WeChat: a payment reversed after it was charged is a SUCCESS row
	// and a REVOKED row; here it is reversed.
	reversed := pay(pfx+"31", 900, at(15, 0, 0))
	reversed.State, reversed.Stored = LocalNone, "reversed"
	revoked := app.BillLine{Time: at(15, 0, 20), OutTradeNo: pfx + "31", OutRefundNo: pfx + "31", Status: "REVOKED", RefundAmount: 900}
	_, lines := match(app.ChannelWeChat, []app.BillLine{success(pfx+"31", 900, at(15, 0, 0)), revoked}, nil, []Local{reversed}, nil)
	assert.Empty(t, lines, "charged and given back, as recorded")

	// The bill says reversed, we say paid.
	_, lines = match(app.ChannelWeChat, []app.BillLine{success(pfx+"32", 900, at(15, 0, 0)),
		{Time: at(15, 0, 20), OutTradeNo: pfx + "32", OutRefundNo: pfx + "32", Status: "REVOKED", RefundAmount: 900}},
		[]Local{pay(pfx+"32", 900, at(15, 0, 1))}, nil, nil)
	require.Len(t, lines, 1)
	assert.Equal(t, StateDiffers, lines[0].Kind)
	assert.Equal(t, SeenReversed, lines[0].Seen.State)

	// Alipay writes the cancel that refunded as a 退款 row under the
	// order's own number.
	aliCancel := app.BillLine{Time: at(15, 1, 0), OutTradeNo: pfx + "33", OutRefundNo: pfx + "33", Status: "REFUND", Amount: 900, RefundAmount: 900}
	r3 := reversed
	r3.Ref, r3.OutTradeNo = pfx+"33", pfx+"33"
	run, lines := match(app.ChannelAlipay, []app.BillLine{success(pfx+"33", 900, at(15, 0, 0)), aliCancel}, nil, []Local{r3}, nil)
	assert.Empty(t, lines)
	assert.Equal(t, 1, run.Bill.RefundCount)

	// A failed payment the channel charged: money held there.
	failed := pay(pfx+"34", 900, at(15, 0, 0))
	failed.State, failed.Stored = LocalNone, "failed"
	_, lines = match(app.ChannelWeChat, []app.BillLine{success(pfx+"34", 900, at(15, 0, 0))}, nil, []Local{failed}, nil)
	require.Len(t, lines, 1)
	assert.Equal(t, StateDiffers, lines[0].Kind)
}

func TestMatch_Refunds(t *testing.T) {
	bill := []app.BillLine{
		refundLine(pfx+"R41", pfx+"40", 300, at(10, 0, 0)),
		refundLine(pfx+"R42", pfx+"40", 200, at(10, 1, 0)),
		refundLine("MERCHANT-PLATFORM-1", pfx+"40", 100, at(10, 2, 0)), // made elsewhere, of our payment
	}
	failed := refund(pfx+"R43", pfx+"40", 50, at(10, 3, 0))
	failed.State = LocalNone
	open := refund(pfx+"R44", pfx+"40", 70, at(10, 4, 0))
	open.State, open.Stored = LocalOpen, "processing"
	locals := []Local{refund(pfx+"R41", pfx+"40", 300, at(10, 0, 1)), refund(pfx+"R42", pfx+"40", 201, at(10, 1, 1)), failed, open,
		refund(pfx+"R45", pfx+"40", 80, at(10, 5, 0))}
	run, lines := match(app.ChannelWeChat, bill, locals, nil, nil)
	assert.Equal(t, map[string]Kind{
		pfx + "R42":           AmountDiffers,
		"MERCHANT-PLATFORM-1": MissingLocal,
		pfx + "R44":           StateDiffers,
		pfx + "R45":           MissingChannel,
	}, kinds(lines))
	for _, d := range lines {
		assert.Equal(t, RecordRefund, d.Record)
	}
	assert.Equal(t, 1, run.Matched)
	assert.Equal(t, Totals{RefundCount: 3, RefundAmount: 600, Fee: -2 - 1 - 1}, run.Bill)
}

// Cloud Pay's order list gives each order once with its state now.
func TestMatch_CloudPayOrderStates(t *testing.T) {
	bill := []app.BillLine{
		{Time: at(9, 0, 0), OutTradeNo: pfx + "51", TransactionID: "T51", Status: "REFUND", Amount: 1000, RefundAmount: 300}, // refunded in part
		{Time: at(9, 1, 0), OutRefundNo: pfx + "R51", OutTradeNo: pfx + "51", Status: "REFUND", RefundAmount: 300},
		{Time: at(9, 2, 0), OutTradeNo: pfx + "52", Status: "CLOSED", Amount: 600, RefundAmount: 600}, // Alipay, refunded in full
		{Time: at(9, 3, 0), OutTradeNo: pfx + "53", Status: "CLOSED", Amount: 400},                    // never paid
		{Time: at(9, 4, 0), OutTradeNo: pfx + "54", Status: "REVOKED", Amount: 400},                   // reversed
		{Time: at(9, 5, 0), OutTradeNo: pfx + "55", Status: "SUCCESS", Amount: 5000},                  // a deposit's freeze
	}
	closed := pay(pfx+"53", 400, at(9, 3, 1))
	closed.State = LocalNone
	revPaid := pay(pfx+"54", 400, at(9, 4, 1)) // we think it paid
	freeze := Local{Record: RecordDeposit, Ref: pfx + "55", OutTradeNo: pfx + "55", State: LocalMoved, Amount: 5000, At: at(9, 5, 1)}
	locals := []Local{pay(pfx+"51", 1000, at(9, 0, 1)), refund(pfx+"R51", pfx+"51", 300, at(9, 1, 1)), pay(pfx+"52", 600, at(9, 2, 1)),
		refund(pfx+"R52", pfx+"52", 600, at(9, 2, 30)), revPaid, freeze}
	_, lines := match(app.ChannelCloudPay, bill, locals, []Local{closed}, nil)
	assert.Equal(t, map[string]Kind{pfx + "54": StateDiffers, pfx + "R52": MissingChannel}, kinds(lines),
		"the full refund's own line is on another page of another day in this test")
}

func TestMatch_Deposits(t *testing.T) {
	// WeChat: the consumption is a SUCCESS row under the deposit's number;
	// the freeze and the release are in no bill.
	freeze := Local{Record: RecordDeposit, Ref: pfx + "61", OutTradeNo: pfx + "61", State: LocalMoved, Amount: 10000, At: at(8, 0, 0)}
	consume := Local{Record: RecordConsume, Ref: pfx + "C61", OutTradeNo: pfx + "61", State: LocalMoved, Amount: 3000, At: at(12, 0, 0)}
	release := Local{Record: RecordRelease, Ref: pfx + "U62", OutTradeNo: pfx + "62", State: LocalMoved, Amount: 5000, At: at(12, 0, 0)}
	openRelease := Local{Record: RecordRelease, Ref: pfx + "U63", OutTradeNo: pfx + "63", State: LocalOpen, Stored: "unknown", Amount: 5000, At: at(12, 0, 0)}
	run, lines := match(app.ChannelWeChat, []app.BillLine{success(pfx+"61", 3000, at(12, 0, 0))},
		[]Local{freeze, consume, release, openRelease}, nil, nil)
	assert.Equal(t, map[string]Kind{pfx + "U63": StateDiffers}, kinds(lines), "only the release not settled")
	assert.Equal(t, 1, run.Matched)
	assert.Equal(t, Totals{Count: 1, Amount: 3000}, run.Local, "what the bills list: the consumption")

	// Alipay: the consumption is a trade of its own, numbered by our request.
	aliConsume := consume
	_, lines = match(app.ChannelAlipay, []app.BillLine{success(pfx+"C61", 3000, at(12, 0, 0))}, []Local{freeze, aliConsume}, nil, nil)
	assert.Empty(t, lines)
	_, lines = match(app.ChannelAlipay, []app.BillLine{success(pfx+"61", 3000, at(12, 0, 0))}, []Local{freeze, aliConsume}, nil, nil)
	assert.Equal(t, map[string]Kind{pfx + "61": MissingLocal, pfx + "C61": MissingChannel}, kinds(lines))

	// WeChat's consumption found by the deposit's number outside the day.
	_, lines = match(app.ChannelWeChat, []app.BillLine{success(pfx+"61", 3000, at(12, 0, 0))}, nil, []Local{freeze, consume}, nil)
	assert.Equal(t, map[string]Kind{}, kinds(lines))
}

// A row under another number than ours is matched by the channel's
// transaction number (a payment's transaction_id, a refund's refund_id).
func TestMatch_ByTransactionNumber(t *testing.T) {
	l := pay(pfx+"71", 600, at(11, 0, 0))
	l.TransactionID = "4200071"
	row := success(pfx+"71-BILL", 600, at(11, 0, 0))
	row.TransactionID = "4200071"
	r := refund(pfx+"R72", pfx+"71", 100, at(11, 5, 0))
	r.TransactionID = "5000072"
	rrow := refundLine(pfx+"R72-BILL", pfx+"71-BILL", 100, at(11, 5, 0))
	rrow.RefundID = "5000072"
	run, lines := match(app.ChannelWeChat, []app.BillLine{row, rrow}, []Local{l, r}, nil, nil)
	assert.Empty(t, lines)
	assert.Equal(t, 2, run.Matched)

	// Another amount under the same transaction is still a difference.
	row.Amount = 601
	_, lines = match(app.ChannelWeChat, []app.BillLine{row}, []Local{l}, nil, nil)
	assert.Equal(t, map[string]Kind{pfx + "71": AmountDiffers}, kinds(lines))
}

func TestMatch_NoPrefixTakesEveryRowAsOurs(t *testing.T) {
	m := newMatcher(app.ChannelWeChat, day, "")
	m.addBill(app.Bill{Lines: []app.BillLine{success("ANY1", 100, at(9, 0, 0))}})
	run, lines := m.finish(nil)
	require.Len(t, lines, 1)
	assert.Equal(t, MissingLocal, lines[0].Kind)
	assert.Zero(t, run.Others.Count)
}

func TestCompare_Table(t *testing.T) {
	moved := Local{State: LocalMoved, Amount: 100}
	none := Local{State: LocalNone, Amount: 100}
	cases := []struct {
		l    Local
		s    Seen
		want Kind
	}{
		{moved, Seen{}, MissingChannel},
		{none, Seen{}, Matched},
		{moved, Seen{State: SeenPaid, Amount: 100}, Matched},
		{moved, Seen{State: SeenPaid, Amount: 99}, AmountDiffers},
		{moved, Seen{State: SeenPaid, Amount: 100, Returned: 40}, StateDiffers},
		{none, Seen{State: SeenPaid, Amount: 100}, StateDiffers},
		{moved, Seen{State: SeenRefunded, Amount: 100}, Matched},
		{none, Seen{State: SeenRefunded, Amount: 100}, StateDiffers},
		{moved, Seen{State: SeenReversed}, StateDiffers},
		{none, Seen{State: SeenReversed}, Matched},
		{moved, Seen{State: SeenClosed}, StateDiffers},
		{none, Seen{State: SeenPending}, Matched},
		{Local{State: LocalOpen}, Seen{State: SeenPaid, Amount: 100}, StateDiffers},
		{Local{State: LocalManual}, Seen{}, StateDiffers},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, compare(c.l, c.s), "%+v %+v", c.l, c.s)
	}
}

func TestWindow_IsChinaTime(t *testing.T) {
	from, to := Window(day)
	assert.Equal(t, time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC), from.UTC())
	assert.Equal(t, 24*time.Hour, to.Sub(from))
}
