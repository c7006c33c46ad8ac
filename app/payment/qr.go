package payment

import (
	"context"
	"time"

	"cashier/app"
)

// A QR payment is a wallet tender the customer pays by scanning a code the
// channel made for the order (WeChat Pay NATIVE, Alipay precreate) instead
// of showing their own. It keeps every rule of Pay: the tender and its
// intent are written durably before the first byte, one loop in one
// process drives it, and it ends only in a state the channel confirmed —
// paid, closed (the channel closed the order, nothing taken), reversed
// (Alipay's cancel gave back a payment that had just gone through),
// failed (the channel refused to create it) or manual (a person checks).
//
//	created ─▶ sent ─▶ paying (code shown: query until paid, expired or cancelled)
//	                │        └▶ reversing (query, then close; again until it answers) ─▶ closed | reversed | paid | manual
//	                ├▶ failed (refused: nothing created)
//	                └▶ unknown (precreate unanswered: query, then close) ─▶ …

// DefaultQRExpire is how long a customer has to scan and pay when the
// caller does not say. Older WeChat Pay documents want at least five
// minutes on a non-code order, and its close call is meant for orders at
// least that old; the cashier can cancel sooner at any time.
const DefaultQRExpire = 5 * time.Minute

// Errors of a QR payment; none of them means money moved.
var (
	// ErrQRNotAvailable carries Wallet and, when the wallet has a
	// channel, Channel (Messages): the channel cannot show a QR code
	// (Cloud Pay), or the wallet has none to show.
	ErrQRNotAvailable = app.NewError("payment.qr_not_available")
	// ErrQRDeposit: a deposit is frozen by the customer's code, not by a
	// QR code.
	ErrQRDeposit = app.NewError("payment.qr_deposit")
	// ErrQRExpire carries Min and Max (minutes).
	ErrQRExpire = app.NewError("payment.qr_expire")
	// ErrPaymentPending carries OutTradeNo and State: the order has a
	// wallet payment still open, and a QR code shown beside it could be
	// paid as well.
	ErrPaymentPending = app.NewError("payment.pending")
)

// StepQRShown is the event that the code is ready to show.
const StepQRShown Step = "qr_shown"

// QRFunc receives the code to show the customer and when it stops being
// payable. It is called once, on the goroutine running PayByQR, after the
// code is stored: a Fyne UI hands it over with fyne.Do.
type QRFunc func(codeURL string, expires time.Time)

// PayQRInput is a wallet tender the customer pays by scanning.
type PayQRInput struct {
	// Order is the open order the tender pays, as loaded.
	Order app.Order
	// Amount to take; 0 means all the order still has due.
	Amount app.Money
	// Wallet is the customer's choice: WeChat Pay or Alipay.
	Wallet app.Wallet
	// Subject shown in the customer's wallet; default Terminal.Subject.
	Subject string
	// StaffID takes the tender; StaffCode is sent as the operator.
	StaffID   int64
	StaffCode string
	// Expire is how long the customer has (DefaultQRExpire when 0;
	// app.MinQRExpire to app.MaxQRExpire).
	Expire  time.Duration
	OnEvent EventFunc
	OnQR    QRFunc
}

// PayByQR makes a QR code for the order at the wallet's channel, hands it
// to OnQR, and queries the channel every QueryInterval until the customer
// has paid, the code has expired or the cashier cancels (Cancel with the
// result's OutTradeNo, which events carry as Ref). An expired or cancelled
// code is closed at the channel after one more query, so a payment made at
// the last moment is kept, never lost; "not charged" is said only when the
// channel closed the order. It returns only when the tender is final
// (paid, closed, reversed, failed or manual).
//
// Refused before anything is written (nothing sent): a closed order, an
// amount it does not take, a wallet whose channel shows no QR code
// (ErrQRNotAvailable), a deposit order, an expiry out of range, and an
// order with another wallet payment still open (ErrPaymentPending) — a
// pending QR payment blocks every other tender the same way (the amount
// it holds is no longer due, and a second QR code is refused).
func (s *Payments) PayByQR(ctx context.Context, in PayQRInput) (PayResult, error) {
	o := in.Order
	if o.ID == 0 || !o.Status.Open() {
		return PayResult{}, app.ErrOrderNotOpen.With("OrderNo", o.OrderNo)
	}
	if o.Kind == app.OrderDeposit {
		return PayResult{}, ErrQRDeposit
	}
	amount := in.Amount
	if amount == 0 {
		amount = o.Due()
	}
	if err := s.checkAmount(amount); err != nil {
		return PayResult{}, err
	}
	if err := o.CheckTender(app.TenderWallet, amount); err != nil {
		return PayResult{}, err
	}
	if in.Wallet != app.WalletWeChat && in.Wallet != app.WalletAlipay {
		return PayResult{}, ErrQRNotAvailable.With("Wallet", app.WalletName(in.Wallet))
	}
	ch, err := s.ChannelFor(in.Wallet)
	if err != nil {
		return PayResult{}, err
	}
	qc, ok := ch.(app.QRChannel)
	if !ok {
		return PayResult{}, ErrQRNotAvailable.With("Wallet", app.WalletName(in.Wallet), "Channel", app.ChannelTitle(ch.Name()))
	}
	expire := in.Expire
	if expire == 0 {
		expire = DefaultQRExpire
	}
	if expire < app.MinQRExpire || expire > app.MaxQRExpire {
		return PayResult{}, ErrQRExpire.With("Min", int(app.MinQRExpire/time.Minute), "Max", int(app.MaxQRExpire/time.Minute))
	}
	if in.StaffID == 0 {
		return PayResult{}, ErrNoStaff
	}
	subject := in.Subject
	if subject == "" {
		subject = s.term.Subject
	}
	now := s.clock.Now()
	intent := PaymentIntent{
		OutTradeNo: app.NewOrderNo(s.term.NumberPrefix, now), OrderID: o.ID, OrderNo: o.OrderNo,
		Kind: IntentKindPay, Channel: ch.Name(), Wallet: in.Wallet, Amount: amount,
		State: IntentCreated, StaffID: in.StaffID, CreatedAt: now, UpdatedAt: now,
		QR: true, ExpiresAt: now.Add(expire),
	}
	req := app.PrecreateRequest{
		OutTradeNo: intent.OutTradeNo, Wallet: in.Wallet, Amount: amount, Subject: subject,
		StoreID: s.term.StoreCode, TerminalID: s.term.TerminalCode, StaffID: in.StaffCode, ClientIP: s.term.ClientIP,
		ExpiresAt: intent.ExpiresAt,
	}
	if in.Wallet == app.WalletAlipay {
		req.Undiscountable = min(o.NonDiscountable, amount)
	}
	r := s.newRun(intent, ch, in.OnEvent)
	r.qr = &qrDrive{ch: qc, req: &req, onQR: in.OnQR}
	if !s.register(r) {
		return PayResult{}, ErrDuplicateScan.With("OutTradeNo", intent.OutTradeNo, "State", string(IntentCreated))
	}
	defer s.unregister(r)
	if err := s.store.CreateIntent(ctx, &r.in, now); err != nil {
		return PayResult{}, err
	}
	r.event(StepCreated, app.Msg("pay.created"), app.ChannelResult{})
	return r.finishWith(r.qrPay(ctx))
}
