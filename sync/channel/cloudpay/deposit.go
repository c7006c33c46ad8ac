package cloudpay

import (
	"context"
	"unicode/utf8"

	"cashier/app"
	"cashier/sync/channel"
)

type consumeRequest struct {
	PayMchKey         payMchKey   `json:"pay_mch_key"`
	OrderClient       orderClient `json:"order_client"`
	OutFreezeNo       string      `json:"out_freeze_no"`
	PayContent        payContent  `json:"pay_content"`
	IsConfirmUnfreeze bool        `json:"is_confirm_unfreeze"`
	NonceStr          string      `json:"nonce_str"`
}

type unfreezeRequest struct {
	PayMchKey     payMchKey   `json:"pay_mch_key"`
	OrderClient   orderClient `json:"order_client"`
	OutFreezeNo   string      `json:"out_freeze_no"`
	OutUnfreezeNo string      `json:"out_unfreeze_no"`
	UnfreezeFee   int64       `json:"unfreeze_fee"`
	Remark        string      `json:"remark"`
	NonceStr      string      `json:"nonce_str"`
}

type unfreezeAnswer struct {
	OutUnfreezeNo string `json:"out_unfreeze_no"`
	UnfreezeFee   int64  `json:"unfreeze_fee"`
}

// Consume implements app.PaymentChannel: deposit_consume of the deposit
// (out_freeze_no = r.OutTradeNo) into a new order numbered r.OutRequestNo
// for r.Amount, with is_confirm_unfreeze=true so the rest is unfrozen. The
// result's TransactionID is the consumption order's; refunds of that money
// name the consumption order (OutTradeNo = r.OutRequestNo).
func (c *Client) Consume(ctx context.Context, r app.ConsumeRequest) (app.ChannelResult, error) {
	if !r.Deposit {
		return app.ChannelResult{}, app.NotSent("只有押金可以消费 / only a deposit can be consumed")
	}
	key, err := c.mchKey(r.Wallet)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("押金单号 out_freeze_no", r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("消费单号 out_trade_no (OutRequestNo)", r.OutRequestNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("押金金额 / deposit amount", r.Total); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("消费金额 / consume amount", r.Amount); err != nil {
		return app.ChannelResult{}, err
	}
	if r.Amount > r.Total {
		return app.ChannelResult{}, app.NotSent("消费金额 %s 大于押金 %s / the consume amount %s is more than the deposit %s", r.Amount, r.Total, r.Amount, r.Total)
	}
	req := consumeRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutFreezeNo: r.OutTradeNo,
		PayContent:        payContent{OutTradeNo: r.OutRequestNo, TotalFee: int64(r.Amount), FeeType: "CNY", Body: "押金消费 / deposit"},
		IsConfirmUnfreeze: true, NonceStr: channel.Nonce()}
	a, err := c.call(ctx, "deposit_consume", req, r.OutRequestNo, false)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.orderResult("deposit_consume", r.OutRequestNo, r.Amount, a, false), nil
}

// Release implements app.PaymentChannel: unfreeze of r.Amount from the
// deposit r.OutTradeNo, numbered r.OutRequestNo.
func (c *Client) Release(ctx context.Context, r app.ReleaseRequest) (app.ChannelResult, error) {
	if !r.Deposit {
		return app.ChannelResult{}, app.NotSent("只有押金可以解冻退还 / only a deposit can be released")
	}
	key, err := c.mchKey(r.Wallet)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("押金单号 out_freeze_no", r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("解冻单号 out_unfreeze_no", r.OutRequestNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("解冻金额 / release amount", r.Amount); err != nil {
		return app.ChannelResult{}, err
	}
	remark := r.Remark
	if remark == "" {
		remark = "押金退还 / deposit released"
	}
	if utf8.RuneCountInString(remark) > 64 {
		return app.ChannelResult{}, app.NotSent("解冻说明最多64个字 / the release remark is limited to 64 characters")
	}
	req := unfreezeRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutFreezeNo: r.OutTradeNo,
		OutUnfreezeNo: r.OutRequestNo, UnfreezeFee: int64(r.Amount), Remark: remark, NonceStr: channel.Nonce()}
	a, err := c.call(ctx, "unfreeze", req, r.OutRequestNo, false)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.unfreezeResult(r, a), nil
}

func (c *Client) unfreezeResult(r app.ReleaseRequest, a answer) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	if *a.head.Status != statusOK {
		return c.base(a, false)
	}
	var out unfreezeAnswer
	if bad := c.decodeMember("unfreeze", r.OutRequestNo, a, &out); bad != nil {
		return *bad
	}
	if out.OutUnfreezeNo != r.OutRequestNo || app.Money(out.UnfreezeFee) != r.Amount {
		return c.mismatch("unfreeze", r.OutRequestNo, "out_unfreeze_no/unfreeze_fee")
	}
	return app.ChannelResult{Outcome: app.OutcomeSuccess, Amount: app.Money(out.UnfreezeFee), Code: "0", Message: c.redact(a.head.Description)}
}
