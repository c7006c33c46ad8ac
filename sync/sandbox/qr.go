package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"cashier/app"
)

// Dynamic QR orders: WeChat Pay /pay/unifiedorder (trade_type NATIVE) and
// Alipay alipay.trade.precreate create an order that waits for the
// customer to scan its code. Here "the customer" is a test, `make run`'s
// customer display or a person: Server.ScanQR / Server.PayQR in Go, and
// POST /sandbox/qr/scan, /sandbox/qr/pay on the admin surface (GET
// /sandbox/qr lists the codes waiting).

// qrDefaultExpiry is how long a code is payable when the request names no
// expiry: WeChat's code_url is valid for two hours.
const qrDefaultExpiry = 2 * time.Hour

// Errors of the customer's side of a QR order.
var (
	ErrQRUnknown = errors.New("no such QR code (not created by this sandbox)")
	ErrQRExpired = errors.New("the QR code has expired")
	ErrQRClosed  = errors.New("the QR order is closed")
	ErrQRPaid    = errors.New("the QR order is already paid")
)

// settleQR ends a QR order whose expiry has passed unpaid. An Alipay trade
// the customer scanned closes (TRADE_CLOSED); one never scanned never
// existed at Alipay and stays invisible. A WeChat order stays NOTPAY, as
// WeChat documents time_expire: the last moment it can be paid, not when
// it closes — the merchant closes it (/pay/closeorder).
func (l *Ledger) settleQR(o *Order, now time.Time) {
	if o.State != StatePaying || o.ExpiresAt.IsZero() || now.Before(o.ExpiresAt) || o.Channel != app.ChannelAlipay {
		return
	}
	o.State, o.FailCode, o.EndedAt = StateClosed, qrTimeout, o.ExpiresAt
	l.touch(o)
}

// qrTimeout is the FailCode of an Alipay QR trade closed by its expiry.
const qrTimeout = "TRADE_TIMEOUT"

// qrRefusal tells why the customer cannot pay a QR order now, if so.
func (o *Order) qrRefusal(now time.Time) error {
	switch {
	case o.State == StatePaid:
		return ErrQRPaid
	case o.State == StatePaying && now.Before(o.ExpiresAt):
		return nil
	case o.State == StatePaying || o.FailCode == qrTimeout:
		return ErrQRExpired
	}
	return ErrQRClosed
}

// aliVisible tells whether Alipay would know the order: a precreated
// trade exists only once the customer scanned it (or the merchant
// cancelled its number, which Alipay records).
func aliVisible(o *Order) bool {
	return !o.QR || o.Scanned || o.State == StateReversed
}

// qrIn is a precreate as the ledger needs it.
type qrIn struct {
	Channel     app.ChannelName
	Merchant    string
	SubMerchant string
	OutTradeNo  string
	Amount      app.Money
	Subject     string
	Store       string
	Terminal    string
	Staff       string
	ExpiresAt   time.Time
	TxnPrefix   string
	CodeURL     string // the code a new order gets
	Fingerprint string
}

type qrResult int

const (
	qrNew      qrResult = iota
	qrSame              // the same request again: the same order and code
	qrConflict          // the number belongs to another order or other content
	qrPaid              // the number is paid
	qrClosed            // closed, reversed or expired: a new number is needed
	qrTooShort          // a new order payable for less than a minute
)

// qrMinExpiry: both channels take an expiry of a minute or more.
const qrMinExpiry = time.Minute

// precreate creates a QR order or finds the one this request made before.
func (l *Ledger) precreate(in qrIn) (Order, qrResult) {
	l.begin()
	defer l.end()
	now := l.now()
	if o := l.orders[orderKey(in.Channel, in.Merchant, in.SubMerchant, in.OutTradeNo)]; o != nil {
		l.settle(o, now)
		switch {
		case o.Placeholder:
			return o.copy(), qrClosed
		case !o.QR || o.Fingerprint != in.Fingerprint:
			if o.State == StatePaid {
				return o.copy(), qrPaid
			}
			return o.copy(), qrConflict
		case o.State == StatePaid:
			return o.copy(), qrPaid
		case o.qrRefusal(now) != nil:
			return o.copy(), qrClosed
		}
		return o.copy(), qrSame
	}
	if in.ExpiresAt.Before(now.Add(qrMinExpiry)) {
		return Order{}, qrTooShort
	}
	o := &Order{
		Channel: in.Channel, Merchant: in.Merchant, SubMerchant: in.SubMerchant, OutTradeNo: in.OutTradeNo,
		Amount: in.Amount, Subject: in.Subject, Store: in.Store, Terminal: in.Terminal, Staff: in.Staff,
		Scenario: ScenarioSuccess, State: StatePaying, CreatedAt: now, Fingerprint: in.Fingerprint,
		TransactionID: l.newID(in.TxnPrefix, now, 16),
		QR:            true, CodeURL: in.CodeURL, ExpiresAt: in.ExpiresAt,
	}
	l.addOrder(o)
	return o.copy(), qrNew
}

type qrCloseResult int

const (
	qrCloseDone     qrCloseResult = iota // closed now
	qrCloseAlready                       // it was closed (or reversed) before
	qrClosePaid                          // paid: cannot close
	qrCloseNotFound                      // no such order
)

