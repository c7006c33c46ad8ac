package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
	"cashier/app/sale"
	"cashier/app/summary"
	"cashier/localdb"
	"cashier/sync/channel"
	"cashier/sync/channel/setup"
	"cashier/sync/sandbox"
)

// Issue 12, "Must show": the hotel deposit desk (Services.Desk) end to end
// against the embedded sandbox's real protocols, per channel — take with a
// guest, freeze by the guest's code, find, consume or release — with the
// local deposit, the sandbox's ledger and the takings journal agreeing to
// the fen; the 15-second reverse rule on the till's own clock, set back or
// forward; USERPAYING; a till that dies after sending the freeze; a consume
// whose answer is lost; and the mistakes the desk refuses before sending.

// jumpClock is the till's clock: true time from the sandbox's fast clock
// plus a skew a test moves the way a person setting the PC's clock does.
// Since of a time it handed out is measured without the skew (Go's
// monotonic reading), as app.Clock promises; times read back from storage
// are wall differences. The sandbox keeps the true time, as the real
// channels do.
type jumpClock struct {
	base   *paytest.FastClock
	mu     sync.Mutex
	skew   time.Duration
	issued map[int64]time.Duration // wall time handed out → skew then
}

func newJumpClock(base *paytest.FastClock) *jumpClock {
	return &jumpClock{base: base, issued: map[int64]time.Duration{}}
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.base.Now().Add(c.skew)
	c.issued[t.UnixNano()] = c.skew
	return t
}

func (c *jumpClock) Since(t time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.base.Now().Add(c.skew).Sub(t)
	if then, ok := c.issued[t.UnixNano()]; ok {
		d -= c.skew - then
	}
	return d
}

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		<-c.base.After(d)
		ch <- c.Now()
	}()
	return ch
}

// Jump sets the wall time by d, either way; no timer moves.
func (c *jumpClock) Jump(d time.Duration) {
	c.mu.Lock()
	c.skew += d
	c.mu.Unlock()
}

// deskSpy counts what the till asks the channels and, in the crash tests,
// takes over a deposit freeze.
type deskSpy struct {
	mu    sync.Mutex
	calls map[string]int
	// lose, when set, replaces the freeze call.
	lose func(ctx context.Context, inner app.PaymentChannel, r app.PayRequest) (app.ChannelResult, error)
}

func (s *deskSpy) count(m string) {
	s.mu.Lock()
	s.calls[m]++
	s.mu.Unlock()
}

func (s *deskSpy) n(m string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[m]
}

func (s *deskSpy) setLose(f func(context.Context, app.PaymentChannel, app.PayRequest) (app.ChannelResult, error)) {
	s.mu.Lock()
	s.lose = f
	s.mu.Unlock()
}

func (s *deskSpy) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

type spied struct {
	app.PaymentChannel
	spy *deskSpy
}

func (c spied) Pay(ctx context.Context, r app.PayRequest) (app.ChannelResult, error) {
	c.spy.count("pay")
	c.spy.mu.Lock()
	lose := c.spy.lose
	c.spy.mu.Unlock()
	if lose != nil && r.Deposit {
		return lose(ctx, c.PaymentChannel, r)
	}
	return c.PaymentChannel.Pay(ctx, r)
}

func (c spied) Reverse(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	c.spy.count("reverse")
	return c.PaymentChannel.Reverse(ctx, r)
}

func (c spied) Refund(ctx context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	c.spy.count("refund")
	return c.PaymentChannel.Refund(ctx, r)
}

func (c spied) Consume(ctx context.Context, r app.ConsumeRequest) (app.ChannelResult, error) {
	c.spy.count("consume")
	return c.PaymentChannel.Consume(ctx, r)
}

func (c spied) Release(ctx context.Context, r app.ReleaseRequest) (app.ChannelResult, error) {
	c.spy.count("release")
	return c.PaymentChannel.Release(ctx, r)
}

func (c spied) QueryDepositOp(ctx context.Context, r app.DepositOpRef) (app.ChannelResult, error) {
	c.spy.count("query_op")
	return c.PaymentChannel.QueryDepositOp(ctx, r)
}

// deskWorld is a world (world_test.go) whose till runs on a jumpClock over
// the sandbox's fast clock, with its channels spied on.
type deskWorld struct {
	*world
	wall   *jumpClock
	spy    *deskSpy
	ch     app.ChannelName
	wallet app.Wallet
	guest  app.Guest
}

// newDeskWorld starts a sandbox on a clock factor times faster than the
// wall and opens a data folder routed to channel ch.
func newDeskWorld(t *testing.T, ch app.ChannelName, wallet app.Wallet, factor int) *deskWorld {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock := paytest.NewFastClock(time.Now(), factor)
	sb := filepath.Join(t.TempDir(), "gateway")
	copySandbox(t, sb)
	gw, err := StartSandbox(ctx, sb, clock)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Server.Close() })
	w := &world{t: t, clock: clock, gw: gw, dir: t.TempDir()}
	f := gw.File()
	f.Routes = routeAllTo(ch)
	require.NoError(t, f.Write(filepath.Join(w.dir, setup.FileName)))
	d := &deskWorld{world: w, wall: newJumpClock(clock), spy: &deskSpy{calls: map[string]int{}}, ch: ch, wallet: wallet,
		guest: app.Guest{Room: "1208", Name: "陈静", Phone: "13812345678"}}
	d.start(false)
	return d
}

