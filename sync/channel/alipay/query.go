package alipay

import (
	"context"

	"cashier/app"
	"cashier/sync/channel"
)

const (
	methodQuery      = "alipay.trade.query"
	methodAuthDetail = "alipay.fund.auth.operation.detail.query"
)

type queryBiz struct {
	OutTradeNo string `json:"out_trade_no,omitempty"`
	TradeNo    string `json:"trade_no,omitempty"`
}

type queryResp struct {
	common
	TradeNo     string `json:"trade_no"`
	OutTradeNo  string `json:"out_trade_no"`
	TradeStatus string `json:"trade_status"`
	TotalAmount string `json:"total_amount"`
	SendPayDate string `json:"send_pay_date"`
}

type authDetailBiz struct {
	AuthNo       string `json:"auth_no,omitempty"`
	OutOrderNo   string `json:"out_order_no,omitempty"`
	OutRequestNo string `json:"out_request_no,omitempty"`
}

// The answer types declare only the members the client reads: a member it
// does not read cannot make a signed answer unreadable (MALFORMED) by
// coming as another JSON type than expected.

type authDetailResp struct {
	common
	AuthNo        string `json:"auth_no"`
	OutOrderNo    string `json:"out_order_no"`
	OrderStatus   string `json:"order_status"`
	OutRequestNo  string `json:"out_request_no"`
	OperationType string `json:"operation_type"`
	Amount        string `json:"amount"`
	Status        string `json:"status"`
	GmtTrans      string `json:"gmt_trans"`
}

// Query implements app.PaymentChannel: alipay.trade.query, or for a
// deposit alipay.fund.auth.operation.detail.query of the freeze.
func (c *Client) Query(ctx context.Context, r app.OrderRef) (app.ChannelResult, error) {
	if err := checkRef(r); err != nil {
		return app.ChannelResult{}, err
	}
	if r.Deposit {
		biz := authDetailBiz{AuthNo: r.TransactionID}
		if r.OutTradeNo != "" {
			biz.OutOrderNo, biz.OutRequestNo = r.OutTradeNo, r.OutTradeNo
		}
		var out authDetailResp
		bad, err := c.call(ctx, methodAuthDetail, biz, r.OutTradeNo, &out)
		if err != nil {
			return app.ChannelResult{}, err
		}
		return c.authDetailResult(r, bad, &out), nil
	}
	var out queryResp
	bad, err := c.call(ctx, methodQuery, queryBiz{OutTradeNo: r.OutTradeNo, TradeNo: r.TransactionID}, r.OutTradeNo, &out)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.queryResult(r, bad, &out), nil
}

// queryResult reads an alipay.trade.query answer. A failed query says
// nothing about the money: OutcomeUnknown.
func (c *Client) queryResult(r app.OrderRef, bad *app.ChannelResult, out *queryResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	if out.Code != codeSuccess {
		res := c.result(app.OutcomeUnknown, &out.common)
		// Definite, but an in-flight payment may still arrive: the state
		// machine decides.
		res.NotFound = out.Code == codeBizFail && out.SubCode == "ACQ.TRADE_NOT_EXIST"
		return res
	}
	if r.OutTradeNo != "" && out.OutTradeNo != "" && out.OutTradeNo != r.OutTradeNo {
		return c.mismatch(methodQuery, r.OutTradeNo, "out_trade_no")
	}
	if r.TransactionID != "" && out.TradeNo != "" && out.TradeNo != r.TransactionID {
		return c.mismatch(methodQuery, r.OutTradeNo, "trade_no")
	}
	o, state := tradeStatus(out.TradeStatus)
	res := app.ChannelResult{Outcome: o, TradeState: state, TransactionID: out.TradeNo,
		FinishedAt: parseTime(out.SendPayDate), Code: out.TradeStatus}
	if amt, err := channel.ParseYuan(out.TotalAmount); err == nil {
		res.Amount = amt
	} else if o == app.OutcomeSuccess {
		return c.mismatch(methodQuery, r.OutTradeNo, "total_amount")
	}
	if o == app.OutcomeSuccess && out.TradeNo == "" {
		return c.mismatch(methodQuery, r.OutTradeNo, "trade_no")
	}
	return res
}

// authDetailResult reads the freeze operation's detail.
func (c *Client) authDetailResult(r app.OrderRef, bad *app.ChannelResult, out *authDetailResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	if out.Code != codeSuccess {
		res := c.result(app.OutcomeUnknown, &out.common)
		res.NotFound = out.Code == codeBizFail && out.SubCode == "AUTH_ORDER_NOT_EXIST"
		return res
	}
	if r.OutTradeNo != "" && out.OutOrderNo != "" && out.OutOrderNo != r.OutTradeNo {
		return c.mismatch(methodAuthDetail, r.OutTradeNo, "out_order_no")
	}
	o, state := authStatus(out.Status)
	res := app.ChannelResult{Outcome: o, TradeState: state, TransactionID: out.AuthNo,
		FinishedAt: parseTime(out.GmtTrans), Code: out.Status, Message: "order_status=" + out.OrderStatus}
	if amt, err := channel.ParseYuan(out.Amount); err == nil {
		res.Amount = amt
	} else if o == app.OutcomeSuccess {
		return c.mismatch(methodAuthDetail, r.OutTradeNo, "amount")
	}
	if o == app.OutcomeSuccess && out.AuthNo == "" {
		return c.mismatch(methodAuthDetail, r.OutTradeNo, "auth_no")
	}
	return res
}

func checkRef(r app.OrderRef) error {
	if r.OutTradeNo == "" && r.TransactionID == "" {
		return app.NotSent("缺少订单号 / the order number or Alipay trade number is required")
	}
	if r.OutTradeNo != "" {
		if err := channel.CheckOrderNo("商户订单号 out_trade_no", r.OutTradeNo, 64, orderNoChars); err != nil {
			return err
		}
	}
	if r.TransactionID != "" {
		if err := channel.CheckOrderNo("支付宝交易号 trade_no", r.TransactionID, 64, ""); err != nil {
			return err
		}
	}
	return nil
}
