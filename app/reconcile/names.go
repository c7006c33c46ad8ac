package reconcile

import "cashier/app"

// The words for a line's kind and sides, one table for the screen and
// `pos reconcile` alike. A code this build does not know (a newer
// database's) is named by the catch-all of its kind.

// Name is the kind in words.
func (k Kind) Name() app.Message {
	switch k {
	case Matched:
		return app.Msg("reconcile.kind.matched")
	case MissingLocal:
		return app.Msg("reconcile.kind.missing_local")
	case MissingChannel:
		return app.Msg("reconcile.kind.missing_channel")
	case AmountDiffers:
		return app.Msg("reconcile.kind.amount_differs")
	case StateDiffers:
		return app.Msg("reconcile.kind.state_differs")
	}
	return app.Msg("reconcile.unknown_code", "Code", string(k))
}

// Name is the record in words.
func (r Record) Name() app.Message {
	switch r {
	case RecordDeposit:
		return app.Msg("reconcile.record.deposit")
	case RecordConsume:
		return app.Msg("reconcile.record.consume")
	case RecordRelease:
		return app.Msg("reconcile.record.release")
	case RecordRefund:
		return app.Msg("reconcile.record.refund")
	case RecordPayment:
		return app.Msg("reconcile.record.payment")
	}
	return app.Msg("reconcile.unknown_code", "Code", string(r))
}

// Name is the till's side in words.
func (s LocalState) Name() app.Message {
	switch s {
	case LocalMoved:
		return app.Msg("reconcile.local.moved")
	case LocalNone:
		return app.Msg("reconcile.local.none")
	case LocalOpen:
		return app.Msg("reconcile.local.open")
	case LocalManual:
		return app.Msg("reconcile.local.manual")
	}
	return app.Msg("reconcile.local.absent")
}

// Name is the channel's side in words.
func (s SeenState) Name() app.Message {
	switch s {
	case SeenPaid:
		return app.Msg("reconcile.seen.paid")
	case SeenReversed:
		return app.Msg("reconcile.seen.reversed")
	case SeenClosed:
		return app.Msg("reconcile.seen.closed")
	case SeenPending:
		return app.Msg("reconcile.seen.pending")
	case SeenRefunded:
		return app.Msg("reconcile.seen.refunded")
	}
	return app.Msg("reconcile.seen.absent")
}
