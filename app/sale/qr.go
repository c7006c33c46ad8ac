package sale

import (
	"context"
	"time"

	"cashier/app"
	"cashier/app/payment"
)

// PayByQR takes a wallet tender for amount (0: all that is due) of an
// open order that the customer pays by scanning a QR code (WeChat Pay or
// Alipay, by wallet) instead of showing theirs, and runs the post-sale work
// when the order is then paid — exactly as PayByCode. onQR gets the code
// to show (on the customer display, or the cashier's screen) and when it
// stops being payable; onEvent the progress ("waiting for the customer to
// scan", with seconds, and the payment's number to Cancel it by). It
// returns when the tender is final: paid, or closed at the channel on
// expiry or the cashier's Cancel (the order stays open for another
// tender), or manual. A channel that cannot show a code (Cloud Pay) is
// refused with payment.ErrQRNotAvailable and nothing is written.
func (c *Checkout) PayByQR(ctx context.Context, orderNo string, wallet app.Wallet, amount app.Money, staff app.Staff,
	onEvent payment.EventFunc, onQR func(url string, expires time.Time)) (Outcome, error) {
	o, err := c.Store.GetOrder(ctx, orderNo)
	if err != nil {
		return Outcome{}, err
	}
	res, err := c.Payments.PayByQR(ctx, payment.PayQRInput{Order: o, Amount: amount, Wallet: wallet,
		StaffID: staff.ID, StaffCode: staff.Code, OnEvent: onEvent, OnQR: onQR})
	out := Outcome{Order: o, Payment: res}
	if res.OutTradeNo == "" {
		return out, err // nothing was written
	}
	return c.after(ctx, out, staff, err)
}
