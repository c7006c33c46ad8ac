// Package paytest helps test the payment state machine: a scripted
// app.PaymentChannel that records every call, and a driver that moves an
// app.ManualClock whenever the code under test is waiting on it.
package paytest

import (
	"context"
	"errors"
	"sync"
	"time"

	"cashier/app"
)

// Methods of app.PaymentChannel, as Channel records them.
const (
	MPay         = "pay"
	MQuery       = "query"
	MReverse     = "reverse"
	MRefund      = "refund"
	MRefundQuery = "refundquery"
	MConsume     = "consume"
	MRelease     = "release"
	MOpQuery     = "opquery"
)

// Reply is one scripted answer.
type Reply struct {
	Res app.ChannelResult
	Err error
	// Then runs after the answer is chosen, before it is returned (to
	// move a clock, or cancel from inside a call).
	Then func()
}

// Call is one recorded call.
type Call struct {
	Method string
	At     time.Time
	Ref    string // out_trade_no, out_refund_no or out_request_no
	Amount app.Money
	Pay    app.PayRequest
}

// Channel is a scripted app.PaymentChannel. Each method answers from its
// own queue; the last reply of a queue repeats. A method with no script
// answers OutcomeUnknown.
type Channel struct {
	ChannelName app.ChannelName
	Clock       app.Clock

	mu      sync.Mutex
	scripts map[string][]Reply
	calls   []Call
}

// NewChannel makes a scripted channel.
func NewChannel(name app.ChannelName, clock app.Clock) *Channel {
	return &Channel{ChannelName: name, Clock: clock, scripts: map[string][]Reply{}}
}

// Script appends replies for method.
func (c *Channel) Script(method string, replies ...Reply) *Channel {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scripts[method] = append(c.scripts[method], replies...)
	return c
}

// Set replaces method's script.
func (c *Channel) Set(method string, replies ...Reply) *Channel {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scripts[method] = append([]Reply(nil), replies...)
	return c
}

// Calls lists the recorded calls of method ("" = all).
func (c *Channel) Calls(method string) []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Call
	for _, k := range c.calls {
		if method == "" || k.Method == method {
			out = append(out, k)
		}
	}
	return out
}

func (c *Channel) next(k Call) (app.ChannelResult, error) {
	c.mu.Lock()
	k.At = c.Clock.Now()
	c.calls = append(c.calls, k)
	q := c.scripts[k.Method]
	var r Reply
	switch len(q) {
	case 0:
		r = Reply{Res: app.ChannelResult{Outcome: app.OutcomeUnknown, Code: "NO_SCRIPT"}}
	case 1:
		r = q[0]
	default:
		r = q[0]
		c.scripts[k.Method] = q[1:]
	}
	c.mu.Unlock()
	if r.Then != nil {
		r.Then()
	}
	return r.Res, r.Err
}

func (c *Channel) Name() app.ChannelName { return c.ChannelName }

func (c *Channel) Pay(_ context.Context, r app.PayRequest) (app.ChannelResult, error) {
	return c.next(Call{Method: MPay, Ref: r.OutTradeNo, Amount: r.Amount, Pay: r})
}

func (c *Channel) Query(_ context.Context, r app.OrderRef) (app.ChannelResult, error) {
	return c.next(Call{Method: MQuery, Ref: r.OutTradeNo})
}

func (c *Channel) Reverse(_ context.Context, r app.OrderRef) (app.ChannelResult, error) {
	return c.next(Call{Method: MReverse, Ref: r.OutTradeNo})
}

func (c *Channel) Refund(_ context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	return c.next(Call{Method: MRefund, Ref: r.OutRefundNo, Amount: r.Amount})
}

func (c *Channel) RefundQuery(_ context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	return c.next(Call{Method: MRefundQuery, Ref: r.OutRefundNo, Amount: r.Amount})
}

func (c *Channel) Consume(_ context.Context, r app.ConsumeRequest) (app.ChannelResult, error) {
	return c.next(Call{Method: MConsume, Ref: r.OutRequestNo, Amount: r.Amount})
}

func (c *Channel) Release(_ context.Context, r app.ReleaseRequest) (app.ChannelResult, error) {
	return c.next(Call{Method: MRelease, Ref: r.OutRequestNo, Amount: r.Amount})
}

