package alipay

import (
	"context"

	"cashier/app"
	"cashier/sync/channel"
)

// QueryDepositOp implements app.PaymentChannel.
//
// Release: alipay.fund.auth.operation.detail.query of the unfreeze, named
// by the deposit (out_order_no, auth_no) and the operation's
// out_request_no. status SUCCESS is done (Amount = amount as Alipay states
// it, TransactionID = auth_no), INIT pending, CLOSED refused for good;
// AUTH_OPERATION_NOT_EXIST / AUTH_ORDER_NOT_EXIST are NotFound.
//
// Consume: the capture is the trade alipay.trade.pay made with out_trade_no
// = r.OutRequestNo, so alipay.trade.query of that trade: TRADE_SUCCESS /
// TRADE_FINISHED is done (TransactionID = trade_no, Amount = total_amount);
// WAIT_BUYER_PAY pending; TRADE_CLOSED done when it was paid (send_pay_date:
// the capture was refunded in full later), else refused for good;
// ACQ.TRADE_NOT_EXIST is NotFound.
func (c *Client) QueryDepositOp(ctx context.Context, r app.DepositOpRef) (app.ChannelResult, error) {
	switch r.Kind {
	case app.DepositOpConsume:
		if err := channel.CheckOrderNo("消费单号 out_trade_no (OutRequestNo)", r.OutRequestNo, 64, orderNoChars); err != nil {
			return app.ChannelResult{}, err
		}
		var out queryResp
		bad, err := c.call(ctx, methodQuery, queryBiz{OutTradeNo: r.OutRequestNo}, r.OutRequestNo, &out)
		if err != nil {
			return app.ChannelResult{}, err
		}
		return c.captureResult(r, bad, &out), nil
	case app.DepositOpRelease:
		if err := checkRef(r.OrderRef); err != nil {
			return app.ChannelResult{}, err
		}
		if err := channel.CheckOrderNo("解冻请求号 out_request_no", r.OutRequestNo, 64, orderNoChars); err != nil {
			return app.ChannelResult{}, err
		}
		biz := authDetailBiz{AuthNo: r.TransactionID, OutOrderNo: r.OutTradeNo, OutRequestNo: r.OutRequestNo}
		var out authDetailResp
		bad, err := c.call(ctx, methodAuthDetail, biz, r.OutRequestNo, &out)
		if err != nil {
			return app.ChannelResult{}, err
		}
		return c.unfreezeDetailResult(r, bad, &out), nil
	}
	return app.ChannelResult{}, app.NotSent("未知的押金操作 %q / unknown deposit operation %q", r.Kind, r.Kind)
}

// captureResult reads alipay.trade.query of a deposit capture.
func (c *Client) captureResult(r app.DepositOpRef, bad *app.ChannelResult, out *queryResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	if out.Code != codeSuccess {
		res := c.result(app.OutcomeUnknown, &out.common)
		res.NotFound = out.Code == codeBizFail && out.SubCode == "ACQ.TRADE_NOT_EXIST"
		return res
	}
	if out.OutTradeNo != "" && out.OutTradeNo != r.OutRequestNo {
		return c.mismatch(methodQuery, r.OutRequestNo, "out_trade_no")
	}
	o, state := tradeStatus(out.TradeStatus)
	if out.TradeStatus == "TRADE_CLOSED" && out.SendPayDate != "" {
		// Paid, then refunded in full: the capture happened.
		o, state = app.OutcomeSuccess, "REFUND"
	}
	res := app.ChannelResult{Outcome: o, TradeState: state, TransactionID: out.TradeNo,
		FinishedAt: parseTime(out.SendPayDate), Code: out.TradeStatus}
	if o == app.OutcomeSuccess {
		amt, err := channel.ParseYuan(out.TotalAmount)
		if err != nil {
			return c.mismatch(methodQuery, r.OutRequestNo, "total_amount")
		}
		if out.TradeNo == "" {
			return c.mismatch(methodQuery, r.OutRequestNo, "trade_no")
		}
		res.Amount = amt
	}
	return res
}

// unfreezeDetailResult reads the detail query of an unfreeze.
func (c *Client) unfreezeDetailResult(r app.DepositOpRef, bad *app.ChannelResult, out *authDetailResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	if out.Code != codeSuccess {
		res := c.result(app.OutcomeUnknown, &out.common)
		res.NotFound = out.Code == codeBizFail && (out.SubCode == "AUTH_OPERATION_NOT_EXIST" || out.SubCode == "AUTH_ORDER_NOT_EXIST")
		return res
	}
	switch {
	case r.OutTradeNo != "" && out.OutOrderNo != "" && out.OutOrderNo != r.OutTradeNo:
		return c.mismatch(methodAuthDetail, r.OutRequestNo, "out_order_no")
	case r.TransactionID != "" && out.AuthNo != "" && out.AuthNo != r.TransactionID:
		return c.mismatch(methodAuthDetail, r.OutRequestNo, "auth_no")
	case out.OutRequestNo != r.OutRequestNo:
		return c.mismatch(methodAuthDetail, r.OutRequestNo, "out_request_no")
	case out.OperationType != "" && out.OperationType != "UNFREEZE":
		return c.mismatch(methodAuthDetail, r.OutRequestNo, "operation_type "+out.OperationType)
	}
	o, _ := authStatus(out.Status)
	res := app.ChannelResult{Outcome: o, TransactionID: out.AuthNo, FinishedAt: parseTime(out.GmtTrans),
		Code: out.Status, Message: "order_status=" + out.OrderStatus}
	if o == app.OutcomeSuccess {
		amt, err := channel.ParseYuan(out.Amount)
		if err != nil {
			return c.mismatch(methodAuthDetail, r.OutRequestNo, "amount")
		}
		res.Amount = amt
	}
	return res
}
