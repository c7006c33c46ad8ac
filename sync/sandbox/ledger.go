package sandbox

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"cashier/app"
)

// OrderState is the sandbox's channel-neutral state of an order. Each
// protocol maps it to its own words (trade_state, trade_status, current_trade_state).
type OrderState string

const (
	StatePaying   OrderState = "PAYING"   // the customer is still confirming
	StatePaid     OrderState = "PAID"     // money taken (or, for a deposit, frozen)
	StateClosed   OrderState = "CLOSED"   // ended without money: customer cancelled or closed by the merchant
	StateReversed OrderState = "REVERSED" // reversed/cancelled by the merchant; any money taken went back
	StateFailed   OrderState = "FAILED"   // refused (FailCode says why); no money moved
)

// Failure codes kept on FAILED and customer-cancelled orders.
const (
	failNotEnough       = "NOTENOUGH"
	failAuthCodeExpired = "AUTHCODEEXPIRE"
	failUserCancelled   = "USERCANCELLED"
)

// Order is one order (payment, deposit freeze, or deposit consumption) in the ledger.
// Amounts are fen.
type Order struct {
	Channel       app.ChannelName `json:"channel"`
	Merchant      string          `json:"merchant"`               // WeChat mch_id, Alipay app_id, Cloud Pay out_mch_id
	SubMerchant   string          `json:"sub_merchant,omitempty"` // WeChat sub_mch_id, Cloud Pay out_sub_mch_id
	OutTradeNo    string          `json:"out_trade_no"`
	TransactionID string          `json:"transaction_id,omitempty"`
	AuthCode      string          `json:"auth_code,omitempty"`
	Platform      int             `json:"platform,omitempty"` // Cloud Pay pay_platform
	Amount        app.Money       `json:"amount"`
	Subject       string          `json:"subject,omitempty"`
	Deposit       bool            `json:"deposit,omitempty"`
	// Parent is the out_trade_no (Alipay out_order_no) of the deposit a
	// consumption order takes its money from.
	Parent   string     `json:"parent,omitempty"`
	Scenario Scenario   `json:"scenario"`
	State    OrderState `json:"state"`
	FailCode string     `json:"fail_code,omitempty"`
	// Charged: money was taken from the customer's wallet by this order
	// (a payment or a deposit freeze; not a consumption of a deposit).
	Charged   bool      `json:"charged"`
	CreatedAt time.Time `json:"created_at"`
	PaidAt    time.Time `json:"paid_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`

	Refunded app.Money `json:"refunded,omitempty"` // refunds accepted against this order
	Reversed app.Money `json:"reversed,omitempty"` // returned by reverse/cancel
	Consumed app.Money `json:"consumed,omitempty"` // deposits: captured
	Released app.Money `json:"released,omitempty"` // deposits: returned unfrozen
	// Ops are the deposit's numbered operations (Alipay unfreeze, Cloud Pay
	// unfreeze), kept so a query can answer for each by its number.
	Ops []DepositOp `json:"ops,omitempty"`

	Store    string `json:"store,omitempty"`
	Terminal string `json:"terminal,omitempty"`
	Staff    string `json:"staff,omitempty"`
	// Extra holds per-protocol facts (Alipay auth_no / operation ids, the
	// request number of a freeze, ...).
	Extra map[string]string `json:"extra,omitempty"`

	Fingerprint string    `json:"-"`
	PayingUntil time.Time `json:"paying_until,omitzero"`
	Placeholder bool      `json:"placeholder,omitempty"` // created by a reverse/close of an order never seen

	// A dynamic QR order (WeChat unifiedorder NATIVE, Alipay precreate,
	// qr.go): the code the customer scans, until when it can be paid, and
	// whether the customer has scanned it (an Alipay trade exists only
	// from the scan).
	QR        bool      `json:"qr,omitempty"`
	CodeURL   string    `json:"code_url,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Scanned   bool      `json:"scanned,omitempty"`
}

// DepositOp is one numbered operation on a deposit.
type DepositOp struct {
	Kind      string    `json:"kind"` // "release"
	RequestNo string    `json:"request_no"`
	Amount    app.Money `json:"amount"`              // what it moved
	Requested app.Money `json:"requested,omitempty"` // what was asked, when that differs (scenario …94)
	At        time.Time `json:"at"`
	// OperationID is the channel's number of the operation (Alipay operation_id).
	OperationID string `json:"operation_id,omitempty"`
}

// requested is what the operation asked for.
func (d DepositOp) requested() app.Money {
	if d.Requested != 0 {
		return d.Requested
	}
	return d.Amount
}

// Op finds the deposit operation with that kind and number.
func (o *Order) Op(kind, requestNo string) (DepositOp, bool) {
	for _, d := range o.Ops {
		if d.Kind == kind && d.RequestNo == requestNo {
			return d, true
		}
	}
	return DepositOp{}, false
}

// Frozen is what a deposit still holds.
func (o *Order) Frozen() app.Money {
	if !o.Deposit || o.State != StatePaid {
		return 0
	}
	return o.Amount - o.Consumed - o.Released
}

// Refund is one refund request in the ledger.
type Refund struct {
	Channel     app.ChannelName `json:"channel"`
	Merchant    string          `json:"merchant"`
	SubMerchant string          `json:"sub_merchant,omitempty"`
	OutTradeNo  string          `json:"out_trade_no"`
	OutRefundNo string          `json:"out_refund_no"`
	RefundID    string          `json:"refund_id"`
	Amount      app.Money       `json:"amount"` // what went back to the customer
	// Requested is what the refund asked for, kept only when the channel
	// refunded another amount (scenario …94).
	Requested app.Money `json:"requested,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	DoneAt    time.Time `json:"done_at"`
}