// start opens the folder as world.open does, on the till's clock; jobs
// runs the start-up recovery as the GUI does.
func (d *deskWorld) start(jobs bool) {
	t := d.t
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: d.dir, Command: "test", Lock: true, Payments: true, Jobs: jobs, Clock: d.wall,
		Log: &lockedBuffer{}, HTTP: channel.HTTPSettings{Timeout: clientTimeout},
		Wrap: func(c app.PaymentChannel) app.PaymentChannel { return spied{c, d.spy} }})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	configured, err := s.Configured(ctx)
	require.NoError(t, err)
	if !configured {
		_, err = s.DB.SeedDemo(ctx, testHasher(), d.wall.Now())
		require.NoError(t, err)
	}
	require.NoError(t, s.Start(ctx))
	require.NotNil(t, s.Desk)
	d.s, d.db, d.pay, d.checkout = s, s.DB, s.Payments, s.Checkout
	d.store = localdb.NewPaymentStore(s.DB)
	d.staff, _, err = s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
}

// open takes a deposit of amount for the guest at the desk (the order,
// durable before the code is scanned).
func (d *deskWorld) open(amount app.Money) app.Order {
	o, err := d.s.Desk.Open(context.Background(), deposit.TakeInput{Staff: d.staff, Amount: amount, Guest: d.guest, Note: "押金"})
	require.NoError(d.t, err)
	require.Equal(d.t, app.OrderDeposit, o.Kind)
	return o
}

// take opens and freezes a deposit by a fresh code of the scenario suffix
// and finds it again by its receipt number.
func (d *deskWorld) take(amount app.Money, suffix string) (payment.Deposit, sale.Outcome) {
	t := d.t
	o := d.open(amount)
	out, err := d.s.Desk.Freeze(context.Background(), o.OrderNo, codeFor(d.wallet, suffix), d.staff, nil)
	require.NoError(t, err)
	require.True(t, out.Paid(), "%s %s", out.Payment.State, out.Payment.Msg)
	return d.find(o.OrderNo), out
}

func (d *deskWorld) find(q string) payment.Deposit {
	found, err := d.s.Desk.Find(context.Background(), q)
	require.NoError(d.t, err)
	require.Len(d.t, found, 1)
	return found[0]
}

func (d *deskWorld) consume(no string, amount app.Money) (deposit.Settlement, error) {
	return d.s.Desk.Consume(context.Background(), deposit.OpInput{DepositNo: no, Amount: amount, Staff: d.staff, Remark: "退房"})
}

func (d *deskWorld) release(no string) (deposit.Settlement, error) {
	return d.s.Desk.Release(context.Background(), deposit.OpInput{DepositNo: no, Staff: d.staff, Remark: "退押金"})
}

// atSandbox is a deposit as the sandbox's ledger has it: the freeze, its
// charge and the consumption orders taken from it (Alipay, Cloud Pay).
type atSandbox struct {
	order    sandbox.Order
	charge   sandbox.Charge
	consumed []sandbox.Order
}

func (d *deskWorld) atSandbox(outTradeNo string) atSandbox {
	l := d.gw.Server.Ledger()
	var a atSandbox
	a.order = d.sandboxOrder(d.ch, outTradeNo)
	n := 0
	for _, c := range l.Charges() {
		if c.OutTradeNo == outTradeNo && c.Channel == d.ch {
			a.charge = c
			n++
		}
	}
	require.Equal(d.t, 1, n, "one charge for the freeze %s", outTradeNo)
	for _, o := range l.Orders() {
		if o.Parent == outTradeNo && o.Channel == d.ch {
			a.consumed = append(a.consumed, o)
		}
	}
	return a
}

// releasedAt is when the sandbox gave the deposit back: the release
// operation (Alipay, Cloud Pay unfreeze) or the reverse (WeChat).
func (a atSandbox) releasedAt() time.Time {
	for i := len(a.order.Ops) - 1; i >= 0; i-- {
		if a.order.Ops[i].Kind == "release" {
			return a.order.Ops[i].At
		}
	}
	return a.order.EndedAt
}

