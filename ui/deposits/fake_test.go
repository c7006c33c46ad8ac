package deposits

import (
	"context"
	"strings"
	"sync"
	"time"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/app/sale"
)

// fakeDesk is the deposit desk as the workspace sees it: deposits kept
// in memory, every call recorded, freezes and operations answered as the
// test says.
type fakeDesk struct {
	mu    sync.Mutex
	clock app.Clock

	opened    []deposit.TakeInput
	codes     []string // payment codes sent to Freeze, in order
	frozeFor  []string // the order each freeze was for
	cancelled []string
	abandoned []string
	finds     []string
	searches  []deposit.Filter
	consumes  []deposit.OpInput
	releases  []deposit.OpInput
	gets      []string

	deps []*payment.Deposit // newest first
	ops  map[string][]payment.DepositOp
	note map[string]string

	// A freeze ends in freezeState with freezeMsg; with block set it
	// waits for a Cancel after its first event.
	freezeState payment.IntentState
	freezeMsg   app.Message
	freezeErr   error
	block       chan struct{}
	// openBlock holds Open until closed (the order being written).
	openBlock chan struct{}
	// An operation ends in opState.
	opState payment.DepositOpState
	opMsg   app.Message
	// canSettle: the person holds the deposit permission; approved: a
	// manager approved one check.
	canSettle, approved bool
}

func newDesk(clock app.Clock) *fakeDesk {
	return &fakeDesk{clock: clock, ops: map[string][]payment.DepositOp{}, note: map[string]string{},
		freezeState: payment.IntentPaid, opState: payment.DepositOpDone, canSettle: true}
}

// add stores a deposit taken age ago.
func (f *fakeDesk) add(d payment.Deposit, age time.Duration) *payment.Deposit {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d.State == "" {
		d.State = payment.DepositFrozen
	}
	if d.Wallet == "" {
		d.Wallet = app.WalletWeChat
	}
	d.CreatedAt = f.clock.Now().Add(-age)
	d.ID = int64(len(f.deps) + 1)
	f.deps = append([]*payment.Deposit{&d}, f.deps...)
	return &d
}

func (f *fakeDesk) get(no string) *payment.Deposit {
	for _, d := range f.deps {
		if d.DepositNo == no {
			return d
		}
	}
	return nil
}

func (f *fakeDesk) Open(_ context.Context, in deposit.TakeInput) (app.Order, error) {
	f.mu.Lock()
	wait := f.openBlock
	f.mu.Unlock()
	if wait != nil {
		<-wait
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, in)
	no := "1001T2611200000" + string(rune('0'+len(f.opened))) + "0000" + string(rune('0'+len(f.opened)))
	return app.Order{OrderNo: no, Kind: app.OrderDeposit, Status: app.OrderOpen, Total: in.Amount, Payable: in.Amount}, nil
}

func (f *fakeDesk) Abandon(_ context.Context, orderNo string, _ app.Staff) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.abandoned = append(f.abandoned, orderNo)
	return nil
}

func (f *fakeDesk) abandonedNos() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.abandoned...)
}

func (f *fakeDesk) Freeze(_ context.Context, orderNo, code string, _ app.Staff, onEvent payment.EventFunc) (sale.Outcome, error) {
	f.mu.Lock()
	f.codes = append(f.codes, code)
	f.frozeFor = append(f.frozeFor, orderNo)
	in := f.opened[len(f.opened)-1]
	st, msg, err, block := f.freezeState, f.freezeMsg, f.freezeErr, f.block
	f.mu.Unlock()
	ref := "OT" + orderNo[len(orderNo)-1:]
	if onEvent != nil {
		onEvent(payment.Event{Kind: payment.EventPay, Ref: ref, Msg: app.Msg("pay.paying"), Seconds: 2})
	}
	if block != nil {
		<-block
	}
	o := app.Order{OrderNo: orderNo, Kind: app.OrderDeposit, Status: app.OrderOpen, Total: in.Amount, Payable: in.Amount}
	if st == payment.IntentPaid {
		o.Status, o.Paid = app.OrderPaid, in.Amount
		f.add(payment.Deposit{DepositNo: orderNo, OutTradeNo: ref, TransactionID: "4200" + orderNo, Amount: in.Amount,
			Room: in.Guest.Room, GuestName: in.Guest.Name, GuestPhone: in.Guest.Phone}, 0)
	}
	return sale.Outcome{Order: o, Payment: payment.PayResult{OrderNo: orderNo, OutTradeNo: ref, State: st,
		Wallet: app.WalletWeChat, Amount: in.Amount, Deposit: true, Msg: msg}}, err
}

func (f *fakeDesk) Cancel(_ context.Context, no string) error {
	f.mu.Lock()
	f.cancelled = append(f.cancelled, no)
	block := f.block
	f.block = nil
	f.mu.Unlock()
	if block != nil {
		close(block)
	}
	return nil
}