// requested is what the refund asked for.
func (r *Refund) requested() app.Money {
	if r.Requested != 0 {
		return r.Requested
	}
	return r.Amount
}

// Done tells whether the refund has reached the customer at time now.
func (r *Refund) Done(now time.Time) bool { return !now.Before(r.DoneAt) }

// Charge is money taken from a customer's wallet, with what went back.
type Charge struct {
	Channel       app.ChannelName `json:"channel"`
	Merchant      string          `json:"merchant"`
	SubMerchant   string          `json:"sub_merchant,omitempty"`
	OutTradeNo    string          `json:"out_trade_no"`
	TransactionID string          `json:"transaction_id"`
	AuthCode      string          `json:"auth_code"`
	Amount        app.Money       `json:"amount"`
	Deposit       bool            `json:"deposit,omitempty"`
	At            time.Time       `json:"at"`
	Reversed      bool            `json:"reversed,omitempty"`
	// Returned is what went back to the customer: reversal, refunds (of the
	// order or of consumptions of the deposit) and unfrozen deposit money.
	Returned app.Money `json:"returned"`
}

// Held is what the merchant still keeps (or holds frozen) from the charge.
func (c Charge) Held() app.Money { return c.Amount - c.Returned }

// LedgerSummary counts what the ledger holds.
type LedgerSummary struct {
	Orders  int `json:"orders"`
	Refunds int `json:"refunds"`
	Charges int `json:"charges"`
	// Unreversed counts charges whose money was neither reversed nor fully
	// given back: the money the merchant (still) took.
	Unreversed int       `json:"unreversed"`
	Held       app.Money `json:"held"`
	Charged    app.Money `json:"charged"`
}

// Ledger is the sandbox's book of orders, refunds and deposit operations.
// It is safe for concurrent use; every read settles orders whose
// USERPAYING window has passed on the configured clock.
type Ledger struct {
	mu          sync.Mutex
	clock       app.Clock
	wallets     *WalletConfig
	paying      time.Duration
	refundDelay time.Duration
	orders      map[string]*Order
	order       []*Order // creation order
	byTxn       map[string]*Order
	refunds     map[string]*Refund
	rlist       []*Refund
	ops         map[string]string // idempotent deposit operations: key → fingerprint
	seq         uint64
	inst        uint16 // random per-ledger digits so ids differ between ledgers

	// Persistence (journal.go): j is nil for a ledger kept in memory only.
	// Every call collects what it changed in dirty*; end writes it to the
	// journal before the call returns, so before any answer is written.
	j            *journal
	dirtyOrders  []*Order
	dirtyRefunds []*Refund
	dirtyOps     []string
	dirtySet     map[any]bool
	failed       error // a journal write failed (or the file was closed): handler calls are refused
	log          io.Writer
}

func newLedger(cfg *Config) *Ledger {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return &Ledger{
		clock:       cfg.Clock,
		wallets:     &cfg.Wallets,
		paying:      cfg.Scenarios.userPaying(),
		refundDelay: cfg.Scenarios.refundDelay(),
		orders:      map[string]*Order{},
		byTxn:       map[string]*Order{},
		refunds:     map[string]*Refund{},
		ops:         map[string]string{},
		dirtySet:    map[any]bool{},
		inst:        binary.BigEndian.Uint16(b[:]) % 10000,
	}
}

func orderKey(ch app.ChannelName, mch, sub, outTradeNo string) string {
	return string(ch) + "\x00" + mch + "\x00" + sub + "\x00" + outTradeNo
}

func (o *Order) key() string { return orderKey(o.Channel, o.Merchant, o.SubMerchant, o.OutTradeNo) }

func refundKey(ch app.ChannelName, mch, sub, outRefundNo string) string {
	return string(ch) + "\x00" + mch + "\x00" + sub + "\x00" + outRefundNo
}

