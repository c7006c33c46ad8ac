package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"cashier/app"
)

// The ledger file (Config.LedgerFile) is an append-only journal of JSON
// lines:
//
//	{"format":"poscashier-sandbox-ledger","version":1,"inst":1234,"seq":56}
//	{"seq":57,"orders":[{...}]}
//	{"seq":58,"orders":[{...}],"refunds":[{...}]}
//	{"seq":58,"orders":[{...}],"ops":{"release\u0000...":"100"}}
//
// The first line says what the file is. Every other line is what one ledger
// call changed: the orders and refunds it created or changed, whole, and the
// deposit operations it recorded; replaying the lines in order (a later
// copy of an order replaces the earlier one) gives the ledger. A call's line
// is written and fsynced before the call returns, so before the HTTP answer
// that reports it. Start replays the file, rewrites it compacted (one line
// per order and refund; temporary file, fsync, rename, fsync of the folder)
// and appends from there.
//
// A file that cannot be read or understood stops Start with an error naming
// it and is left untouched. The one exception is a last line without its
// newline: a write cut short by a crash or power loss, i.e. a call that never
// answered. It is dropped, and the file as it was is kept beside it as
// <file>.torn-<time>.
//
// Nothing secret is in the file: no keys, no certificates, no signatures;
// orders carry the payment code, amounts and channel numbers as the ledger
// view (GET /sandbox/ledger) shows them, plus the idempotency fingerprint
// (amount, code, kind) of the request that created each order.

const (
	journalFormat = "poscashier-sandbox-ledger"
	// journalVersion 2 added deposit operations on orders (ops) and the
	// requested amount of a refund; version 1 files read unchanged.
	journalVersion = 2
)

// lockWait is how long Start waits for another sandbox (in this or another
// process) to let go of the ledger file, e.g. one whose context was just
// cancelled and is still closing.
var lockWait = 3 * time.Second

type journalHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Inst    uint16 `json:"inst"`
	Seq     uint64 `json:"seq"`
}

// storedOrder is an order as the journal keeps it: with the fingerprint
// the ledger view leaves out.
type storedOrder struct {
	Order
	Fingerprint string `json:"fingerprint,omitempty"`
}

type journalEntry struct {
	Seq     uint64            `json:"seq"`
	Orders  []storedOrder     `json:"orders,omitempty"`
	Refunds []Refund          `json:"refunds,omitempty"`
	Ops     map[string]string `json:"ops,omitempty"`
}

// journal is the open ledger file.
type journal struct {
	path string
	f    *os.File
	lock io.Closer
}

func (j *journal) append(b []byte) error {
	if _, err := j.f.Write(b); err != nil {
		return err
	}
	return j.f.Sync()
}

func (j *journal) close() error {
	err := j.f.Close()
	if j.lock != nil {
		if e := j.lock.Close(); err == nil {
			err = e
		}
	}
	return err
}

// LedgerFileError is a ledger file that cannot be used. The file is left as
// it is.
type LedgerFileError struct {
	Path string
	Err  error
}

func (e *LedgerFileError) Error() string {
	return fmt.Sprintf("sandbox ledger %s: %v (the file is left as it is; move it away to start with an empty ledger)", e.Path, e.Err)
}

func (e *LedgerFileError) Unwrap() error { return e.Err }

// ledgerFailure is panicked by a ledger call from a request handler when
// the journal cannot be written (or could not be earlier); Server.guarded
// turns it into HTTP 500 before any answer is written.
type ledgerFailure struct{ err error }

var errLedgerClosed = errors.New("the sandbox is closed")