// balanced checks the deposit here against the sandbox to the fen: what
// the channel keeps is what was consumed here, what went back is what was
// released here, and nothing is still frozen once it is settled.
func (d *deskWorld) balanced(dep payment.Deposit) atSandbox {
	t := d.t
	t.Helper()
	a := d.atSandbox(dep.OutTradeNo)
	assert.True(t, a.order.Deposit)
	assert.Equal(t, dep.Amount, a.charge.Amount, "frozen here and there")
	assert.Equal(t, dep.Amount, dep.Consumed+dep.Released+d.left(dep), "consumed + released + held = the deposit")
	assert.Equal(t, dep.Consumed+d.left(dep), a.charge.Held(), "the channel keeps what was consumed (and holds what is left)")
	assert.Equal(t, dep.Released, a.charge.Returned, "the channel gave back what was released")
	assert.Equal(t, d.left(dep), a.order.Frozen(), "still frozen at the channel")
	if d.ch == app.ChannelWeChat {
		assert.Empty(t, a.consumed)
		assert.Equal(t, dep.Consumed, a.order.Consumed)
	} else {
		var sum app.Money
		for _, c := range a.consumed {
			sum += c.Amount
		}
		assert.Equal(t, dep.Consumed, sum, "the consumption orders at the channel")
		assert.LessOrEqual(t, len(a.consumed), 1, "consumed at most once")
	}
	return a
}

func (d *deskWorld) left(dep payment.Deposit) app.Money {
	if dep.State != payment.DepositFrozen {
		return 0
	}
	return dep.Amount - dep.Consumed - dep.Released
}

// takings sums the journal's rows of one order by kind.
func (d *deskWorld) takings(orderID int64) map[summary.Kind]app.Money {
	rows, err := d.db.Read().QueryContext(context.Background(),
		`SELECT kind, sum(amount) FROM takings WHERE order_id=? GROUP BY kind`, orderID)
	require.NoError(d.t, err)
	defer rows.Close()
	out := map[summary.Kind]app.Money{}
	for rows.Next() {
		var k string
		var a int64
		require.NoError(d.t, rows.Scan(&k, &a))
		out[summary.Kind(k)] = app.Money(a)
	}
	require.NoError(d.t, rows.Err())
	return out
}

// sentSoFar is everything the channels were asked and everything the
// sandbox recorded: unchanged when nothing was sent.
func (d *deskWorld) sentSoFar() string {
	l := d.gw.Server.Ledger()
	b, err := json.Marshal(struct {
		Calls   map[string]int
		Orders  []sandbox.Order
		Refunds []sandbox.Refund
	}{d.spy.snapshot(), l.Orders(), l.Refunds()})
	require.NoError(d.t, err)
	return string(b)
}

var deskChannels = flowChannels

// Freeze, consume part at check-out, the rest back by itself: the desk's
// settlement, the local deposit, the sandbox and the takings journal say
// the same to the fen.
func TestDepositDesk_ConsumePartRestReleased(t *testing.T) {
	for _, c := range deskChannels {
		t.Run(string(c.name), func(t *testing.T) {
			d := newDeskWorld(t, c.name, c.wallet, speedup)
			dep, out := d.take(50000, "000")
			assert.Equal(t, payment.DepositFrozen, dep.State)
			assert.Equal(t, out.Order.OrderNo, dep.DepositNo, "the receipt barcode is the deposit number")
			assert.Equal(t, d.find(dep.TransactionID).ID, dep.ID, "found by the wallet's transaction number")
			d.balanced(dep)

			st, err := d.consume(dep.DepositNo, 32000)
			require.NoError(t, err)
			require.True(t, st.Op.Done(), "%s %s %s", st.Op.State, st.Op.Code, st.Op.Msg)
			assert.Equal(t, app.Money(32000), st.Charged, "the check-out receipt: charged")
			assert.Equal(t, app.Money(18000), st.Returned, "the check-out receipt: returned")
			dep = d.find(dep.DepositNo)
			assert.Equal(t, payment.DepositConsumed, dep.State)
			assert.Equal(t, app.Money(32000), dep.Consumed)
			assert.Equal(t, app.Money(18000), dep.Released)
			d.balanced(dep)
			assert.Equal(t, 1, d.spy.n("consume"), "one consume call; the rest went back with it")
			assert.Zero(t, d.spy.n("release"))

			_, ops, err := d.s.Desk.Get(context.Background(), dep.DepositNo)
			require.NoError(t, err)
			require.Len(t, ops, 1)
			assert.Equal(t, payment.DepositOpDone, ops[0].State)
			assert.Equal(t, app.Money(32000), ops[0].Amount)

			assert.Equal(t, map[summary.Kind]app.Money{
				summary.KindDepositHold:    50000,
				summary.KindDepositConsume: 32000,
				summary.KindDepositRelease: 18000,
			}, d.takings(dep.OrderID), "the journal: the hold, the consume and the rest given back")
		})
	}
}

// Release all: nothing stays at the channel, and it went back no sooner
// than 15 seconds after the freeze.
func TestDepositDesk_ReleaseAll(t *testing.T) {
	for _, c := range deskChannels {
		t.Run(string(c.name), func(t *testing.T) {
			d := newDeskWorld(t, c.name, c.wallet, speedup)
			dep, _ := d.take(50000, "000")
			st, err := d.release(dep.DepositNo)
			require.NoError(t, err)
			require.True(t, st.Op.Done(), "%s %s %s", st.Op.State, st.Op.Code, st.Op.Msg)
			assert.Zero(t, st.Charged)
			assert.Equal(t, app.Money(50000), st.Returned)
			dep = d.find(dep.DepositNo)
			assert.Equal(t, payment.DepositReleased, dep.State)
			assert.Equal(t, app.Money(50000), dep.Released)
			assert.Zero(t, dep.Consumed)
			a := d.balanced(dep)
			assert.Zero(t, a.charge.Held(), "the ledger holds nothing")
			assert.GreaterOrEqual(t, a.releasedAt().Sub(a.order.PaidAt), 15*time.Second, "the 15-second rule")
			assert.Zero(t, d.spy.n("consume"))
			assert.Equal(t, map[summary.Kind]app.Money{
				summary.KindDepositHold:    50000,
				summary.KindDepositRelease: 50000,
			}, d.takings(dep.OrderID))
		})
	}
}