// newID makes a channel-looking numeric id from a template where {date}
// stands for yyyyMMdd (Beijing), followed by digits unique to this ledger.
func (l *Ledger) newID(tpl string, now time.Time, digits int) string {
	l.seq++
	s := fmt.Sprintf("%04d%0*d", l.inst, digits-4, l.seq)
	return strings.Replace(tpl, "{date}", now.In(beijing).Format("20060102"), 1) + s
}

// beijing is China Standard Time, in which every channel writes its times and bill dates.
var beijing = time.FixedZone("CST", 8*3600)

// settle moves an order whose USERPAYING window has passed to its end.
func (l *Ledger) settle(o *Order, now time.Time) {
	if o.QR {
		l.settleQR(o, now) // the customer decides, not a window
		return
	}
	if o.State != StatePaying || now.Before(o.PayingUntil) {
		return
	}
	switch o.Scenario {
	case ScenarioUserPayingCancel:
		o.State = StateClosed
		o.FailCode = failUserCancelled
		o.EndedAt = o.PayingUntil
	default:
		o.State = StatePaid
		o.Charged = true
		o.PaidAt = o.PayingUntil
	}
	l.touch(o)
}

func (l *Ledger) now() time.Time { return l.clock.Now() }

// lookup finds an order by out_trade_no or, when that is empty, by
// transaction id, within one merchant. It settles the order.
func (l *Ledger) lookup(ch app.ChannelName, mch, sub, outTradeNo, txn string) *Order {
	var o *Order
	if outTradeNo != "" {
		o = l.orders[orderKey(ch, mch, sub, outTradeNo)]
	} else if txn != "" {
		o = l.byTxn[string(ch)+"\x00"+txn]
		if o != nil && (o.Merchant != mch || o.SubMerchant != sub) {
			o = nil
		}
	}
	if o != nil {
		l.settle(o, l.now())
	}
	return o
}

// payIn is one pay / freeze request as the ledger needs it.
type payIn struct {
	Channel     app.ChannelName
	Merchant    string
	SubMerchant string
	OutTradeNo  string
	AuthCode    string
	Platform    int
	Amount      app.Money
	Subject     string
	Deposit     bool
	Store       string
	Terminal    string
	Staff       string
	TxnPrefix   string // template of the channel's transaction id, {date} = yyyyMMdd
	Extra       map[string]string
	// Fingerprint identifies the content for idempotency: the same
	// out_trade_no with another fingerprint is a conflict.
	Fingerprint string
}

type payResult int

const (
	payNew         payResult = iota // a new order was created (any state)
	paySame                         // the same request again: the existing order
	payConflict                     // the number is used by different content
	payUnavailable                  // scenario 501: nothing created
)

// pay creates or finds the order for a pay/freeze request and plays the
// payment code's scenario. It returns a copy of the order.
func (l *Ledger) pay(in payIn) (Order, payResult) {
	l.begin()
	defer l.end()
	now := l.now()
	k := orderKey(in.Channel, in.Merchant, in.SubMerchant, in.OutTradeNo)
	if o := l.orders[k]; o != nil {
		l.settle(o, now)
		if o.Placeholder || o.Fingerprint == in.Fingerprint {
			return o.copy(), paySame
		}
		return o.copy(), payConflict
	}
	scen := ScenarioFor(in.AuthCode)
	if scen == ScenarioUnavailable {
		return Order{}, payUnavailable
	}
	o := &Order{
		Channel: in.Channel, Merchant: in.Merchant, SubMerchant: in.SubMerchant,
		OutTradeNo: in.OutTradeNo, AuthCode: in.AuthCode, Platform: in.Platform,
		Amount: in.Amount, Subject: in.Subject, Deposit: in.Deposit,
		Store: in.Store, Terminal: in.Terminal, Staff: in.Staff,
		Scenario: scen, CreatedAt: now, Fingerprint: in.Fingerprint, Extra: in.Extra,
		TransactionID: l.newID(in.TxnPrefix, now, 16),
	}
	switch {
	case scen == ScenarioNotEnough:
		o.State, o.FailCode, o.EndedAt = StateFailed, failNotEnough, now
	case scen == ScenarioAuthCodeExpired:
		o.State, o.FailCode, o.EndedAt = StateFailed, failAuthCodeExpired, now
	case in.Amount > l.balanceLocked(in.AuthCode):
		o.State, o.FailCode, o.EndedAt = StateFailed, failNotEnough, now
	case scen.paying():
		o.State, o.PayingUntil = StatePaying, now.Add(l.paying)
	default:
		o.State, o.Charged, o.PaidAt = StatePaid, true, now
	}
	l.addOrder(o)
	return o.copy(), payNew
}

func (l *Ledger) addRefund(r *Refund) {
	l.touchRefund(r)
	l.refunds[r.key()] = r
	l.rlist = append(l.rlist, r)
}

