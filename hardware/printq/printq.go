// Package printq is the durable print queue: a receipt is written to the
// database before a byte goes to the printer, survives a restart and an
// unplugged printer, and is printed once when the printer is back.
//
// Life of a job:
//
//	queued ──(printer ready, send starts)──▶ printing ──(printer confirmed)──▶ printed
//	   ▲                                          │
//	   └──────(write failed / not confirmed)──────┘   (after MaxAttempts: failed)
//	queued ──Cancel──▶ cancelled        failed ──Retry──▶ queued
//
// "Confirmed" means the printer answered the status request sent right
// after the job (see hardware/printer): it had received every byte. A job
// whose bytes were not all written, or not confirmed, goes back to queued
// and is sent again whole; a confirmed job is never sent again.
//
// While the printer is out of paper, open, offline or unplugged the job
// stays queued (not printing) and its LastError says why.
//
// Start-up: a job found in printing was being sent when the program
// stopped; whether the printer got all of it is unknown. It is put back to
// queued and printed again: at-least-once in that window (a possible
// duplicate receipt) rather than at-most-once (a possibly missing one). The
// window is one write plus the confirmation, a few milliseconds for a
// normal receipt. Its LastError says it may be a duplicate.
package printq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"cashier/app"
	"cashier/hardware"
	"cashier/hardware/escpos"
)

// State is a job's state, as stored (print_jobs.state).
type State string

const (
	Queued    State = "queued"
	Printing  State = "printing"
	Printed   State = "printed"
	Failed    State = "failed"
	Cancelled State = "cancelled"
)

// Label is the state in Chinese for the UI.
func (s State) Label() string {
	switch s {
	case Queued:
		return "等待打印"
	case Printing:
		return "正在打印"
	case Printed:
		return "已打印"
	case Failed:
		return "打印失败"
	case Cancelled:
		return "已取消"
	}
	return string(s)
}

// Kinds of jobs the app queues.
const (
	KindSale    = "sale"
	KindRefund  = "refund"
	KindDeposit = "deposit"
	KindShift   = "shift"
	KindReport  = "report" // a summary printed from Reports
	KindTest    = "test"
	KindReprint = "reprint"
)

// Job is one print job.
type Job struct {
	ID        int64
	Printer   string // configured printer name, e.g. "receipt"
	Kind      string
	Ref       string // order number etc.
	Payload   []byte // the exact ESC/POS bytes (empty in List results)
	State     State
	Attempts  int // sends started
	LastError string
	ReprintOf int64 // 0 when not a reprint
	CreatedAt time.Time
	UpdatedAt time.Time
	PrintedAt time.Time // zero until printed
}

// Filter selects jobs for List. Zero fields match everything; Limit 0
// means 100.
type Filter struct {
	Printer string
	States  []State
	Ref     string
	Limit   int
}

// Errors a Store returns.
var (
	ErrNotFound = errors.New("打印任务不存在 / print job not found")
	// ErrConflict is a state change from a state the job is no longer in.
	ErrConflict = errors.New("打印任务状态已变化 / print job state changed")
	ErrEmpty    = errors.New("打印内容为空 / empty print job")
	ErrNoPrint  = errors.New("未指定打印机 / no printer named")
)

// Store keeps jobs durably (localdb implements it on print_jobs).
type Store interface {
	// InsertJob stores a new queued job and returns its id; it is durable
	// when InsertJob returns.
	InsertJob(ctx context.Context, j Job) (int64, error)
	// GetJob returns a job with its payload, or ErrNotFound.
	GetJob(ctx context.Context, id int64) (Job, error)
	// ListJobs returns jobs newest first, without payloads.
	ListJobs(ctx context.Context, f Filter) ([]Job, error)
	// NextQueued returns the oldest queued job of a printer with its
	// payload, or ErrNotFound.
	NextQueued(ctx context.Context, printer string) (Job, error)
	// Transition moves a job from one of from to to and sets LastError.
	// Moving to Printing adds one to Attempts; moving to Printed sets
	// PrintedAt. ErrConflict when the job is in none of from.
	Transition(ctx context.Context, id int64, from []State, to State, lastErr string, at time.Time) error
	// SetLastError updates a queued job's LastError.
	SetLastError(ctx context.Context, id int64, msg string, at time.Time) error
	// RequeuePrinting puts every printing job back to queued (start-up).
	RequeuePrinting(ctx context.Context, msg string, at time.Time) (int, error)
}

