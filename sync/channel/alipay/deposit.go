package alipay

import (
	"context"
	"fmt"
	"unicode/utf8"

	"cashier/app"
	"cashier/sync/channel"
)

const methodUnfreeze = "alipay.fund.auth.order.unfreeze"

type unfreezeBiz struct {
	AuthNo       string `json:"auth_no"`
	OutRequestNo string `json:"out_request_no"`
	Amount       string `json:"amount"`
	Remark       string `json:"remark"`
}

type unfreezeResp struct {
	common
	AuthNo       string `json:"auth_no"`
	OutRequestNo string `json:"out_request_no"`
	Amount       string `json:"amount"`
	Status       string `json:"status"`
	GmtTrans     string `json:"gmt_trans"`
}

// Consume implements app.PaymentChannel: alipay.trade.pay with the freeze's
// auth_no (r.TransactionID), product_code=PRE_AUTH and
// auth_confirm_mode=COMPLETE, so the rest of the deposit is unfrozen. The
// capture is a new trade whose out_trade_no is r.OutRequestNo (the same on
// every re-send); the result's TransactionID is its trade_no. A refund of
// the consumed money names that capture trade (OutTradeNo = OutRequestNo),
// not the freeze.
func (c *Client) Consume(ctx context.Context, r app.ConsumeRequest) (app.ChannelResult, error) {
	if !r.Deposit {
		return app.ChannelResult{}, app.NotSent("只有押金可以消费 / only a deposit can be consumed")
	}
	if err := channel.CheckOrderNo("消费单号 out_trade_no (OutRequestNo)", r.OutRequestNo, 64, orderNoChars); err != nil {
		return app.ChannelResult{}, err
	}
	if r.TransactionID == "" {
		return app.ChannelResult{}, app.NotSent("押金消费需要支付宝授权号 auth_no / consuming a deposit needs its Alipay auth_no")
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
	biz := payBiz{OutTradeNo: r.OutRequestNo, AuthNo: r.TransactionID, ProductCode: "PRE_AUTH", AuthConfirmMode: "COMPLETE",
		Subject: "押金消费 / deposit", TotalAmount: r.Amount.Yuan(), StoreID: c.cfg.StoreID, TerminalID: c.cfg.TerminalID}
	var out payResp
	bad, err := c.call(ctx, methodPay, biz, r.OutRequestNo, &out)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.payResult(ctx, r.OutRequestNo, r.Amount, true, bad, &out), nil
}

// Release implements app.PaymentChannel: alipay.fund.auth.order.unfreeze
// of r.Amount with out_request_no = r.OutRequestNo.
func (c *Client) Release(ctx context.Context, r app.ReleaseRequest) (app.ChannelResult, error) {
	if !r.Deposit {
		return app.ChannelResult{}, app.NotSent("只有押金可以解冻退还 / only a deposit can be released")
	}
	if r.TransactionID == "" {
		return app.ChannelResult{}, app.NotSent("解冻需要支付宝授权号 auth_no / releasing a deposit needs its Alipay auth_no")
	}
	if err := channel.CheckOrderNo("解冻请求号 out_request_no", r.OutRequestNo, 64, orderNoChars); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckAmount("解冻金额 / release amount", r.Amount); err != nil {
		return app.ChannelResult{}, err
	}
	remark := r.Remark
	if remark == "" {
		remark = "押金退还 / deposit released"
	}
	if utf8.RuneCountInString(remark) > 100 {
		return app.ChannelResult{}, app.NotSent("解冻说明最多100个字 / the release remark is limited to 100 characters")
	}
	var out unfreezeResp
	bad, err := c.call(ctx, methodUnfreeze, unfreezeBiz{AuthNo: r.TransactionID, OutRequestNo: r.OutRequestNo, Amount: r.Amount.Yuan(), Remark: remark}, r.OutRequestNo, &out)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.unfreezeResult(r, bad, &out), nil
}

// unfreezeResult reads an alipay.fund.auth.order.unfreeze answer.
func (c *Client) unfreezeResult(r app.ReleaseRequest, bad *app.ChannelResult, out *unfreezeResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	switch out.Code {
	case codeSuccess:
		if out.AuthNo != "" && out.AuthNo != r.TransactionID {
			return c.mismatch(methodUnfreeze, r.OutRequestNo, "auth_no")
		}
		o, _ := authStatus(out.Status)
		if out.Status == "" {
			o = app.OutcomeSuccess
		}
		if out.OutRequestNo != "" && out.OutRequestNo != r.OutRequestNo {
			return c.mismatch(methodUnfreeze, r.OutRequestNo, "out_request_no")
		}
		res := c.result(o, &out.common)
		res.TransactionID = out.AuthNo
		res.FinishedAt = parseTime(out.GmtTrans)
		if o == app.OutcomeSuccess {
			// The released amount as Alipay states it; the state machine
			// compares it with what was asked.
			amt, err := channel.ParseYuan(out.Amount)
			if err != nil {
				return c.mismatch(methodUnfreeze, r.OutRequestNo, "amount")
			}
			res.Amount = amt
			if amt != r.Amount {
				res.Message = fmt.Sprintf("解冻了 %s 而非 %s / Alipay released %s, not the %s asked", amt, r.Amount, amt, r.Amount)
			}
		}
		return res
	case codeBizFail:
		if unknownSubCodes[out.SubCode] {
			return c.result(app.OutcomeUnknown, &out.common)
		}
		return c.result(app.OutcomeFailed, &out.common)
	}
	return c.result(app.OutcomeUnknown, &out.common)
}