// A release asked 3 s after the freeze is sent no sooner than 15 s after
// it, though the till's wall clock is set back an hour or forward an hour
// meanwhile: the wait runs on the monotonic clock. The sandbox keeps true
// time and (WeChat, Cloud Pay on WeChat) refuses an early reverse.
func TestDepositDesk_ReleaseWaitsFifteenSeconds(t *testing.T) {
	factor := min(speedup, 20) // 15 s = 0.75 s of wall time: the freeze itself must take well under 15 s
	for _, c := range deskChannels {
		t.Run(string(c.name), func(t *testing.T) {
			d := newDeskWorld(t, c.name, c.wallet, factor)
			for _, jump := range []time.Duration{-time.Hour, time.Hour} {
				t.Run(fmt.Sprintf("wall clock %+v", jump), func(t *testing.T) {
					dep, _ := d.take(20000, "000")
					paidAt := d.atSandbox(dep.OutTradeNo).order.PaidAt
					require.Eventually(t, func() bool { return d.clock.Since(paidAt) >= 3*time.Second }, 10*time.Second, time.Millisecond)
					asked := d.clock.Since(paidAt)
					require.Less(t, asked, 10*time.Second, "the release must be asked well inside the 15 s (a very slow freeze?)")
					d.wall.Jump(jump)
					defer d.wall.Jump(-jump)
					start, releases := d.clock.Now(), d.spy.n("release")
					st, err := d.release(dep.DepositNo)
					require.NoError(t, err)
					require.True(t, st.Op.Done(), "%s %s %s", st.Op.State, st.Op.Code, st.Op.Msg)
					took := d.clock.Since(start)
					a := d.balanced(d.find(dep.DepositNo))
					gap := a.releasedAt().Sub(a.order.PaidAt)
					t.Logf("asked %s after the freeze, the release took %s, made %s after it", asked, took, gap)
					assert.Equal(t, 1, d.spy.n("release")-releases, "sent once: no early attempt the channel refused")
					assert.GreaterOrEqual(t, gap, 15*time.Second, "not sent before 15 s after the freeze")
					assert.GreaterOrEqual(t, took, 15*time.Second-asked, "the till waited out the rest")
					assert.Less(t, gap, 5*time.Minute, "a clock set back does not stretch the wait to its hour")
				})
			}
		})
	}
}

// The guest confirms in the wallet (USERPAYING): the desk's freeze polls
// until the channel froze it; the deposit carries the guest's room, name
// and phone from the order.
func TestDepositDesk_UserPayingFreeze(t *testing.T) {
	for _, c := range deskChannels {
		t.Run(string(c.name), func(t *testing.T) {
			d := newDeskWorld(t, c.name, c.wallet, speedup)
			o := d.open(30000)
			var mu sync.Mutex
			steps := map[payment.Step]int{}
			out, err := d.s.Desk.Freeze(context.Background(), o.OrderNo, codeFor(d.wallet, "101"), d.staff, func(e payment.Event) {
				mu.Lock()
				steps[e.Step]++
				mu.Unlock()
			})
			require.NoError(t, err)
			require.True(t, out.Paid(), "%s %s", out.Payment.State, out.Payment.Msg)
			assert.Equal(t, payment.IntentPaid, out.Payment.State)
			mu.Lock()
			assert.Positive(t, steps[payment.StepQuerying], "polled while the guest confirmed: %v", steps)
			mu.Unlock()

			dep := d.find(o.OrderNo)
			assert.Equal(t, payment.DepositFrozen, dep.State)
			assert.Equal(t, app.Money(30000), dep.Amount)
			assert.Equal(t, "1208", dep.Room)
			assert.Equal(t, "陈静", dep.GuestName)
			assert.Equal(t, "13812345678", dep.GuestPhone)
			stored, err := d.db.GetOrder(context.Background(), o.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, stored.Guest, app.Guest{Room: dep.Room, Name: dep.GuestName, Phone: dep.GuestPhone}, "copied from the order")

			a := d.balanced(dep)
			assert.GreaterOrEqual(t, a.order.PaidAt.Sub(a.order.CreatedAt), 10*time.Second, "frozen when the confirmation window ended")
			assert.Equal(t, 1, d.spy.n("pay"), "one freeze call, then queries")
			assert.Zero(t, d.spy.n("reverse"))
			assert.Equal(t, map[summary.Kind]app.Money{summary.KindDepositHold: 30000}, d.takings(dep.OrderID))
		})
	}
}