// closeOrder closes an unpaid order (WeChat /pay/closeorder, Alipay
// alipay.trade.close): it can no longer be paid.
func (l *Ledger) closeOrder(ch app.ChannelName, mch, sub, outTradeNo string) (Order, qrCloseResult) {
	l.begin()
	defer l.end()
	o := l.lookup(ch, mch, sub, outTradeNo, "")
	switch {
	case o == nil || o.Deposit:
		return Order{}, qrCloseNotFound
	case o.State == StatePaid:
		return o.copy(), qrClosePaid
	case o.State == StateClosed || o.State == StateReversed:
		return o.copy(), qrCloseAlready
	}
	o.State, o.EndedAt = StateClosed, l.now()
	if o.FailCode == "" {
		o.FailCode = "MCH_CLOSED"
	}
	l.touch(o)
	return o.copy(), qrCloseDone
}

// qrByRef finds a QR order by its code or its out_trade_no.
func (l *Ledger) qrByRef(ref string) *Order {
	for _, o := range l.order {
		if o.QR && (o.CodeURL == ref || o.OutTradeNo == ref) {
			return o
		}
	}
	return nil
}

// customer scans (and with pay, pays) a QR order.
func (l *Ledger) customer(ref string, pay bool) (Order, error) {
	l.begin()
	defer l.end()
	now := l.now()
	o := l.qrByRef(strings.TrimSpace(ref))
	if o == nil {
		return Order{}, ErrQRUnknown
	}
	l.settle(o, now)
	if err := o.qrRefusal(now); err != nil {
		return o.copy(), err
	}
	o.Scanned = true
	if pay {
		o.State, o.Charged, o.PaidAt = StatePaid, true, now
	}
	l.touch(o)
	return o.copy(), nil
}

// ScanQR is the customer scanning a QR code (its code URL, or the order's
// out_trade_no) without paying yet: from now on Alipay knows the trade
// (WAIT_BUYER_PAY); WeChat's order stays NOTPAY.
func (s *Server) ScanQR(ref string) error {
	_, err := s.ledger.customer(ref, false)
	return err
}

// PayQR is the customer scanning a QR code (its code URL, or the order's
// out_trade_no) and paying it. It fails, charging nothing, when the code
// is unknown, expired, closed or already paid.
func (s *Server) PayQR(ref string) error {
	_, err := s.ledger.customer(ref, true)
	return err
}

// QRView is one QR order as GET /sandbox/qr lists it.
type QRView struct {
	Channel    app.ChannelName `json:"channel"`
	OutTradeNo string          `json:"out_trade_no"`
	CodeURL    string          `json:"code_url"`
	Amount     string          `json:"amount"`
	Subject    string          `json:"subject,omitempty"`
	State      OrderState      `json:"state"`
	Scanned    bool            `json:"scanned"`
	ExpiresAt  time.Time       `json:"expires_at"`
}

// WaitingQR lists the QR codes a customer could pay now, newest first.
func (s *Server) WaitingQR() []QRView {
	now := s.ledger.now()
	var out []QRView
	for _, o := range s.ledger.Orders() {
		if !o.QR || o.qrRefusal(now) != nil {
			continue
		}
		out = append(out, QRView{Channel: o.Channel, OutTradeNo: o.OutTradeNo, CodeURL: o.CodeURL, Amount: o.Amount.Yuan(),
			Subject: o.Subject, State: o.State, Scanned: o.Scanned, ExpiresAt: o.ExpiresAt})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ExpiresAt.After(out[j].ExpiresAt) })
	return out
}

// qrAdmin serves the customer's side over HTTP:
//
//	GET  /sandbox/qr                      the codes waiting (JSON)
//	POST /sandbox/qr/scan  code=<code URL or out_trade_no>
//	POST /sandbox/qr/pay   code=<code URL or out_trade_no>
//
// A POST answers the order as JSON (200), 404 for an unknown code and 409
// with the reason for one that cannot be paid.
func (s *Server) qrAdmin(w http.ResponseWriter, r *http.Request) {
	writeJSON := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
	}
	action := strings.TrimPrefix(r.URL.Path, "/sandbox/qr")
	switch {
	case action == "" && r.Method == http.MethodGet:
		list := s.WaitingQR()
		if list == nil {
			list = []QRView{}
		}
		writeJSON(http.StatusOK, list)
		return
	case (action == "/scan" || action == "/pay") && r.Method == http.MethodPost:
	default:
		http.Error(w, "GET /sandbox/qr, POST /sandbox/qr/scan or /sandbox/qr/pay with code=<code URL or out_trade_no>", http.StatusNotFound)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	ref := r.Form.Get("code")
	if ref == "" {
		http.Error(w, "code=<code URL or out_trade_no> is required", http.StatusBadRequest)
		return
	}
	o, err := s.ledger.customer(ref, action == "/pay")
	switch {
	case errors.Is(err, ErrQRUnknown):
		writeJSON(http.StatusNotFound, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(http.StatusConflict, map[string]string{"error": err.Error(), "state": string(o.State)})
	default:
		writeJSON(http.StatusOK, o)
	}
}