func (r *Refund) key() string { return refundKey(r.Channel, r.Merchant, r.SubMerchant, r.OutRefundNo) }

func (l *Ledger) addOrder(o *Order) {
	l.touch(o)
	l.orders[o.key()] = o
	l.order = append(l.order, o)
	if o.TransactionID != "" {
		l.byTxn[string(o.Channel)+"\x00"+o.TransactionID] = o
	}
}

// balanceLocked is what the payment code can still spend: the configured
// balance less what it has paid (or has reserved while paying) and not got back.
func (l *Ledger) balanceLocked(code string) app.Money {
	b := l.wallets.balance(code)
	for _, o := range l.order {
		if o.AuthCode != code {
			continue
		}
		switch {
		case o.State == StatePaying:
			b -= o.Amount
		case o.Charged:
			b -= o.Amount - l.returnedLocked(o)
		}
	}
	return b
}

// returnedLocked is what went back to the customer from a charged order.
func (l *Ledger) returnedLocked(o *Order) app.Money {
	r := o.Reversed + o.Refunded + o.Released
	if o.Deposit {
		for _, c := range l.order {
			if c.Parent == o.OutTradeNo && c.Channel == o.Channel && c.Merchant == o.Merchant && c.SubMerchant == o.SubMerchant {
				r += c.Refunded + c.Reversed
			}
		}
	}
	return r
}

func (o *Order) copy() Order {
	c := *o
	if o.Extra != nil {
		c.Extra = make(map[string]string, len(o.Extra))
		for k, v := range o.Extra {
			c.Extra[k] = v
		}
	}
	c.Ops = append([]DepositOp(nil), o.Ops...)
	return c
}

// Refusal markers of scenario …92 live in ops (journaled with it) under
// this prefix: the first call was lost and not made, so every re-send of
// the same operation is refused for good, after a restart too.
const refusedPrefix = "refused\x00"

// refusedLocked reports whether the operation was refused for good.
func (l *Ledger) refusedLocked(key string) bool {
	_, ok := l.ops[refusedPrefix+key]
	return ok
}

// refuseLocked records that the operation is refused for good.
func (l *Ledger) refuseLocked(key, fingerprint string) {
	l.ops[refusedPrefix+key] = fingerprint
	l.touchOp(refusedPrefix + key)
}

type reverseResult int

const (
	revDone       reverseResult = iota // reversed (or nothing was left to reverse)
	revNotFound                        // no such order (and no placeholder asked for)
	revPaying                          // the customer is still confirming: try again
	revTooEarly                        // deposit reversed sooner than 15 s after payment
	revTooOld                          // order older than 7 days
	revNotAllowed                      // refunded or consumed already: use refund
)

type reverseOpts struct {
	minAge      time.Duration // deposits: 15 s
	placeholder bool          // record a REVERSED order when none exists, so a late pay is refused
	closePaying bool          // close an order still being confirmed instead of answering revPaying
	// scenario plays the fault of a deposit release (WeChat /deposit/reverse)
	// when it would return a paid deposit's money.
	scenario OpScenario
}

// More reverse results, only with reverseOpts.scenario set.
const (
	revLost    reverseResult = iota + 100 // …92: lost and not made (drop the connection)
	revRefused                            // …92: a re-send of the lost reversal, refused for good
)

// reverse cancels an order: money taken goes back in full.
func (l *Ledger) reverse(ch app.ChannelName, mch, sub, outTradeNo, txn string, opt reverseOpts) (Order, reverseResult) {
	o, res, _ := l.reverseOp(ch, mch, sub, outTradeNo, txn, opt)
	return o, res
}

// reverseOp is reverse that also tells whether this call is the one that
// returned the money (made), so a fault scenario hits only that answer.
func (l *Ledger) reverseOp(ch app.ChannelName, mch, sub, outTradeNo, txn string, opt reverseOpts) (_ Order, _ reverseResult, made bool) {
	l.begin()
	defer l.end()
	now := l.now()
	o := l.lookup(ch, mch, sub, outTradeNo, txn)
	if o == nil {
		if !opt.placeholder || outTradeNo == "" {
			return Order{}, revNotFound, false
		}
		o = &Order{Channel: ch, Merchant: mch, SubMerchant: sub, OutTradeNo: outTradeNo,
			State: StateReversed, CreatedAt: now, EndedAt: now, Placeholder: true, Scenario: ScenarioSuccess}
		l.addOrder(o)
		return o.copy(), revDone, true
	}
	if now.Sub(o.CreatedAt) > reverseMaxAge {
		return o.copy(), revTooOld, false
	}
	switch o.State {
	case StatePaying:
		if !opt.closePaying {
			return o.copy(), revPaying, false
		}
		o.State, o.EndedAt = StateReversed, now
		l.touch(o)
		return o.copy(), revDone, true
	case StatePaid:
		if o.Refunded > 0 || o.Consumed > 0 || o.Released > 0 || l.hasChildrenLocked(o) {
			return o.copy(), revNotAllowed, false
		}
		if opt.minAge > 0 && now.Sub(o.PaidAt) < opt.minAge {
			return o.copy(), revTooEarly, false
		}
		key := "reverse\x00" + o.key()
		if l.refusedLocked(key) {
			return o.copy(), revRefused, false
		}
		if opt.scenario == OpLostRefused {
			l.refuseLocked(key, fmt.Sprint(o.Amount))
			return o.copy(), revLost, false
		}
		if o.Charged || o.Parent != "" {
			o.Reversed = o.Amount
		}
		o.State, o.EndedAt = StateReversed, now
		l.touch(o)
		return o.copy(), revDone, true
	case StateClosed, StateFailed:
		o.State, o.EndedAt = StateReversed, now
		l.touch(o)
		return o.copy(), revDone, true
	}
	return o.copy(), revDone, false
}