// The till dies after it sent a freeze: the intent is durably "sent"
// before the request leaves, the answer never comes, and the start-up
// recovery of the restarted till settles it — frozen when the channel
// froze it (and then settled like any other), reversed when the request
// never arrived — matching the sandbox's ledger.
func TestDepositDesk_CrashAfterFreezeRequest(t *testing.T) {
	for _, c := range deskChannels {
		t.Run(string(c.name), func(t *testing.T) {
			d := newDeskWorld(t, c.name, c.wallet, speedup)
			bg := context.Background()
			// crash freezes a new deposit and lets the till die once the
			// request is out (arrived: the channel has it) and before its
			// answer is recorded.
			crash := func(arrives bool) (app.Order, string, string) {
				o := d.open(40000)
				code := codeFor(d.wallet, "000")
				sent := make(chan string, 1)
				gone := make(chan struct{})
				d.spy.setLose(func(ctx context.Context, inner app.PaymentChannel, r app.PayRequest) (app.ChannelResult, error) {
					if arrives {
						res, err := inner.Pay(ctx, r)
						assert.NoError(t, err)
						assert.Equal(t, app.OutcomeSuccess, res.Outcome, "the channel froze it")
					}
					sent <- r.OutTradeNo
					<-gone
					return app.ChannelResult{}, errors.New("the till died")
				})
				defer d.spy.setLose(nil)
				ctx, cancel := context.WithCancel(bg)
				done := make(chan error, 1)
				go func() {
					_, err := d.s.Desk.Freeze(ctx, o.OrderNo, code, d.staff, nil)
					done <- err
				}()
				var no string
				select {
				case no = <-sent:
				case <-time.After(30 * time.Second):
					t.Fatal("the freeze never went out")
				}
				in, err := d.store.GetIntent(bg, no)
				require.NoError(t, err)
				assert.Equal(t, payment.IntentSent, in.State, "durably sent before the request left")
				assert.Equal(t, payment.IntentKindDeposit, in.Kind)
				cancel() // the process is gone: nothing after the request is recorded
				close(gone)
				select {
				case err := <-done:
					assert.Error(t, err, "the freeze did not finish")
				case <-time.After(30 * time.Second):
					t.Fatal("the abandoned freeze did not return")
				}
				in, err = d.store.GetIntent(bg, no)
				require.NoError(t, err)
				require.False(t, in.State.Final(), "left open for the restart: %s", in.State)
				_, ok := d.gw.Server.Ledger().Order(d.ch, no)
				assert.Equal(t, arrives, ok, "the channel has the freeze only if the request arrived")
				return o, no, code
			}
			frozenOrder, frozenNo, _ := crash(true)
			lostOrder, lostNo, lostCode := crash(false)

			d.close()
			d.start(true) // the start-up recovery runs
			require.Eventually(t, func() bool {
				a, err1 := d.store.GetIntent(bg, frozenNo)
				b, err2 := d.store.GetIntent(bg, lostNo)
				return err1 == nil && err2 == nil && a.State.Final() && b.State.Final()
			}, 30*time.Second, 5*time.Millisecond, "the start-up recovery settles both")

			// The channel froze it: frozen here, with the guest, as at the channel.
			in, err := d.store.GetIntent(bg, frozenNo)
			require.NoError(t, err)
			assert.Equal(t, payment.IntentPaid, in.State, "%s %s", in.ChannelCode, in.ChannelMsg)
			dep := d.find(frozenOrder.OrderNo)
			assert.Equal(t, payment.DepositFrozen, dep.State)
			assert.Equal(t, app.Money(40000), dep.Amount)
			assert.Equal(t, "1208", dep.Room)
			d.balanced(dep)
			o, err := d.db.GetOrder(bg, frozenOrder.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, app.OrderPaid, o.Status)
			assert.Equal(t, map[summary.Kind]app.Money{summary.KindDepositHold: 40000}, d.takings(dep.OrderID))
			// ...and is settled at check-out like any other.
			st, err := d.consume(dep.DepositNo, 12000)
			require.NoError(t, err)
			require.True(t, st.Op.Done(), "%s %s", st.Op.State, st.Op.Msg)
			dep = d.find(dep.DepositNo)
			assert.Equal(t, app.Money(12000), dep.Consumed)
			assert.Equal(t, app.Money(28000), dep.Released)
			d.balanced(dep)

			// The request never arrived: nothing held, the order still
			// open. Alipay and Cloud Pay reverse the number (it can never
			// freeze now); WeChat's /deposit/reverse answers ORDERNOTEXIST
			// for a number it never saw (it blocks none, unlike a sale's
			// reverse), so the till cannot make the number safe and hands
			// it to a person after ManualAfter: never "paid", never silent.
			in, err = d.store.GetIntent(bg, lostNo)
			require.NoError(t, err)
			if d.ch == app.ChannelWeChat {
				assert.Equal(t, payment.IntentManual, in.State, "%s %s", in.ChannelCode, in.ChannelMsg)
				assert.Equal(t, "ORDERNOTEXIST", in.ChannelCode)
			} else {
				assert.Contains(t, []payment.IntentState{payment.IntentReversed, payment.IntentClosed}, in.State,
					"%s %s", in.ChannelCode, in.ChannelMsg)
			}
			assert.Positive(t, d.spy.n("reverse"), "a reverse of the number was asked")
			o, err = d.db.GetOrder(bg, lostOrder.OrderNo)
			require.NoError(t, err)
			assert.Equal(t, app.OrderOpen, o.Status)
			assert.Zero(t, o.Paid)
			_, err = d.s.Desk.Find(bg, lostOrder.OrderNo)
			if err == nil {
				lost, _, err := d.s.Desk.Get(bg, lostOrder.OrderNo)
				require.NoError(t, err)
				assert.NotEqual(t, payment.DepositFrozen, lost.State)
			}
			for _, ch := range d.gw.Server.Ledger().ChargesFor(lostCode) {
				assert.Zero(t, ch.Held(), "nothing taken from the guest whose freeze never arrived")
			}
			if so, ok := d.gw.Server.Ledger().Order(d.ch, lostNo); ok {
				assert.NotEqual(t, sandbox.StatePaid, so.State)
			}
			assert.Empty(t, d.takings(lostOrder.ID))
			assert.Equal(t, 1, d.gw.Server.Ledger().Summary().Unreversed, "only the recovered deposit holds money")
		})
	}
}

