package reconcile

import (
	"cashier/app"
	"cashier/app/reconcile"
	"cashier/ui/i18n"
)

// The words for a line's kind, sides, resolution and a run's status are
// the ones `pos reconcile` prints (reconcile.*), so the screen and the
// command line say the same.

func kindName(k reconcile.Kind) string { return i18n.M(k.Name()) }

func recordName(r reconcile.Record) string { return i18n.M(r.Name()) }

func localName(s reconcile.LocalState) string { return i18n.M(s.Name()) }

func seenName(s reconcile.SeenState) string { return i18n.M(s.Name()) }

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