func (c *Channel) QueryDepositOp(_ context.Context, r app.DepositOpRef) (app.ChannelResult, error) {
	return c.next(Call{Method: MOpQuery, Ref: r.OutRequestNo, Amount: r.Amount})
}

func (c *Channel) DownloadBill(context.Context, time.Time) (app.Bill, error) {
	return app.Bill{}, channelNoBills
}

// channelNoBills: the scripted channel serves no bills.
var channelNoBills = errors.New("no_bills")

// Replies for scripts.

// Paid is a success with the trade state PAID.
func Paid(txn string) Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomeSuccess, TradeState: "PAID", TransactionID: txn, Code: "SUCCESS"}}
}

// Done is a plain success (reverse, refund, consume, release).
func Done() Reply { return Reply{Res: app.ChannelResult{Outcome: app.OutcomeSuccess, Code: "SUCCESS"}} }

// Paying is USERPAYING / 10003 / WAIT_BUYER_PAY.
func Paying() Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomePending, TradeState: "PAYING", Code: "USERPAYING"}}
}

// Unknown is SYSTEMERROR, a timeout, 20000, status 3/103.
func Unknown(code string) Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomeUnknown, Code: code}}
}

// Retry is an unknown answer that asks for the same call again
// (recall=Y, retry_flag=Y, status 3).
func Retry(code string) Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomeUnknown, Code: code, Retry: true}}
}

// Failed is a final refusal, with a trade state for queries.
func Failed(code, tradeState string) Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomeFailed, Code: code, Message: code, TradeState: tradeState}}
}

// NotFound is a signed "no such order/refund/operation".
func NotFound(code string) Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomeUnknown, Code: code, NotFound: true}}
}

// ConfigRefused is a definite refusal of the merchant's settings (bad
// key, unknown app id): ConfigError.
func ConfigRefused(code string) Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomeFailed, Code: code, Message: code, ConfigError: true}}
}

// Amount is a success stating amount.
func Amount(r Reply, amount app.Money) Reply {
	r.Res.Amount = amount
	return r
}

// NotSent is a client refusing before sending (bad key).
func NotSent(why string) Reply { return Reply{Err: app.NotSent("%s", why)} }

// Drive runs fn on its own goroutine and advances clock by step whenever
// something waits on it, until fn returns or the clock has moved by limit.
// It reports whether fn finished.
func Drive(clock *app.ManualClock, step, limit time.Duration, fn func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	start := clock.Now()
	for {
		select {
		case <-done:
			return true
		default:
		}
		if clock.Since(start) > limit {
			select {
			case <-done:
				return true
			case <-time.After(2 * time.Second):
				return false
			}
		}
		if clock.Waiters() > 0 {
			// Let the goroutine settle into its wait before moving time.
			time.Sleep(100 * time.Microsecond)
			clock.Advance(step)
			continue
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// FastClock is a wall clock that runs factor times faster, starting at
// base: the production timings (5 s queries, 45 s deadline, 15 s reverse
// rule, 2 min manual) then pass in milliseconds while HTTP, TLS and the
// database run at their real speed. Share one between the payment service
// and the sandbox.
type FastClock struct {
	base, start time.Time
	factor      time.Duration
}

// NewFastClock starts a fast clock at base.
func NewFastClock(base time.Time, factor int) *FastClock {
	if factor < 1 {
		factor = 1
	}
	return &FastClock{base: base, start: time.Now(), factor: time.Duration(factor)}
}

// NewFastClockAt makes a fast clock that agrees with another one started
// at wall time start from base (a child process shares its parent's).
func NewFastClockAt(base, start time.Time, factor int) *FastClock {
	c := NewFastClock(base, factor)
	c.start = start
	return c
}

// Epoch is what NewFastClockAt needs to make a clock that agrees with c.
func (c *FastClock) Epoch() (base, start time.Time) { return c.base, c.start }

// Now implements app.Clock.
func (c *FastClock) Now() time.Time { return c.base.Add(time.Since(c.start) * c.factor) }

// Since implements app.Clock (the fast clock has no monotonic reading
// of its own: wall differences).
func (c *FastClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// After implements app.Clock.
func (c *FastClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.Now()
		return ch
	}
	time.AfterFunc((d+c.factor-1)/c.factor, func() { ch <- c.Now() })
	return ch
}

// Real converts a duration on this clock to wall time.
func (c *FastClock) Real(d time.Duration) time.Duration { return d / c.factor }