// A consume whose answer is lost after it was made (…91) is resolved by
// the operation query: done, made once. Lost and refused for good (…92):
// failed, the deposit still frozen and consumable. Made for a fen less
// (…94): a person is asked; never counted as done, and nothing else is
// sent on that deposit until they have looked.
func TestDepositDesk_ConsumeAnswerLost(t *testing.T) {
	for _, c := range deskChannels {
		t.Run(string(c.name), func(t *testing.T) {
			d := newDeskWorld(t, c.name, c.wallet, speedup)

			t.Run("…91 lost after made", func(t *testing.T) {
				dep, _ := d.take(50000, "000")
				consumes, queries := d.spy.n("consume"), d.spy.n("query_op")
				st, err := d.consume(dep.DepositNo, 12391)
				require.NoError(t, err)
				require.Equal(t, payment.DepositOpDone, st.Op.State, "%s %s %s", st.Op.Code, st.Op.ChannelMsg, st.Op.Msg)
				assert.Positive(t, d.spy.n("query_op")-queries, "the operation query resolved it")
				assert.Equal(t, 1, d.spy.n("consume")-consumes, "not sent again: the query found it done")
				assert.Equal(t, app.Money(12391), st.Charged)
				dep = d.find(dep.DepositNo)
				assert.Equal(t, payment.DepositConsumed, dep.State)
				assert.Equal(t, app.Money(12391), dep.Consumed)
				assert.Equal(t, app.Money(50000-12391), dep.Released)
				a := d.balanced(dep)
				if d.ch != app.ChannelWeChat {
					require.Len(t, a.consumed, 1, "consumed exactly once at the channel")
				}
				assert.Equal(t, app.Money(12391), d.takings(dep.OrderID)[summary.KindDepositConsume])
			})

			t.Run("…92 lost and refused", func(t *testing.T) {
				dep, _ := d.take(50000, "000")
				st, err := d.consume(dep.DepositNo, 12392)
				require.NoError(t, err)
				assert.Equal(t, payment.DepositOpFailed, st.Op.State, "%s %s %s", st.Op.Code, st.Op.ChannelMsg, st.Op.Msg)
				assert.Zero(t, st.Charged)
				dep = d.find(dep.DepositNo)
				assert.Equal(t, payment.DepositFrozen, dep.State, "nothing consumed: still frozen")
				assert.Zero(t, dep.Consumed)
				d.balanced(dep) // the channel still holds all of it
				_, ok := d.takings(dep.OrderID)[summary.KindDepositConsume]
				assert.False(t, ok, "no takings for a consume that failed")

				st, err = d.consume(dep.DepositNo, 10000)
				require.NoError(t, err)
				if d.ch == app.ChannelWeChat {
					// /deposit/consume has no operation number of its own:
					// the sandbox counts any later consume of the deposit
					// as a re-send of the lost one and refuses it for
					// good. Nothing moves; the deposit is released instead.
					assert.Equal(t, payment.DepositOpFailed, st.Op.State, "%s %s", st.Op.Code, st.Op.Msg)
					assert.Equal(t, "TRADE_STATE_ERROR", st.Op.Code)
					dep = d.find(dep.DepositNo)
					assert.Equal(t, payment.DepositFrozen, dep.State)
					d.balanced(dep)
					st, err = d.release(dep.DepositNo)
					require.NoError(t, err)
					require.True(t, st.Op.Done(), "%s %s", st.Op.State, st.Op.Msg)
					dep = d.find(dep.DepositNo)
					assert.Equal(t, app.Money(50000), dep.Released)
					d.balanced(dep)
					return
				}
				require.True(t, st.Op.Done(), "consumable again: %s %s", st.Op.State, st.Op.Msg)
				dep = d.find(dep.DepositNo)
				assert.Equal(t, app.Money(10000), dep.Consumed)
				assert.Equal(t, app.Money(40000), dep.Released)
				d.balanced(dep)
			})

			t.Run("…94 a fen less", func(t *testing.T) {
				dep, _ := d.take(50000, "000")
				st, err := d.consume(dep.DepositNo, 12394)
				require.NoError(t, err)
				assert.Equal(t, payment.DepositOpManual, st.Op.State, "%s %s %s", st.Op.Code, st.Op.ChannelMsg, st.Op.Msg)
				assert.Equal(t, "depop.amount_mismatch", st.Op.Msg.Code, "a person is asked to check")
				assert.False(t, st.Op.Done())
				assert.Zero(t, st.Charged, "no check-out receipt for money not known")
				dep = d.find(dep.DepositNo)
				assert.Equal(t, payment.DepositFrozen, dep.State, "the books do not change before a person looks")
				assert.Zero(t, dep.Consumed)
				_, ok := d.takings(dep.OrderID)[summary.KindDepositConsume]
				assert.False(t, ok, "no takings counted")
				a := d.atSandbox(dep.OutTradeNo)
				assert.Equal(t, app.Money(12393), a.charge.Held(), "the channel took a fen less")

				before := d.sentSoFar()
				_, err = d.consume(dep.DepositNo, 100)
				assert.ErrorIs(t, err, payment.ErrDepositBusy)
				_, err = d.release(dep.DepositNo)
				assert.ErrorIs(t, err, payment.ErrDepositBusy)
				assert.Equal(t, before, d.sentSoFar(), "nothing sent while a person has to look")
			})
		})
	}
}

