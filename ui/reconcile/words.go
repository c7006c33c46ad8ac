package reconcile

import (
	"cashier/app"
	"cashier/app/reconcile"
	"cashier/ui/i18n"
)

// The words for a line's kind, sides, resolution and a run's status are
// the ones `pos reconcile` prints (reconcile.*), so the screen and the
// command line say the same.

func kindName(k reconcile.Kind) string {
	switch k {
	case reconcile.Matched:
		return i18n.T("reconcile.kind.matched")
	case reconcile.MissingLocal:
		return i18n.T("reconcile.kind.missing_local")
	case reconcile.MissingChannel:
		return i18n.T("reconcile.kind.missing_channel")
	case reconcile.AmountDiffers:
		return i18n.T("reconcile.kind.amount_differs")
	case reconcile.StateDiffers:
		return i18n.T("reconcile.kind.state_differs")
	}
	return string(k)
}

func recordName(r reconcile.Record) string {
	switch r {
	case reconcile.RecordPayment:
		return i18n.T("reconcile.record.payment")
	case reconcile.RecordDeposit:
		return i18n.T("reconcile.record.deposit")
	case reconcile.RecordConsume:
		return i18n.T("reconcile.record.consume")
	case reconcile.RecordRelease:
		return i18n.T("reconcile.record.release")
	case reconcile.RecordRefund:
		return i18n.T("reconcile.record.refund")
	}
	return string(r)
}

func localName(s reconcile.LocalState) string {
	switch s {
	case reconcile.LocalMoved:
		return i18n.T("reconcile.local.moved")
	case reconcile.LocalNone:
		return i18n.T("reconcile.local.none")
	case reconcile.LocalOpen:
		return i18n.T("reconcile.local.open")
	case reconcile.LocalManual:
		return i18n.T("reconcile.local.manual")
	}
	return i18n.T("reconcile.local.absent")
}

func seenName(s reconcile.SeenState) string {
	switch s {
	case reconcile.SeenPaid:
		return i18n.T("reconcile.seen.paid")
	case reconcile.SeenReversed:
		return i18n.T("reconcile.seen.reversed")
	case reconcile.SeenClosed:
		return i18n.T("reconcile.seen.closed")
	case reconcile.SeenPending:
		return i18n.T("reconcile.seen.pending")
	case reconcile.SeenRefunded:
		return i18n.T("reconcile.seen.refunded")
	}
	return i18n.T("reconcile.seen.absent")
}

func statusName(r reconcile.Run) string {
	var s string
	switch r.Status {
	case reconcile.StatusNotReady:
		s = i18n.T("reconcile.status.not_ready")
	case reconcile.StatusFailed:
		s = i18n.T("reconcile.status.failed")
	case reconcile.StatusOpen:
		s = i18n.T("reconcile.status.open", "Open", r.Open)
	case reconcile.StatusDone:
		s = i18n.T("reconcile.status.done")
	case reconcile.StatusEmpty:
		s = i18n.T("reconcile.status.empty")
	default:
		s = string(r.Status)
	}
	if r.Error.Code != "" && r.Status != reconcile.StatusNotReady && r.Status != reconcile.StatusFailed {
		// An earlier result stands beside a failed attempt: say both, so
		// "done" never hides that the last try did not get a bill.
		s = i18n.T("reconview.status_last_failed", "Status", s)
	}
	return s
}

// settled reports whether a person's settling (a query through the
// payment state machine) resolved the line.
func settled(d reconcile.Difference) bool {
	return d.Resolution == reconcile.ResolvedMatched && d.ResolvedBy != 0 && d.MatchedOn.IsZero()
}

// resolutionText says why a line needs nobody, or that it waits.
func resolutionText(d reconcile.Difference) string {
	switch {
	case d.Resolution == reconcile.ResolvedExplained:
		return i18n.T("reconcile.resolution.explained", "Note", d.Note, "By", d.ResolvedByName)
	case d.Resolution == reconcile.ResolvedMatched && !d.MatchedOn.IsZero():
		return i18n.T("reconcile.resolution.other_day", "Day", d.MatchedOn.String())
	case settled(d):
		return i18n.T("reconcile.resolution.settled", "By", d.ResolvedByName)
	case d.Resolution == reconcile.ResolvedMatched && d.Seen.Duplicates > 0:
		return i18n.T("reconcile.resolution.duplicate", "Count", d.Seen.Duplicates)
	case d.Resolution == reconcile.ResolvedMatched:
		return i18n.T("reconcile.resolution.matched")
	}
	return i18n.T("reconcile.resolution.open")
}

// channelName is a channel in words; "" is every channel.
func channelName(ch app.ChannelName) string {
	if ch == "" {
		return i18n.T("reconview.all_channels")
	}
	return i18n.M(app.ChannelTitle(ch))
}

// localSide is this terminal's side of a line: its state and amount.
func localSide(d reconcile.Difference) string {
	if d.LocalState == reconcile.LocalAbsent {
		return localName(d.LocalState)
	}
	return localName(d.LocalState) + " " + d.LocalAmount.Display()
}

// billSide is the bill's side of a line.
func billSide(d reconcile.Difference) string {
	if d.Seen.State == reconcile.SeenAbsent {
		return seenName(d.Seen.State)
	}
	return seenName(d.Seen.State) + " " + d.Seen.Amount.Display()
}

func totalsText(t reconcile.Totals) string {
	return i18n.T("reconview.totals", "Count", t.Count, "Amount", t.Amount, "Refunds", t.RefundCount, "RefundAmount", t.RefundAmount)
}

// orDash keeps an empty field visible as empty.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