// Device is the printer as the queue needs it (*printer.Printer).
type Device interface {
	// WaitReady blocks until the printer can print, reporting why it waits.
	WaitReady(ctx context.Context, onWait func(state hardware.DeviceState, err error)) error
	// Send writes a whole job; nil only when the printer confirmed it.
	Send(ctx context.Context, job []byte) error
}

// Options tune a Queue.
type Options struct {
	// MaxAttempts fails a job after this many sends that were not
	// confirmed (default 5; negative: never), so one job the printer
	// chokes on does not hold up the receipts behind it. Waiting for paper
	// or for the cable does not count.
	MaxAttempts int
	// RetryDelay is the pause after a database error (default 1 s).
	RetryDelay time.Duration
	// Reason is what LastError records for a printer state or a failed
	// send (err may be nil). The app stores a translation key here so the
	// queue is shown in the person's language (hardware/devicemsg.Code);
	// the default is the driver's own words.
	Reason func(state hardware.DeviceState, err error) string
	// Logger gets every send that failed, with the driver's error (Reason
	// may keep only a key, and a job that gave up only MsgGaveUp). Nil
	// means slog.Default().
	Logger *slog.Logger
}

// The LastError of the queue's own cases: translation keys, written with
// app.Msg so the translation check sees them.
var (
	// MsgInterrupted: the program stopped while sending this job; it is
	// queued again and may print twice.
	MsgInterrupted = app.Msg("print.interrupted").Code
	// MsgGaveUp: not printed after MaxAttempts sends; reprint by hand.
	MsgGaveUp = app.Msg("print.gave_up").Code
)

func defaultReason(state hardware.DeviceState, err error) string {
	if err != nil {
		return err.Error()
	}
	return string(state)
}