// Mistakes at the desk are refused before anything is sent: the sandbox
// records nothing new and no channel is asked.
func TestDepositDesk_BadInputSendsNothing(t *testing.T) {
	for _, c := range deskChannels {
		t.Run(string(c.name), func(t *testing.T) {
			d := newDeskWorld(t, c.name, c.wallet, speedup)
			ctx := context.Background()
			dep, _ := d.take(50000, "000")
			sale, err := d.payCode(codeFor(d.wallet, "000"), 800)
			require.NoError(t, err)
			require.True(t, sale.Paid())
			refused := func(what string, want error, f func() error) {
				t.Helper()
				before := d.sentSoFar()
				err := f()
				assert.ErrorIs(t, err, want, what)
				assert.Equal(t, before, d.sentSoFar(), "%s: nothing sent", what)
			}

			refused("consume 0", deposit.ErrNoAmount, func() error { _, err := d.consume(dep.DepositNo, 0); return err })
			refused("consume -1", deposit.ErrNoAmount, func() error { _, err := d.consume(dep.DepositNo, -1); return err })
			refused("consume more than held", deposit.ErrTooMuch, func() error { _, err := d.consume(dep.DepositNo, 50001); return err })
			refused("a sale's number at Find", deposit.ErrNotADeposit, func() error { _, err := d.s.Desk.Find(ctx, sale.Order.OrderNo); return err })
			refused("a sale's number at Freeze", deposit.ErrNotADeposit, func() error {
				_, err := d.s.Desk.Freeze(ctx, sale.Order.OrderNo, codeFor(d.wallet, "000"), d.staff, nil)
				return err
			})
			refused("a sale's number at Consume", deposit.ErrNotADeposit, func() error { _, err := d.consume(sale.Order.OrderNo, 100); return err })
			assert.Equal(t, payment.DepositFrozen, d.find(dep.DepositNo).State)

			// Fully consumed: neither a release nor another consume.
			st, err := d.consume(dep.DepositNo, 50000)
			require.NoError(t, err)
			require.True(t, st.Op.Done(), "%s %s", st.Op.State, st.Op.Msg)
			refused("release after full consumption", deposit.ErrAlreadyConsumed, func() error { _, err := d.release(dep.DepositNo); return err })
			refused("consume after full consumption", deposit.ErrAlreadyConsumed, func() error { _, err := d.consume(dep.DepositNo, 1); return err })
			d.balanced(d.find(dep.DepositNo))

			// Released: a second release is refused.
			dep2, _ := d.take(20000, "000")
			st, err = d.release(dep2.DepositNo)
			require.NoError(t, err)
			require.True(t, st.Op.Done(), "%s %s", st.Op.State, st.Op.Msg)
			refused("release twice", deposit.ErrAlreadyReleased, func() error { _, err := d.release(dep2.DepositNo); return err })
			refused("consume after release", deposit.ErrAlreadyReleased, func() error { _, err := d.consume(dep2.DepositNo, 1); return err })
			d.balanced(d.find(dep2.DepositNo))
		})
	}
}

