package cloudpay

import (
	"context"

	"cashier/app"
	"cashier/sync/channel"
)

type unfreezeQueryRequest struct {
	PayMchKey     payMchKey   `json:"pay_mch_key"`
	OrderClient   orderClient `json:"order_client"`
	OutFreezeNo   string      `json:"out_freeze_no"`
	OutUnfreezeNo string      `json:"out_unfreeze_no"`
	NonceStr      string      `json:"nonce_str"`
}

type unfreezeQueryAnswer struct {
	UnfreezeOrderContent []unfreezeContent `json:"unfreeze_order_content"`
}

// QueryDepositOp implements app.PaymentChannel. A consume is its own order
// (deposit_consume's out_trade_no = r.OutRequestNo), read with query_order
// and the order state table (WeChat 14 押金消费成功). A release is read with
// query_unfreeze_order (page 37681: out_freeze_no, out_unfreeze_no) and the
// unfreeze state table.
//
// OutcomeSuccess: it happened; Amount is what Cloud Pay says was consumed
// or released, more or less than asked (the caller compares),
// TransactionID the consumption order's. OutcomePending: accepted, not
// done. OutcomeFailed: refused for good. NotFound: Cloud Pay has no such
// operation (a signed answer without it, "no such order", or a state that
// says the platform has none).
func (c *Client) QueryDepositOp(ctx context.Context, r app.DepositOpRef) (app.ChannelResult, error) {
	if !r.Deposit {
		return app.ChannelResult{}, app.NotSent("只有押金有消费/解冻操作 / only a deposit has consume and release operations")
	}
	key, err := c.mchKey(r.Wallet)
	if err != nil {
		return app.ChannelResult{}, err
	}
	if err := c.checkNo("押金单号 out_freeze_no", r.OutTradeNo); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("操作金额 / operation amount", r.Amount); err != nil {
		return app.ChannelResult{}, err
	}
	var res app.ChannelResult
	switch r.Kind {
	case app.DepositOpConsume:
		if err := c.checkNo("消费单号 out_trade_no (OutRequestNo)", r.OutRequestNo); err != nil {
			return app.ChannelResult{}, err
		}
		req := orderRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutTradeNo: r.OutRequestNo, TradeType: 1, NonceStr: channel.Nonce()}
		a, err := c.call(ctx, "query_order", req, r.OutRequestNo, false)
		if err != nil {
			return app.ChannelResult{}, err
		}
		res = c.consumeResult("query_order", r, a, kindQuery)
	case app.DepositOpRelease:
		if err := c.checkNo("解冻单号 out_unfreeze_no", r.OutRequestNo); err != nil {
			return app.ChannelResult{}, err
		}
		req := unfreezeQueryRequest{PayMchKey: key, OrderClient: c.client("", "", "", false), OutFreezeNo: r.OutTradeNo,
			OutUnfreezeNo: r.OutRequestNo, NonceStr: channel.Nonce()}
		a, err := c.call(ctx, "query_unfreeze_order", req, r.OutRequestNo, false)
		if err != nil {
			return app.ChannelResult{}, err
		}
		res = c.unfreezeQueryResult(r, a)
	default:
		return app.ChannelResult{}, app.NotSent("未知的押金操作 %q / unknown deposit operation %q", r.Kind, r.Kind)
	}
	if !res.Foreign && c.foreign.has(r.OutTradeNo, r.OutRequestNo) {
		return foreignResult(""), nil
	}
	return res, nil
}

func (c *Client) unfreezeQueryResult(r app.DepositOpRef, a answer) app.ChannelResult {
	if a.bad != nil {
		return *a.bad
	}
	if *a.head.Status != statusOK {
		return c.base(a, kindQuery)
	}
	var out unfreezeQueryAnswer
	if bad := c.decodeMember("query_unfreeze_order", r.OutRequestNo, a, &out); bad != nil {
		return *bad
	}
	for _, uc := range out.UnfreezeOrderContent {
		if uc.OutUnfreezeNo == r.OutRequestNo {
			return c.unfreezeRes("query_unfreeze_order", r, uc, a, kindQuery)
		}
	}
	return app.ChannelResult{Outcome: app.OutcomeUnknown, NotFound: true, Code: channel.CodeNoRecord,
		Message: "云支付没有这笔解冻 / Cloud Pay has no such release"}
}