// openLedger makes the server's ledger: in memory, or loaded from and kept
// in cfg.LedgerFile.
func openLedger(cfg *Config) (*Ledger, error) {
	l := newLedger(cfg)
	if cfg.LedgerFile == "" {
		return l, nil
	}
	path := cfg.LedgerFile
	fail := func(err error) (*Ledger, error) { return nil, &LedgerFileError{Path: path, Err: err} }
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fail(err)
	}
	lock, err := lockFile(path+".lock", lockWait)
	if err != nil {
		return fail(err)
	}
	ok := false
	defer func() {
		if !ok {
			lock.Close()
		}
	}()
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// A new ledger.
	case err != nil:
		return fail(err)
	default:
		torn, err := l.load(raw)
		if err != nil {
			return fail(err)
		}
		if torn > 0 {
			backup := fmt.Sprintf("%s.torn-%s", path, time.Now().Format("20060102-150405.000"))
			if err := writeFileAtomic(backup, raw, 0o600); err != nil {
				return fail(fmt.Errorf("keeping a copy before dropping a cut-off last line: %w", err))
			}
			if cfg.Log != nil {
				fmt.Fprintf(cfg.Log, "sandbox ledger %s: dropped a cut-off last line (%d bytes, a write that never completed); the file as it was is %s\n",
					path, torn, filepath.Base(backup))
			}
		}
	}
	// Compact: the replayed state, one line per order and refund.
	if err := writeFileAtomic(path, l.compacted(), 0o600); err != nil {
		return fail(err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fail(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fail(err)
	}
	l.j = &journal{path: path, f: f, lock: lock}
	l.log = cfg.Log
	ok = true
	return l, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // a folder cannot be opened for syncing there; the rename is as durable as the system makes it
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// load replays a journal into an empty ledger. It returns the length of a
// cut-off last line it dropped.
func (l *Ledger) load(raw []byte) (torn int, err error) {
	if len(raw) == 0 {
		return 0, errors.New("empty file, not a sandbox ledger")
	}
	lines := bytes.Split(raw, []byte("\n"))
	last := lines[len(lines)-1]
	lines = lines[:len(lines)-1] // complete lines; last is "" when the file ends with a newline
	if len(lines) == 0 {
		return 0, errors.New("no complete first line: not a sandbox ledger")
	}
	var h journalHeader
	if err := strictJSON(lines[0], &h); err != nil || h.Format != journalFormat {
		return 0, errors.New("line 1 is not a sandbox ledger header")
	}
	if h.Version < 1 || h.Version > journalVersion {
		return 0, fmt.Errorf("ledger format version %d, this sandbox reads version %d", h.Version, journalVersion)
	}
	l.inst, l.seq = h.Inst, h.Seq
	for i, line := range lines[1:] {
		var e journalEntry
		if err := strictJSON(line, &e); err != nil {
			return 0, fmt.Errorf("line %d: %v", i+2, err)
		}
		if err := l.apply(e); err != nil {
			return 0, fmt.Errorf("line %d: %v", i+2, err)
		}
	}
	if len(last) > 0 {
		var e journalEntry
		if strictJSON(last, &e) == nil && l.apply(e) == nil {
			// Complete but for its newline.
		} else {
			torn = len(last)
		}
	}
	for _, r := range l.rlist {
		if l.orders[orderKey(r.Channel, r.Merchant, r.SubMerchant, r.OutTradeNo)] == nil {
			return 0, fmt.Errorf("refund %s of an order that is not in the file (%s)", r.OutRefundNo, r.OutTradeNo)
		}
	}
	for _, o := range l.order {
		if o.TransactionID != "" {
			l.byTxn[string(o.Channel)+"\x00"+o.TransactionID] = o
		}
	}
	return torn, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

var knownStates = map[OrderState]bool{StatePaying: true, StatePaid: true, StateClosed: true, StateReversed: true, StateFailed: true}

func knownChannel(ch app.ChannelName) bool {
	return ch == app.ChannelWeChat || ch == app.ChannelAlipay || ch == app.ChannelCloudPay
}

// apply replays one journal line (checked first, so a bad line changes nothing).
func (l *Ledger) apply(e journalEntry) error {
	for _, so := range e.Orders {
		o := so.Order
		if !knownChannel(o.Channel) || o.OutTradeNo == "" || !knownStates[o.State] || o.Amount < 0 {
			return fmt.Errorf("order %q is not a valid order", o.OutTradeNo)
		}
	}
	for _, r := range e.Refunds {
		if !knownChannel(r.Channel) || r.OutRefundNo == "" || r.OutTradeNo == "" || r.Amount <= 0 {
			return fmt.Errorf("refund %q is not a valid refund", r.OutRefundNo)
		}
	}
	for k := range e.Ops {
		if k == "" {
			return errors.New("empty operation key")
		}
	}
	l.seq = max(l.seq, e.Seq)
	for _, so := range e.Orders {
		o := so.Order
		o.Fingerprint = so.Fingerprint
		if old := l.orders[o.key()]; old != nil {
			*old = o
			continue
		}
		p := &o
		l.orders[p.key()] = p
		l.order = append(l.order, p)
	}
	for _, r := range e.Refunds {
		if old := l.refunds[r.key()]; old != nil {
			*old = r
			continue
		}
		p := &r
		l.refunds[p.key()] = p
		l.rlist = append(l.rlist, p)
	}
	for k, v := range e.Ops {
		l.ops[k] = v
	}
	return nil
}

// compacted is the journal of the ledger as it is now.
func (l *Ledger) compacted() []byte {
	var b bytes.Buffer
	line := func(v any) {
		j, err := json.Marshal(v)
		if err != nil {
			panic(err) // plain data: cannot fail
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	line(journalHeader{Format: journalFormat, Version: journalVersion, Inst: l.inst, Seq: l.seq})
	for _, o := range l.order {
		line(journalEntry{Seq: l.seq, Orders: []storedOrder{{Order: *o, Fingerprint: o.Fingerprint}}})
	}
	for _, r := range l.rlist {
		line(journalEntry{Seq: l.seq, Refunds: []Refund{*r}})
	}
	if len(l.ops) > 0 {
		line(journalEntry{Seq: l.seq, Ops: l.ops})
	}
	return b.Bytes()
}

// touch notes that a call changed (or created) o.
func (l *Ledger) touch(o *Order) {
	if l.j == nil || l.dirtySet[o] {
		return
	}
	l.dirtySet[o] = true
	l.dirtyOrders = append(l.dirtyOrders, o)
}

func (l *Ledger) touchRefund(r *Refund) {
	if l.j == nil || l.dirtySet[r] {
		return
	}
	l.dirtySet[r] = true
	l.dirtyRefunds = append(l.dirtyRefunds, r)
}

func (l *Ledger) touchOp(key string) {
	if l.j == nil || l.dirtySet[key] {
		return
	}
	l.dirtySet[key] = true
	l.dirtyOps = append(l.dirtyOps, key)
}

// commitLocked writes what the call changed as one journal line and
// fsyncs it. After a failed write the ledger writes nothing more: its
// memory may hold a change the file does not.
func (l *Ledger) commitLocked() error {
	if len(l.dirtySet) == 0 {
		return l.failed
	}
	e := journalEntry{Seq: l.seq}
	for _, o := range l.dirtyOrders {
		e.Orders = append(e.Orders, storedOrder{Order: *o, Fingerprint: o.Fingerprint})
	}
	for _, r := range l.dirtyRefunds {
		e.Refunds = append(e.Refunds, *r)
	}
	if len(l.dirtyOps) > 0 {
		e.Ops = make(map[string]string, len(l.dirtyOps))
		for _, k := range l.dirtyOps {
			e.Ops[k] = l.ops[k]
		}
	}
	l.dirtyOrders, l.dirtyRefunds, l.dirtyOps = l.dirtyOrders[:0], l.dirtyRefunds[:0], l.dirtyOps[:0]
	clear(l.dirtySet)
	if l.failed != nil {
		return l.failed
	}
	if l.j == nil {
		l.failed = errLedgerClosed
		return l.failed
	}
	b, err := json.Marshal(e)
	if err == nil {
		err = l.j.append(append(b, '\n'))
	}
	if err != nil {
		l.failed = fmt.Errorf("writing %s: %w", l.j.path, err)
		if l.log != nil {
			fmt.Fprintf(l.log, "sandbox: %v; the sandbox answers HTTP 500 from now on\n", l.failed)
		}
		return l.failed
	}
	return nil
}

// begin locks the ledger for a call made by a request handler; a ledger
// whose file could not be written refuses (see ledgerFailure).
func (l *Ledger) begin() {
	l.mu.Lock()
	if err := l.failed; err != nil {
		l.mu.Unlock()
		panic(ledgerFailure{err})
	}
}

// end makes the call's changes durable, then unlocks.
func (l *Ledger) end() {
	err := l.commitLocked()
	l.mu.Unlock()
	if err != nil {
		panic(ledgerFailure{err})
	}
}

// endQuiet ends a call of the Go API (reads for tests and inspection):
// changes it made (orders settled at the end of their USERPAYING window)
// are written as by end, but a failure is only remembered.
func (l *Ledger) endQuiet() {
	_ = l.commitLocked()
	l.mu.Unlock()
}

// closeFile closes the ledger file; the ledger stays readable in memory.
func (l *Ledger) closeFile() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.j == nil {
		return nil
	}
	_ = l.commitLocked()
	err := l.j.close()
	l.j = nil
	if l.failed == nil {
		l.failed = errLedgerClosed
	}
	return err
}
