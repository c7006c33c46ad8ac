package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"cashier/sync/backoffice/protocol"
)

// Ref names one queued record at the version that was read, so it is
// marked sent only at that version.
type Ref struct {
	Seq     int64 // its place in the queue
	Version int64
}

// Pending is a queued record with its payload as it stands.
type Pending struct {
	Ref
	Topic   string
	ID      string
	Payload json.RawMessage
}

// Held is a record the queue keeps back: too large to send until it
// changes. It stays unsynced.
type Held struct {
	Ref
	Topic, ID string
	Bytes     int
}

// Limits bound one batch read from the queue.
type Limits struct {
	Records     int // at most protocol.MaxRecords
	Bytes       int // the records' JSON, under protocol.MaxBodyBytes with room for the envelope
	RecordBytes int // one record's payload, protocol.MaxPayloadBytes
}

// DefaultLimits keep a batch inside what the back office accepts: 1,000
// records, 3.5 MiB of records under the 4 MiB body limit.
var DefaultLimits = Limits{Records: protocol.MaxRecords, Bytes: 7 << 19, RecordBytes: protocol.MaxPayloadBytes}

// Outbox is the terminal's queue of records to push (localdb's outbox).
type Outbox interface {
	// Pending reads the oldest pending records within lim; held are the
	// ones it found too large and keeps back from now on.
	Pending(ctx context.Context, lim Limits) (recs []Pending, held []Held, err error)
	// MarkSent records that the back office holds refs, each at its version.
	MarkSent(ctx context.Context, refs []Ref, at time.Time) error
	// MarkFailed notes a failed attempt, and why, on records that stay pending.
	MarkFailed(ctx context.Context, refs []Ref, reason string) error
	// Hold keeps a record back until it changes (the back office refused it alone).
	Hold(ctx context.Context, ref Ref, reason string) error
	// Unsynced counts the records not yet pushed, held ones included.
	Unsynced(ctx context.Context) (int64, error)
}

// Sender sends one batch (Client).
type Sender interface {
	Push(ctx context.Context, recs []protocol.Record) (protocol.PushResult, error)
}

// PushProgress is how far a push has got.
type PushProgress struct {
	Pushed  int   // records the back office holds from this run
	Batches int   // batches it accepted
	Held    int   // records kept back as too large
	Total   int64 // unsynced when the run started (sales made meanwhile come on top)
}

// PushResult is what a push did.
type PushResult struct {
	PushProgress
	Applied   int   // new or newer at the back office
	Unchanged int   // already held there at that version or newer
	Remaining int64 // still unsynced when the run ended, held ones included
}

// Pusher drains the outbox: a batch read, pushed, marked sent; again until
// nothing is pending. A batch the back office finds too large (413) is
// split in halves, and a record it refuses alone is held, so no record
// blocks the ones behind it. Any other error ends the run with the batch's
// records pending and the error noted on them: Retryable(err) says whether
// to try later (the job waits Backoff first); a refusal is not retried. A
// cancelled ctx stops the run between batches; a batch cut off in flight
// is sent again next time (ingest is idempotent).
type Pusher struct {
	Sender   Sender
	Terminal string // the enrolled terminal id each record carries
	Outbox   Outbox
	Limits   Limits // zero: DefaultLimits
	// Progress hears of the start and of every batch accepted (on the
	// pushing goroutine); nil: none.
	Progress func(PushProgress)
	Now      func() time.Time // nil: time.Now
}

// NewPusher pushes outbox through c as c's terminal.
func NewPusher(c *Client, outbox Outbox) *Pusher {
	return &Pusher{Sender: c, Terminal: c.Terminal, Outbox: outbox, Now: c.Now}
}

// Run pushes until nothing is pending, or an error.
func (p *Pusher) Run(ctx context.Context) (res PushResult, err error) {
	lim := p.Limits
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	if res.Total, err = p.Outbox.Unsynced(ctx); err != nil {
		return res, err
	}
	p.progress(res)
	defer func() {
		// Counted even when the run was cancelled: the caller reports it.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if n, cerr := p.Outbox.Unsynced(cctx); cerr == nil {
			res.Remaining = n
		} else if err == nil {
			err = cerr
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		recs, held, err := p.Outbox.Pending(ctx, lim)
		if err != nil {
			return res, err
		}
		res.Held += len(held)
		if len(recs) == 0 {
			if len(held) > 0 {
				continue // what was behind them
			}
			return res, nil
		}
		if err := p.send(ctx, recs, &res); err != nil {
			return res, err
		}
	}
}

func (p *Pusher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pusher) progress(res PushResult) {
	if p.Progress != nil {
		p.Progress(res.PushProgress)
	}
}

// send pushes one batch, split while the back office says it is too large.
func (p *Pusher) send(ctx context.Context, batch []Pending, res *PushResult) error {
	recs := make([]protocol.Record, len(batch))
	refs := make([]Ref, len(batch))
	for i, b := range batch {
		recs[i] = protocol.Record{Terminal: p.Terminal, Topic: b.Topic, ID: b.ID, Version: b.Version, Payload: b.Payload}
		refs[i] = b.Ref
	}
	// The queue's own writes finish whatever happens to ctx: a batch the
	// back office holds is marked, a failure is noted.
	wctx := context.WithoutCancel(ctx)
	out, err := p.Sender.Push(ctx, recs)
	if err == nil {
		if err := p.Outbox.MarkSent(wctx, refs, p.now()); err != nil {
			return err
		}
		res.Pushed += len(batch)
		res.Batches++
		res.Applied += out.Applied
		res.Unchanged += out.Unchanged
		p.progress(*res)
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) && ce.Status == http.StatusRequestEntityTooLarge {
		if len(batch) > 1 {
			half := len(batch) / 2
			if err := p.send(ctx, batch[:half], res); err != nil {
				return err
			}
			return p.send(ctx, batch[half:], res)
		}
		reason := fmt.Sprintf("the back office refused record %s alone as too large: %v", batch[0].ID, err)
		if err := p.Outbox.Hold(wctx, batch[0].Ref, reason); err != nil {
			return err
		}
		res.Held++
		p.progress(*res)
		return nil
	}
	if ctx.Err() == nil {
		if merr := p.Outbox.MarkFailed(wctx, refs, err.Error()); merr != nil {
			return errors.Join(err, merr)
		}
	}
	return err
}
