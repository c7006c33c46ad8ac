package cloudpay

import (
	"context"
	"fmt"
	"unicode/utf8"

	"cashier/app"
	"cashier/sync/channel"
)

// consumeReqContent is deposit_consume's content group (page 37678): the
// consumption order's fields and, in the same group, the freeze it takes
// from (out_freeze_no) and is_confirm_unfreeze. The group's extension is
// wxpay_pay_content_ext, so the group is pay_content.
type consumeReqContent struct {
	OutTradeNo        string `json:"out_trade_no"`
	TotalFee          int64  `json:"total_fee"`
	FeeType           string `json:"fee_type"`
	Body              string `json:"body"`
	OutFreezeNo       string `json:"out_freeze_no"`
	IsConfirmUnfreeze bool   `json:"is_confirm_unfreeze"`
}

type consumeRequest struct {
	PayMchKey   payMchKey         `json:"pay_mch_key"`
	PayContent  consumeReqContent `json:"pay_content"`
	OrderClient orderClient       `json:"order_client"`
	NonceStr    string            `json:"nonce_str"`
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
	UnfreezeOrderContent *unfreezeContent `json:"unfreeze_order_content"`
}

// Consume implements app.PaymentChannel: deposit_consume of the deposit
// (out_freeze_no = r.OutTradeNo) into a new order numbered r.OutRequestNo
// for r.Amount, with is_confirm_unfreeze=true so the rest is unfrozen
// (WeChat Pay accepts only true). The result's TransactionID is the
// consumption order's and Amount what the channel says it consumed;
// refunds of that money name the consumption order (OutTradeNo =
// r.OutRequestNo).
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
	if err := c.notOurs(r.OutTradeNo, r.OutRequestNo); err != nil {
		return app.ChannelResult{}, err
	}
	req := consumeRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), NonceStr: channel.Nonce(),
		PayContent: consumeReqContent{OutTradeNo: r.OutRequestNo, TotalFee: int64(r.Amount), FeeType: "CNY", Body: "押金消费 / deposit",
			OutFreezeNo: r.OutTradeNo, IsConfirmUnfreeze: true}}
	a, err := c.call(ctx, "deposit_consume", req, r.OutRequestNo, false)
	if err != nil {
		return app.ChannelResult{}, err
	}
	op := app.DepositOpRef{OrderRef: r.OrderRef, Kind: app.DepositOpConsume, OutRequestNo: r.OutRequestNo, Total: r.Total, Amount: r.Amount}
	return c.consumeResult("deposit_consume", op, a, kindMoney), nil
}

// consumeResult reads a consumption order (deposit_consume's answer, or
// query_order of the consumption's number). Success needs our consumption
// number, our freeze (out_freeze_no), a transaction id and an amount; the
// amount is reported as Cloud Pay states it, more or less than asked (the
// settle loop hands any other amount to a person). A queried consumption
// order of another platform or terminal, or under a number answered 407,
// is Foreign.
func (c *Client) consumeResult(api string, op app.DepositOpRef, a answer, kind callKind) app.ChannelResult {
	// The consumption is its own order, with its own transaction id: the
	// deposit's is no check of it.
	ref := app.OrderRef{OutTradeNo: op.OutRequestNo, Wallet: op.Wallet}
	res := c.readRecord(api, ref, 0, a, kind, "order_content", func(out *orderAnswer) *record {
		oc := out.OrderContent
		if oc == nil {
			return nil
		}
		rec := oc.record()
		switch {
		case oc.OutFreezeNo != op.OutTradeNo:
			rec.other = "out_freeze_no"
		case out.FreezeOrderContent != nil && out.FreezeOrderContent.OutFreezeNo != op.OutTradeNo:
			rec.other = "freeze_order_content.out_freeze_no"
		}
		switch {
		case oc.Ali != nil && oc.Ali.CurrentTradeState == 5:
			// Closed, or consumed and since refunded in full: which, the
			// table does not say.
			rec.rd = reading{outcome: app.OutcomeUnknown}
		case oc.Wx != nil && oc.Wx.CurrentTradeState == 13:
			// The deposit was given back, not consumed: not this
			// operation's state.
			rec.rd = reading{outcome: app.OutcomeUnknown}
		}
		// is_transforming is not read here: the consumption's unknown
		// states (13, Alipay 5) are not about to become its outcome.
		rec.transforming = false
		return rec
	})
	if res.Outcome == app.OutcomeSuccess && res.Amount != op.Amount {
		res.Message = fmt.Sprintf("云支付押金消费了 %s 而非 %s / Cloud Pay consumed %s, not the %s asked", res.Amount, op.Amount, res.Amount, op.Amount)
	}
	return res
}