func (l *Ledger) hasChildrenLocked(o *Order) bool {
	for _, c := range l.order {
		if c.Parent == o.OutTradeNo && c.Channel == o.Channel && c.Merchant == o.Merchant && c.SubMerchant == o.SubMerchant {
			return true
		}
	}
	return false
}

type closeResult int

const (
	closeDone closeResult = iota
	closePaid             // already paid: cannot close
)

// close ends an order that is not paid (Cloud Pay close_order). An order
// never seen is recorded closed so a late pay with the number is refused.
func (l *Ledger) close(ch app.ChannelName, mch, sub, outTradeNo string) (Order, closeResult) {
	l.begin()
	defer l.end()
	now := l.now()
	o := l.lookup(ch, mch, sub, outTradeNo, "")
	if o == nil {
		o = &Order{Channel: ch, Merchant: mch, SubMerchant: sub, OutTradeNo: outTradeNo,
			State: StateClosed, CreatedAt: now, EndedAt: now, Placeholder: true, Scenario: ScenarioSuccess}
		l.addOrder(o)
		return o.copy(), closeDone
	}
	switch o.State {
	case StatePaid:
		return o.copy(), closePaid
	case StatePaying:
		o.State, o.EndedAt = StateClosed, now
		l.touch(o)
	}
	return o.copy(), closeDone
}

type refundResult int

const (
	refNew            refundResult = iota
	refSame                        // the same refund number and content again
	refConflict                    // the refund number is used with different content
	refOrderNotFound               // no such order
	refNotPaid                     // the order is not paid (or was reversed)
	refTotalMismatch               // the stated order total is not the order's
	refTooMuch                     // more than what can still be refunded
	refDepositNotDone              // WeChat deposits: only consumed money can be refunded
	refLost                        // scenario …92, first call: nothing made, drop the connection
	refRefused                     // scenario …92, a re-send: refused for good
)

type refundIn struct {
	Channel     app.ChannelName
	Merchant    string
	SubMerchant string
	OutTradeNo  string
	TxnID       string
	OutRefundNo string
	Total       app.Money // 0: not stated
	Amount      app.Money
	Reason      string
	IDPrefix    string
	// Scenario is the fault to play (OpScenarioFor(Amount)); the zero value
	// plays none. It applies only to a refund that would be accepted.
	Scenario OpScenario
}

// refund accepts a refund against a paid order (or the consumed part of a
// WeChat deposit). Refund numbers are idempotent: the same number with the
// same order and requested amount is refSame, with the refund as made.
func (l *Ledger) refund(in refundIn) (Order, Refund, refundResult) {
	l.begin()
	defer l.end()
	now := l.now()
	o := l.lookup(in.Channel, in.Merchant, in.SubMerchant, in.OutTradeNo, in.TxnID)
	rk := refundKey(in.Channel, in.Merchant, in.SubMerchant, in.OutRefundNo)
	if r := l.refunds[rk]; r != nil {
		if o != nil && r.OutTradeNo == o.OutTradeNo && r.requested() == in.Amount {
			return o.copy(), *r, refSame
		}
		var oc Order
		if o != nil {
			oc = o.copy()
		}
		return oc, *r, refConflict
	}
	if l.refusedLocked("refund\x00" + rk) {
		var oc Order
		if o != nil {
			oc = o.copy()
		}
		return oc, Refund{}, refRefused
	}
	if o == nil {
		return Order{}, Refund{}, refOrderNotFound
	}
	if o.State != StatePaid || o.Placeholder {
		return o.copy(), Refund{}, refNotPaid
	}
	if in.Total != 0 && in.Total != o.Amount {
		return o.copy(), Refund{}, refTotalMismatch
	}
	refundable := o.Amount - o.Refunded
	if o.Deposit {
		if o.Consumed == 0 {
			return o.copy(), Refund{}, refDepositNotDone
		}
		refundable = o.Consumed - o.Refunded
	}
	if in.Amount <= 0 || in.Amount > refundable {
		return o.copy(), Refund{}, refTooMuch
	}
	if in.Scenario == OpLostRefused {
		l.refuseLocked("refund\x00"+rk, fmt.Sprint(o.OutTradeNo, "|", in.Amount))
		return o.copy(), Refund{}, refLost
	}
	made := in.Scenario.madeAmount(in.Amount)
	r := &Refund{
		Channel: in.Channel, Merchant: in.Merchant, SubMerchant: in.SubMerchant,
		OutTradeNo: o.OutTradeNo, OutRefundNo: in.OutRefundNo, Amount: made, Reason: in.Reason,
		RefundID: l.newID(in.IDPrefix, now, 16), CreatedAt: now, DoneAt: now.Add(l.refundDelay),
	}
	if made != in.Amount {
		r.Requested = in.Amount
	}
	o.Refunded += made
	l.addRefund(r)
	l.touch(o)
	return o.copy(), *r, refNew
}