func (f *fakeDesk) Find(_ context.Context, q string) ([]payment.Deposit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finds = append(f.finds, q)
	if strings.HasPrefix(q, "SALE") {
		return nil, deposit.ErrNotADeposit.With("No", q)
	}
	var out []payment.Deposit
	for _, d := range f.deps {
		if d.DepositNo == q || d.TransactionID == q || len(q) == 6 && (app.ShortNo(d.DepositNo) == q || app.ShortNo(d.TransactionID) == q) {
			out = append(out, *d)
		}
	}
	if len(out) == 0 {
		return nil, app.NewError("db.not_found").With("Ref", q)
	}
	return out, nil
}

func (f *fakeDesk) Search(_ context.Context, fl deposit.Filter) ([]deposit.Row, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searches = append(f.searches, fl)
	var out []deposit.Row
	for _, d := range f.deps {
		switch {
		case fl.Open && d.State != payment.DepositFrozen,
			fl.Wallet != "" && d.Wallet != fl.Wallet,
			!fl.From.IsZero() && d.CreatedAt.Before(fl.From),
			!fl.To.IsZero() && !d.CreatedAt.Before(fl.To),
			fl.MinAmount > 0 && d.Amount < fl.MinAmount,
			fl.MaxAmount > 0 && d.Amount > fl.MaxAmount,
			fl.Text != "" && !strings.HasPrefix(d.Room, fl.Text) && !strings.Contains(d.GuestName, fl.Text):
			continue
		}
		out = append(out, deposit.Row{Deposit: *d, StoreID: 1, Note: f.note[d.DepositNo]})
	}
	return out, nil
}

func (f *fakeDesk) Get(_ context.Context, no string) (payment.Deposit, []payment.DepositOp, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, no)
	d := f.get(no)
	if d == nil {
		return payment.Deposit{}, nil, app.NewError("db.not_found").With("Ref", no)
	}
	return *d, append([]payment.DepositOp(nil), f.ops[no]...), nil
}

func (f *fakeDesk) Consume(_ context.Context, in deposit.OpInput) (deposit.Settlement, error) {
	f.mu.Lock()
	f.consumes = append(f.consumes, in)
	f.mu.Unlock()
	return f.settle(app.DepositOpConsume, in)
}

func (f *fakeDesk) Release(_ context.Context, in deposit.OpInput) (deposit.Settlement, error) {
	f.mu.Lock()
	f.releases = append(f.releases, in)
	f.mu.Unlock()
	in.Amount = 0
	return f.settle(app.DepositOpRelease, in)
}

// settle refuses as the desk does (the permission, then deposit.Check)
// and ends the operation in opState.
func (f *fakeDesk) settle(kind app.DepositOpKind, in deposit.OpInput) (deposit.Settlement, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.get(in.DepositNo)
	if !f.canSettle && !f.approved {
		return deposit.Settlement{}, app.ErrNoPermission.With("Name", in.Staff.Name, "Perm", app.Msg("perm.deposit"))
	}
	f.approved = false
	if err := deposit.Check(*d, kind, in.Amount, f.clock.Now()); err != nil {
		return deposit.Settlement{Deposit: *d}, err
	}
	left := d.Amount - d.Consumed - d.Released
	op := payment.DepositOp{DepositID: d.ID, Kind: kind, OutRequestNo: "R" + d.DepositNo, Amount: in.Amount, State: f.opState,
		CreatedAt: f.clock.Now()}
	if kind == app.DepositOpRelease {
		op.Amount = left
	}
	if in.OnEvent != nil {
		in.OnEvent(payment.Event{Kind: payment.EventConsume, Ref: op.OutRequestNo, Msg: app.Msg("depop.sending"), Seconds: 1})
	}
	f.ops[d.DepositNo] = append(f.ops[d.DepositNo], op)
	out := deposit.Settlement{Op: payment.DepositOpResult{DepositNo: d.DepositNo, OutRequestNo: op.OutRequestNo, Kind: kind,
		State: f.opState, Amount: op.Amount, Msg: f.opMsg}}
	if f.opState == payment.DepositOpDone {
		if kind == app.DepositOpConsume {
			d.Consumed, d.Released, d.State = in.Amount, left-in.Amount, payment.DepositConsumed
		} else {
			d.Released, d.State = left, payment.DepositReleased
		}
		d.SettledAt = f.clock.Now()
		out.Charged, out.Returned = d.Consumed, d.Released
	}
	out.Deposit = *d
	return out, nil
}

func (f *fakeDesk) calls() (opened, codes, cancelled, finds int, consumes, releases int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.opened), len(f.codes), len(f.cancelled), len(f.finds), len(f.consumes), len(f.releases)
}
