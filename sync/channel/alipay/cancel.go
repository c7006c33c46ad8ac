package alipay

import (
	"context"

	"cashier/app"
)

const (
	methodCancel     = "alipay.trade.cancel"
	methodAuthCancel = "alipay.fund.auth.operation.cancel"
)

type cancelResp struct {
	common
	TradeNo    string `json:"trade_no"`
	OutTradeNo string `json:"out_trade_no"`
	RetryFlag  string `json:"retry_flag"`
	Action     string `json:"action"`
}

type authCancelBiz struct {
	AuthNo       string `json:"auth_no,omitempty"`
	OutOrderNo   string `json:"out_order_no,omitempty"`
	OutRequestNo string `json:"out_request_no,omitempty"`
	Remark       string `json:"remark"`
}

type authCancelResp struct {
	common
	AuthNo     string `json:"auth_no"`
	OutOrderNo string `json:"out_order_no"`
	Action     string `json:"action"`
}

// Reverse implements app.PaymentChannel: alipay.trade.cancel (closes an
// unpaid order or refunds a paid one; retry_flag=Y asks for the same call
// again), or for a deposit alipay.fund.auth.operation.cancel of the freeze.
func (c *Client) Reverse(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	if err := checkRef(r); err != nil {
		return app.ChannelResult{}, err
	}
	if r.Deposit {
		biz := authCancelBiz{AuthNo: r.TransactionID, Remark: "撤销押金 / cancel deposit"}
		if r.OutTradeNo != "" {
			biz.OutOrderNo, biz.OutRequestNo = r.OutTradeNo, r.OutTradeNo
		}
		var out authCancelResp
		bad, err := c.call(ctx, methodAuthCancel, biz, r.OutTradeNo, &out)
		if err != nil {
			return app.ChannelResult{}, err
		}
		return c.authCancelResult(r, bad, &out), nil
	}
	var out cancelResp
	bad, err := c.call(ctx, methodCancel, queryBiz{OutTradeNo: r.OutTradeNo, TradeNo: r.TransactionID}, r.OutTradeNo, &out)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.cancelResult(r, bad, &out), nil
}

// cancelResult reads an alipay.trade.cancel answer.
func (c *Client) cancelResult(r app.OrderRef, bad *app.ChannelResult, out *cancelResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	retry := out.RetryFlag == "Y"
	switch {
	case out.Code == codeSuccess && !retry:
		if r.OutTradeNo != "" && out.OutTradeNo != "" && out.OutTradeNo != r.OutTradeNo {
			return c.mismatch(methodCancel, r.OutTradeNo, "out_trade_no")
		}
		res := c.result(app.OutcomeSuccess, &out.common)
		res.TransactionID = out.TradeNo
		res.TradeState = "REVOKED"
		res.Message = "action=" + out.Action // close: nothing was paid; refund: the payment went back
		if out.Action == "close" {
			res.TradeState = "CLOSED"
		}
		return res
	case retry:
		res := c.result(app.OutcomeUnknown, &out.common)
		res.Retry = true
		return res
	case out.Code == codeBizFail && !unknownSubCodes[out.SubCode]:
		return c.result(app.OutcomeFailed, &out.common)
	}
	return c.result(app.OutcomeUnknown, &out.common)
}

// authCancelResult reads an alipay.fund.auth.operation.cancel answer.
func (c *Client) authCancelResult(r app.OrderRef, bad *app.ChannelResult, out *authCancelResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	switch {
	case out.Code == codeSuccess:
		if r.OutTradeNo != "" && out.OutOrderNo != "" && out.OutOrderNo != r.OutTradeNo {
			return c.mismatch(methodAuthCancel, r.OutTradeNo, "out_order_no")
		}
		res := c.result(app.OutcomeSuccess, &out.common)
		res.TransactionID = out.AuthNo
		res.TradeState = "REVOKED"
		res.Message = "action=" + out.Action // close or unfreeze
		return res
	case out.Code == codeBizFail && !unknownSubCodes[out.SubCode]:
		return c.result(app.OutcomeFailed, &out.common)
	}
	return c.result(app.OutcomeUnknown, &out.common)
}