// Queue is the print queue with one worker per printer.
type Queue struct {
	store Store
	clock app.Clock
	opt   Options

	mu      sync.Mutex
	workers map[string]*worker
	subs    map[int]func(Job)
	nextSub int
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type worker struct {
	name   string
	dev    Device
	wake   chan struct{}
	cancel context.CancelFunc // set when started
	done   chan struct{}      // closed when its goroutine ends
}

// New makes a queue; call AddPrinter and Start.
func New(store Store, clock app.Clock, opt Options) *Queue {
	if clock == nil {
		clock = app.SystemClock{}
	}
	if opt.MaxAttempts == 0 {
		opt.MaxAttempts = 5
	}
	if opt.Reason == nil {
		opt.Reason = defaultReason
	}
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Queue{store: store, clock: clock, opt: opt, workers: map[string]*worker{}, subs: map[int]func(Job){}}
}

// Start puts jobs interrupted by the last shutdown back in the queue and
// starts the workers. Stop (or ctx) ends them.
func (q *Queue) Start(ctx context.Context) error {
	if _, err := q.store.RequeuePrinting(ctx, MsgInterrupted, q.clock.Now()); err != nil {
		return fmt.Errorf("恢复打印队列失败 / cannot recover the print queue: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ctx != nil {
		return errors.New("打印队列已启动 / print queue already started")
	}
	q.ctx, q.cancel = context.WithCancel(ctx)
	for _, w := range q.workers {
		q.startLocked(w)
	}
	return nil
}

// Stop ends the workers and waits for them. A job being sent is either
// confirmed and marked printed, or left queued.
func (q *Queue) Stop() {
	q.mu.Lock()
	cancel := q.cancel
	q.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	q.wg.Wait()
}

// AddPrinter attaches a printer under its configured name; jobs for that
// name are printed on it. A printer already attached under the name is
// detached first (see RemovePrinter); closing it is the caller's business.
func (q *Queue) AddPrinter(name string, d Device) {
	q.RemovePrinter(name)
	q.mu.Lock()
	defer q.mu.Unlock()
	w := &worker{name: name, dev: d, wake: make(chan struct{}, 1)}
	q.workers[name] = w
	if q.ctx != nil {
		q.startLocked(w)
	}
}

// RemovePrinter detaches a printer and waits for its worker to stop: a job
// being sent is finished and recorded, a job waiting for the printer stays
// queued for the next printer attached under the name.
func (q *Queue) RemovePrinter(name string) {
	q.mu.Lock()
	w := q.workers[name]
	delete(q.workers, name)
	q.mu.Unlock()
	if w != nil && w.cancel != nil {
		w.cancel()
		<-w.done
	}
}

func (q *Queue) startLocked(w *worker) {
	ctx, cancel := context.WithCancel(q.ctx)
	w.cancel, w.done = cancel, make(chan struct{})
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		defer close(w.done)
		q.run(ctx, w)
	}()
}

// Enqueue stores a job durably and wakes its printer's worker; it does not
// wait for the printer. A job for a printer not attached yet waits for it.
func (q *Queue) Enqueue(ctx context.Context, printer, kind, ref string, payload []byte) (int64, error) {
	return q.insert(ctx, Job{Printer: printer, Kind: kind, Ref: ref, Payload: payload})
}

func (q *Queue) insert(ctx context.Context, j Job) (int64, error) {
	if j.Printer == "" {
		return 0, ErrNoPrint
	}
	if len(j.Payload) == 0 {
		return 0, ErrEmpty
	}
	now := q.clock.Now()
	j.State, j.CreatedAt, j.UpdatedAt = Queued, now, now
	id, err := q.store.InsertJob(ctx, j)
	if err != nil {
		return 0, fmt.Errorf("保存打印任务失败 / cannot store the print job: %w", err)
	}
	q.wakeUp(j.Printer)
	q.notify(ctx, id)
	return id, nil
}

func (q *Queue) wakeUp(printer string) {
	q.mu.Lock()
	w := q.workers[printer]
	q.mu.Unlock()
	if w != nil {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Reprint queues a copy of a job's bytes as a new job (kind reprint,
// ReprintOf the original) headed by a "重印" line, so a copy can be told
// from the original.
func (q *Queue) Reprint(ctx context.Context, id int64) (int64, error) {
	old, err := q.store.GetJob(ctx, id)
	if err != nil {
		return 0, err
	}
	banner, err := escpos.New(escpos.Paper58).Align(escpos.AlignCenter).Bold(true).
		Line("** 重印 " + q.clock.Now().Format("2006-01-02 15:04:05") + " **").Bytes()
	if err != nil {
		return 0, err
	}
	payload := append(banner[:len(banner):len(banner)], old.Payload...)
	return q.insert(ctx, Job{Printer: old.Printer, Kind: KindReprint, Ref: old.Ref, Payload: payload, ReprintOf: old.ID})
}

// Cancel withdraws a job that has not been sent (queued or failed).
func (q *Queue) Cancel(ctx context.Context, id int64) error {
	err := q.store.Transition(ctx, id, []State{Queued, Failed}, Cancelled, "已取消 / cancelled", q.clock.Now())
	if err == nil {
		q.notify(ctx, id)
	}
	return err
}

// Retry puts a failed job back in the queue.
func (q *Queue) Retry(ctx context.Context, id int64) error {
	j, err := q.store.GetJob(ctx, id)
	if err != nil {
		return err
	}
	if err := q.store.Transition(ctx, id, []State{Failed}, Queued, "", q.clock.Now()); err != nil {
		return err
	}
	q.wakeUp(j.Printer)
	q.notify(ctx, id)
	return nil
}

// Get returns a job with its payload.
func (q *Queue) Get(ctx context.Context, id int64) (Job, error) { return q.store.GetJob(ctx, id) }

// List returns jobs, newest first, without payloads.
func (q *Queue) List(ctx context.Context, f Filter) ([]Job, error) { return q.store.ListJobs(ctx, f) }

// Subscribe calls fn (without the payload) whenever a job is added or
// changes state or LastError, on the goroutine that changed it.
func (q *Queue) Subscribe(fn func(Job)) (cancel func()) {
	q.mu.Lock()
	defer q.mu.Unlock()
	id := q.nextSub
	q.nextSub++
	q.subs[id] = fn
	return func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		delete(q.subs, id)
	}
}

func (q *Queue) notify(ctx context.Context, id int64) {
	q.mu.Lock()
	if len(q.subs) == 0 {
		q.mu.Unlock()
		return
	}
	subs := make([]func(Job), 0, len(q.subs))
	for _, fn := range q.subs {
		subs = append(subs, fn)
	}
	q.mu.Unlock()
	j, err := q.store.GetJob(context.WithoutCancel(ctx), id)
	if err != nil {
		return
	}
	j.Payload = nil
	for _, fn := range subs {
		fn(j)
	}
}

func (q *Queue) sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-q.clock.After(d):
		return true
	}
}