// refundsOf lists the refunds of an order, oldest first; with outRefundNo
// set, only that one.
func (l *Ledger) refundsOf(ch app.ChannelName, mch, sub, outTradeNo, outRefundNo string) []Refund {
	l.begin()
	defer l.end()
	var out []Refund
	for _, r := range l.rlist {
		if r.Channel != ch || r.Merchant != mch || r.SubMerchant != sub {
			continue
		}
		if outRefundNo != "" && r.OutRefundNo != outRefundNo {
			continue
		}
		if outTradeNo != "" && r.OutTradeNo != outTradeNo {
			continue
		}
		out = append(out, *r)
	}
	return out
}

// findRefund finds a refund by its number or the channel's refund id.
func (l *Ledger) findRefund(ch app.ChannelName, mch, sub, outRefundNo, refundID string) (Refund, bool) {
	l.begin()
	defer l.end()
	for _, r := range l.rlist {
		if r.Channel == ch && r.Merchant == mch && r.SubMerchant == sub &&
			((outRefundNo != "" && r.OutRefundNo == outRefundNo) || (outRefundNo == "" && refundID != "" && r.RefundID == refundID)) {
			return *r, true
		}
	}
	return Refund{}, false
}

type depositResult int

const (
	depDone       depositResult = iota
	depSame                     // the same operation again
	depConflict                 // the operation number is used with different content
	depNotFound                 // no such deposit
	depNotFrozen                // the deposit is not (or no longer) holding money
	depTooMuch                  // more than the deposit still holds
	depOrderInUse               // the consumption's out_trade_no is already an order
	depLost                     // scenario …92, first call: nothing made, drop the connection
	depRefused                  // scenario …92, a re-send: refused for good
)

// consumeAll captures part of a deposit and returns the rest at once
// (WeChat /deposit/consume), playing scen when it would be made.
func (l *Ledger) consumeAll(ch app.ChannelName, mch, sub, outTradeNo, txn string, total, fee app.Money, scen OpScenario) (Order, depositResult) {
	l.begin()
	defer l.end()
	now := l.now()
	o := l.lookup(ch, mch, sub, outTradeNo, txn)
	if o == nil || !o.Deposit {
		return Order{}, depNotFound
	}
	opKey := "consume\x00" + o.key()
	fp := fmt.Sprint(total, "/", fee)
	if prev, ok := l.ops[opKey]; ok {
		if prev == fp {
			return o.copy(), depSame
		}
		return o.copy(), depConflict
	}
	if o.State != StatePaid || o.Frozen() != o.Amount {
		return o.copy(), depNotFrozen
	}
	if total != o.Amount || fee <= 0 || fee > o.Amount {
		return o.copy(), depTooMuch
	}
	if l.refusedLocked(opKey) {
		return o.copy(), depRefused
	}
	if scen == OpLostRefused {
		l.refuseLocked(opKey, fp)
		return o.copy(), depLost
	}
	o.Consumed = scen.madeAmount(fee)
	o.Released = o.Amount - o.Consumed
	o.EndedAt = now
	if o.Extra == nil {
		o.Extra = map[string]string{}
	}
	o.Extra["consumed_at"] = now.Format(time.RFC3339)
	l.ops[opKey] = fp
	l.touch(o)
	l.touchOp(opKey)
	return o.copy(), depDone
}

// consumeIn is a deposit consumption that becomes its own paid order
// (Alipay trade.pay with auth_no, Cloud Pay deposit_consume).
type consumeIn struct {
	Channel      app.ChannelName
	Merchant     string
	SubMerchant  string
	DepositNo    string // the deposit's out_trade_no / out_order_no
	DepositTxn   string // or its channel number (Alipay auth_no)
	OutTradeNo   string
	Amount       app.Money
	Complete     bool // release what is left
	Subject      string
	TxnPrefix    string
	Fingerprint  string
	Extra        map[string]string
	Store, Staff string
	// Scenario is the fault to play (OpScenarioFor(Amount)); zero: none.
	Scenario OpScenario
}