// otherStoreDeposit freezes a deposit and moves its order to a second
// store (as localdb/deposits_test.go does): a deposit this desk must not
// settle.
func otherStoreDeposit(t *testing.T) (*deskWorld, payment.Deposit) {
	d := newDeskWorld(t, app.ChannelWeChat, app.WalletWeChat, speedup)
	ctx := context.Background()
	dep, _ := d.take(50000, "000")
	here, err := d.db.CurrentStore(ctx)
	require.NoError(t, err)
	require.NoError(t, d.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO store(id, merchant_id, code, name, created_at)
			SELECT 99, merchant_id, 'OTHER', 'other', 0 FROM store WHERE id=?`, here.ID); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE orders SET store_id=99 WHERE order_no=?`, dep.DepositNo)
		return err
	}))
	return d, dep
}

// A deposit taken in another store is named as such when looked up at the
// desk (by its number or the wallet's), never "not found".
func TestDepositDesk_OtherStoreFind(t *testing.T) {
	d, dep := otherStoreDeposit(t)
	ctx := context.Background()
	before := d.sentSoFar()
	_, err := d.s.Desk.Find(ctx, dep.DepositNo)
	assert.ErrorIs(t, err, deposit.ErrOtherStore)
	_, err = d.s.Desk.Find(ctx, dep.TransactionID)
	assert.ErrorIs(t, err, deposit.ErrOtherStore, "by the wallet's transaction number too")
	assert.Equal(t, before, d.sentSoFar())
}

// The desk's Consume and Release themselves refuse another store's
// deposit before sending (docs/deposits.md: "Refused before anything is
// sent: ... another store's deposit").
func TestDepositDesk_OtherStoreSettleSendsNothing(t *testing.T) {
	d, dep := otherStoreDeposit(t)
	before := d.sentSoFar()
	_, err := d.consume(dep.DepositNo, 100)
	assert.ErrorIs(t, err, deposit.ErrOtherStore, "consume by its number")
	_, err = d.release(dep.DepositNo)
	assert.ErrorIs(t, err, deposit.ErrOtherStore, "release by its number")
	assert.Equal(t, before, d.sentSoFar(), "nothing sent for another store's deposit")
	still, err := d.s.DB.GetDeposit(context.Background(), dep.DepositNo)
	require.NoError(t, err)
	assert.Equal(t, payment.DepositFrozen, still.State)
}

// WeChat refunds an unsettled deposit by itself after 30 days: one older
// than that (the till's clock moved 31 days on) is refused before
// sending; Alipay states no limit, so its deposit is still settled.
func TestDepositDesk_PastChannelLimit(t *testing.T) {
	for _, c := range deskChannels {
		t.Run(string(c.name), func(t *testing.T) {
			d := newDeskWorld(t, c.name, c.wallet, speedup)
			dep, _ := d.take(50000, "000")
			d.wall.Jump(31 * 24 * time.Hour)
			if c.wallet == app.WalletAlipay {
				assert.NoError(t, deposit.Check(d.find(dep.DepositNo), app.DepositOpRelease, 0, d.wall.Now()))
				st, err := d.release(dep.DepositNo)
				require.NoError(t, err)
				assert.True(t, st.Op.Done(), "%s %s", st.Op.State, st.Op.Msg)
				d.balanced(d.find(dep.DepositNo))
				return
			}
			n, err := d.s.Desk.NearLimit(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 1, n, "the status bar counts it")
			before := d.sentSoFar()
			_, err = d.consume(dep.DepositNo, 100)
			assert.ErrorIs(t, err, deposit.ErrPastLimit)
			_, err = d.release(dep.DepositNo)
			assert.ErrorIs(t, err, deposit.ErrPastLimit)
			assert.Equal(t, before, d.sentSoFar(), "nothing sent")
			assert.Equal(t, payment.DepositFrozen, d.find(dep.DepositNo).State)
		})
	}
}

// A deposit's order whose freeze was declined is voided when the desk
// gives it up (the guest walked away): it does not wait at the handover
// as an unpaid order. A frozen deposit's order is left as it is.
func TestDepositDesk_AbandonDeclinedOrder(t *testing.T) {
	d := newDeskWorld(t, app.ChannelWeChat, app.WalletWeChat, speedup)
	ctx := context.Background()
	o := d.open(50000)
	out, err := d.s.Desk.Freeze(ctx, o.OrderNo, codeFor(app.WalletWeChat, "201"), d.staff, nil) // NOTENOUGH
	require.NoError(t, err)
	require.False(t, out.Paid())
	require.NoError(t, d.s.Desk.Abandon(ctx, o.OrderNo, d.staff))
	got, err := d.s.DB.GetOrder(ctx, o.OrderNo)
	require.NoError(t, err)
	assert.Equal(t, app.OrderClosed, got.Status)

	dep, _ := d.take(30000, "000")
	require.NoError(t, d.s.Desk.Abandon(ctx, dep.DepositNo, d.staff))
	assert.Equal(t, payment.DepositFrozen, d.find(dep.DepositNo).State, "a frozen deposit is never given up")
	paid, err := d.s.DB.GetOrder(ctx, dep.DepositNo)
	require.NoError(t, err)
	assert.Equal(t, app.OrderPaid, paid.Status)
}