// Release implements app.PaymentChannel: unfreeze of r.Amount from the
// deposit r.OutTradeNo, numbered r.OutRequestNo (out_unfreeze_no).
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
	if err := c.notOurs(r.OutTradeNo, r.OutRequestNo); err != nil {
		return app.ChannelResult{}, err
	}
	req := unfreezeRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutFreezeNo: r.OutTradeNo,
		OutUnfreezeNo: r.OutRequestNo, UnfreezeFee: int64(r.Amount), Remark: remark, NonceStr: channel.Nonce()}
	a, err := c.call(ctx, "unfreeze", req, r.OutRequestNo, false)
	if err != nil {
		return app.ChannelResult{}, err
	}
	op := app.DepositOpRef{OrderRef: r.OrderRef, Kind: app.DepositOpRelease, OutRequestNo: r.OutRequestNo, Amount: r.Amount}
	return c.unfreezeResult(op, a), nil
}

func (c *Client) unfreezeResult(op app.DepositOpRef, a answer) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	if *a.head.Status != statusOK {
		return c.base(a, kindMoney)
	}
	var out unfreezeAnswer
	if bad := c.decodeMember("unfreeze", op.OutRequestNo, a, &out); bad != nil {
		return *bad
	}
	if out.UnfreezeOrderContent == nil {
		return c.mismatch("unfreeze", op.OutRequestNo, "unfreeze_order_content missing")
	}
	return c.unfreezeRes("unfreeze", op, *out.UnfreezeOrderContent, a, kindMoney)
}

// unfreezeRes reads our unfreeze's record, on the rules of refundRes: a
// record about another unfreeze or freeze, or naming no amount, is never
// believed; the amount is reported as Cloud Pay states it, more or less
// than asked (the settle loop hands any other amount to a person).
func (c *Client) unfreezeRes(api string, op app.DepositOpRef, uc unfreezeContent, a answer, kind callKind) app.ChannelResult {
	switch {
	case uc.OutUnfreezeNo != op.OutRequestNo:
		return c.mismatch(api, op.OutRequestNo, "out_unfreeze_no")
	case uc.OutFreezeNo != "" && uc.OutFreezeNo != op.OutTradeNo:
		return c.mismatch(api, op.OutRequestNo, "out_freeze_no")
	case uc.UnfreezeFee <= 0:
		return c.mismatch(api, op.OutRequestNo, "unfreeze_fee")
	}
	rd := uc.state()
	res := app.ChannelResult{Outcome: rd.outcome, Amount: app.Money(uc.UnfreezeFee), Code: "0", Message: c.redact(a.head.Description)}
	if res.Outcome == app.OutcomeSuccess && res.Amount != op.Amount {
		res.Message = fmt.Sprintf("云支付解冻了 %s 而非 %s / Cloud Pay released %s, not the %s asked", res.Amount, op.Amount, res.Amount, op.Amount)
	}
	if res.Outcome == app.OutcomeSuccess {
		res.FinishedAt = unix(uc.LastUpdateTime)
	}
	markForeign(&res, a.head)
	if kind == kindQuery {
		res.NotFound = rd.notFound
	}
	return res
}