func (l *Ledger) consumeInto(in consumeIn) (dep Order, child Order, res depositResult) {
	l.begin()
	defer l.end()
	now := l.now()
	d := l.lookup(in.Channel, in.Merchant, in.SubMerchant, in.DepositNo, in.DepositTxn)
	if d == nil || !d.Deposit {
		return Order{}, Order{}, depNotFound
	}
	if c := l.orders[orderKey(in.Channel, in.Merchant, in.SubMerchant, in.OutTradeNo)]; c != nil {
		if c.Parent == d.OutTradeNo && c.Fingerprint == in.Fingerprint {
			return d.copy(), c.copy(), depSame
		}
		return d.copy(), c.copy(), depOrderInUse
	}
	if d.State != StatePaid || d.Frozen() <= 0 {
		return d.copy(), Order{}, depNotFrozen
	}
	if in.Amount <= 0 || in.Amount > d.Frozen() {
		return d.copy(), Order{}, depTooMuch
	}
	refusedKey := "consume\x00" + orderKey(in.Channel, in.Merchant, in.SubMerchant, in.OutTradeNo)
	if l.refusedLocked(refusedKey) {
		return d.copy(), Order{}, depRefused
	}
	if in.Scenario == OpLostRefused {
		l.refuseLocked(refusedKey, in.Fingerprint)
		return d.copy(), Order{}, depLost
	}
	made := in.Scenario.madeAmount(in.Amount)
	extra := in.Extra
	if made != in.Amount {
		if extra == nil {
			extra = map[string]string{}
		}
		extra["requested_amount"] = fmt.Sprint(int64(in.Amount))
	}
	c := &Order{
		Channel: in.Channel, Merchant: in.Merchant, SubMerchant: in.SubMerchant,
		OutTradeNo: in.OutTradeNo, AuthCode: d.AuthCode, Platform: d.Platform, Amount: made,
		Subject: in.Subject, Parent: d.OutTradeNo, Scenario: ScenarioSuccess, State: StatePaid,
		CreatedAt: now, PaidAt: now, Fingerprint: in.Fingerprint, Extra: extra,
		Store: in.Store, Staff: in.Staff, TransactionID: l.newID(in.TxnPrefix, now, 16),
	}
	d.Consumed += made
	if in.Complete {
		d.Released += d.Frozen()
	}
	if d.Frozen() == 0 {
		d.EndedAt = now
	}
	l.touch(d)
	l.addOrder(c)
	return d.copy(), c.copy(), depDone
}

// release unfreezes part of a deposit (Alipay unfreeze, Cloud Pay unfreeze);
// opNo is the idempotent operation number.
func (l *Ledger) release(ch app.ChannelName, mch, sub, depositNo, depositTxn, opNo string, amount app.Money) (Order, depositResult) {
	d, _, res := l.releaseOp(releaseIn{Channel: ch, Merchant: mch, SubMerchant: sub,
		DepositNo: depositNo, DepositTxn: depositTxn, RequestNo: opNo, Amount: amount})
	return d, res
}

// releaseIn is one unfreeze request.
type releaseIn struct {
	Channel     app.ChannelName
	Merchant    string
	SubMerchant string
	DepositNo   string // the deposit's out_trade_no / out_order_no
	DepositTxn  string // or its channel number (Alipay auth_no)
	RequestNo   string // the operation's own number, idempotent
	Amount      app.Money
	OperationID string // the channel's number for a new operation (Alipay operation_id)
	// Scenario is the fault to play (OpScenarioFor(Amount)); zero: none.
	Scenario OpScenario
}