// run is one printer's worker: oldest queued job first, one at a time.
func (q *Queue) run(ctx context.Context, w *worker) {
	for ctx.Err() == nil {
		job, err := q.store.NextQueued(ctx, w.name)
		if errors.Is(err, ErrNotFound) {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			}
			continue
		}
		if err != nil {
			q.sleep(ctx, q.opt.RetryDelay)
			continue
		}
		q.print(ctx, w, job)
	}
}

func (q *Queue) print(ctx context.Context, w *worker, job Job) {
	err := w.dev.WaitReady(ctx, func(state hardware.DeviceState, why error) {
		if q.store.SetLastError(ctx, job.ID, q.opt.Reason(state, why), q.clock.Now()) == nil {
			q.notify(ctx, job.ID)
		}
	})
	if err != nil {
		return // ctx ended or the printer was closed; the job stays queued
	}
	// The job may have been cancelled while it waited.
	if err := q.store.Transition(ctx, job.ID, []State{Queued}, Printing, "", q.clock.Now()); err != nil {
		if !errors.Is(err, ErrConflict) {
			q.sleep(ctx, q.opt.RetryDelay)
		}
		return
	}
	q.notify(ctx, job.ID)
	sendErr := w.dev.Send(ctx, job.Payload)
	// Record the outcome even when shutting down: a confirmed job must not
	// stay in printing (it would be sent again at start-up).
	rctx := context.WithoutCancel(ctx)
	to, msg := Printed, ""
	if sendErr != nil {
		to, msg = Queued, q.opt.Reason(hardware.StateError, sendErr)
		level, what := slog.LevelWarn, "打印任务未确认, 将重新发送 / print job not confirmed; it will be sent again"
		if q.opt.MaxAttempts > 0 && job.Attempts+1 >= q.opt.MaxAttempts {
			to = Failed
			msg = MsgGaveUp // Attempts says how many
			level, what = slog.LevelError, "打印任务多次未确认, 已放弃 / print job given up: not confirmed after every attempt"
		}
		q.opt.Logger.Log(rctx, level, what, "job", job.ID, "printer", w.name, "kind", job.Kind, "ref", job.Ref,
			"attempt", job.Attempts+1, "err", sendErr)
	}
	for {
		err := q.store.Transition(rctx, job.ID, []State{Printing}, to, msg, q.clock.Now())
		if err == nil || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			break
		}
		// The database refused: keep trying, or the job is left printing
		// for start-up to deal with.
		if !q.sleep(ctx, q.opt.RetryDelay) {
			break
		}
	}
	q.notify(rctx, job.ID)
}