// releaseOp is release that records the operation on the deposit (Ops)
// and returns it: the new one, or the one made before under the number.
func (l *Ledger) releaseOp(in releaseIn) (Order, DepositOp, depositResult) {
	l.begin()
	defer l.end()
	now := l.now()
	d := l.lookup(in.Channel, in.Merchant, in.SubMerchant, in.DepositNo, in.DepositTxn)
	if d == nil || !d.Deposit {
		return Order{}, DepositOp{}, depNotFound
	}
	opKey := "release\x00" + d.key() + "\x00" + in.RequestNo
	fp := fmt.Sprint(in.Amount)
	if prev, ok := l.ops[opKey]; ok {
		op, _ := d.Op("release", in.RequestNo)
		if prev == fp {
			if op.RequestNo == "" {
				// Made before operations were recorded: what was asked moved.
				op = DepositOp{Kind: "release", RequestNo: in.RequestNo, Amount: in.Amount}
			}
			return d.copy(), op, depSame
		}
		return d.copy(), op, depConflict
	}
	if d.State != StatePaid || d.Frozen() <= 0 {
		return d.copy(), DepositOp{}, depNotFrozen
	}
	if in.Amount <= 0 || in.Amount > d.Frozen() {
		return d.copy(), DepositOp{}, depTooMuch
	}
	if l.refusedLocked(opKey) {
		return d.copy(), DepositOp{}, depRefused
	}
	if in.Scenario == OpLostRefused {
		l.refuseLocked(opKey, fp)
		return d.copy(), DepositOp{}, depLost
	}
	op := DepositOp{Kind: "release", RequestNo: in.RequestNo, Amount: in.Scenario.madeAmount(in.Amount), At: now, OperationID: in.OperationID}
	if op.Amount != in.Amount {
		op.Requested = in.Amount
	}
	d.Released += op.Amount
	d.Ops = append(d.Ops, op)
	if d.Frozen() == 0 {
		d.EndedAt = now
	}
	l.ops[opKey] = fp
	l.touch(d)
	l.touchOp(opKey)
	return d.copy(), op, depDone
}

// ordersOf returns copies of a merchant's orders (sub "" with anySub = all
// sub-merchants), settled, oldest first.
func (l *Ledger) ordersOf(ch app.ChannelName, mch, sub string, anySub bool) ([]Order, []Refund) {
	l.begin()
	defer l.end()
	now := l.now()
	var os []Order
	for _, o := range l.order {
		if o.Channel != ch || o.Merchant != mch || (!anySub && o.SubMerchant != sub) {
			continue
		}
		l.settle(o, now)
		os = append(os, o.copy())
	}
	var rs []Refund
	for _, r := range l.rlist {
		if r.Channel == ch && r.Merchant == mch && (anySub || r.SubMerchant == sub) {
			rs = append(rs, *r)
		}
	}
	return os, rs
}

// Orders returns a copy of every order, oldest first.
func (l *Ledger) Orders() []Order {
	l.mu.Lock()
	defer l.endQuiet()
	now := l.now()
	out := make([]Order, 0, len(l.order))
	for _, o := range l.order {
		l.settle(o, now)
		out = append(out, o.copy())
	}
	return out
}

// Refunds returns a copy of every refund, oldest first.
func (l *Ledger) Refunds() []Refund {
	l.mu.Lock()
	defer l.endQuiet()
	out := make([]Refund, len(l.rlist))
	for i, r := range l.rlist {
		out[i] = *r
	}
	return out
}

// Order finds an order of a channel by its out_trade_no (any merchant).
func (l *Ledger) Order(ch app.ChannelName, outTradeNo string) (Order, bool) {
	l.mu.Lock()
	defer l.endQuiet()
	now := l.now()
	for _, o := range l.order {
		if o.Channel == ch && o.OutTradeNo == outTradeNo {
			l.settle(o, now)
			return o.copy(), true
		}
	}
	return Order{}, false
}

// Charges lists every charge (money taken from a wallet by a payment or a
// deposit freeze) in the order it happened, with what went back.
func (l *Ledger) Charges() []Charge {
	l.mu.Lock()
	defer l.endQuiet()
	return l.chargesLocked()
}

func (l *Ledger) chargesLocked() []Charge {
	now := l.now()
	var out []Charge
	for _, o := range l.order {
		l.settle(o, now)
		if !o.Charged {
			continue
		}
		out = append(out, Charge{
			Channel: o.Channel, Merchant: o.Merchant, SubMerchant: o.SubMerchant,
			OutTradeNo: o.OutTradeNo, TransactionID: o.TransactionID, AuthCode: o.AuthCode,
			Amount: o.Amount, Deposit: o.Deposit, At: o.PaidAt,
			Reversed: o.State == StateReversed, Returned: l.returnedLocked(o),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Unreversed counts charges whose money was neither reversed nor fully
// given back (refunded or unfrozen): money taken without reversal.
func (l *Ledger) Unreversed() int { return l.Summary().Unreversed }

// Summary counts the ledger.
func (l *Ledger) Summary() LedgerSummary {
	l.mu.Lock()
	defer l.endQuiet()
	cs := l.chargesLocked()
	s := LedgerSummary{Orders: len(l.order), Refunds: len(l.rlist), Charges: len(cs)}
	for _, c := range cs {
		s.Charged += c.Amount
		s.Held += c.Held()
		if !c.Reversed && c.Held() > 0 {
			s.Unreversed++
		}
	}
	return s
}

// ChargesFor lists the charges of one payment code; a code charged twice
// for one sale shows up here.
func (l *Ledger) ChargesFor(authCode string) []Charge {
	var out []Charge
	for _, c := range l.Charges() {
		if c.AuthCode == authCode {
			out = append(out, c)
		}
	}
	return out
}
