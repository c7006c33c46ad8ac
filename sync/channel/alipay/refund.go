package alipay

import (
	"context"
	"fmt"
	"unicode/utf8"

	"cashier/app"
	"cashier/sync/channel"
)

const (
	methodRefund      = "alipay.trade.refund"
	methodRefundQuery = "alipay.trade.fastpay.refund.query"
)

type refundBiz struct {
	OutTradeNo   string   `json:"out_trade_no,omitempty"`
	TradeNo      string   `json:"trade_no,omitempty"`
	RefundAmount string   `json:"refund_amount"`
	OutRequestNo string   `json:"out_request_no"`
	RefundReason string   `json:"refund_reason,omitempty"`
	QueryOptions []string `json:"query_options,omitempty"`
}

type refundResp struct {
	common
	TradeNo    string `json:"trade_no"`
	OutTradeNo string `json:"out_trade_no"`
	FundChange string `json:"fund_change"`
	// SendBackFee is what this refund returned (asked for with
	// query_options); refund_fee, not read, counts every refund of the
	// trade so far.
	SendBackFee  string `json:"send_back_fee"`
	GmtRefundPay string `json:"gmt_refund_pay"` // when the money went back
}

type refundQueryBiz struct {
	OutTradeNo   string   `json:"out_trade_no,omitempty"`
	TradeNo      string   `json:"trade_no,omitempty"`
	OutRequestNo string   `json:"out_request_no"`
	QueryOptions []string `json:"query_options,omitempty"`
}

type refundQueryResp struct {
	common
	TradeNo      string `json:"trade_no"`
	OutTradeNo   string `json:"out_trade_no"`
	OutRequestNo string `json:"out_request_no"`
	RefundStatus string `json:"refund_status"`
	RefundAmount string `json:"refund_amount"`
	TotalAmount  string `json:"total_amount"`
	GmtRefundPay string `json:"gmt_refund_pay"`
}

// Refund implements app.PaymentChannel: alipay.trade.refund with
// out_request_no = r.OutRefundNo (the same on every retry). Money taken
// from a deposit is refunded on its capture trade: r.OutTradeNo must be
// the ConsumeRequest.OutRequestNo (the freeze itself cannot be refunded;
// release or cancel it instead).
//
// fund_change=Y is success, with Amount = send_back_fee (what this refund
// returned, asked for with query_options refund_detail_item_list) as
// Alipay states it. fund_change=N is no error: Alipay answers every
// repeat of a refund number so, whether or not the first call refunded;
// it is OutcomeUnknown and RefundQuery decides.
func (c *Client) Refund(ctx context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	if err := checkRefund(r); err != nil {
		return app.ChannelResult{}, err
	}
	biz := refundBiz{OutTradeNo: r.OutTradeNo, RefundAmount: r.Amount.Yuan(), OutRequestNo: r.OutRefundNo, RefundReason: r.Reason,
		QueryOptions: []string{"refund_detail_item_list"}}
	var out refundResp
	bad, err := c.call(ctx, methodRefund, biz, r.OutRefundNo, &out)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.refundResult(r, bad, &out), nil
}

// refundResult reads an alipay.trade.refund answer.
func (c *Client) refundResult(r app.RefundRequest, bad *app.ChannelResult, out *refundResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	switch out.Code {
	case codeSuccess:
		if out.OutTradeNo != "" && r.OutTradeNo != "" && out.OutTradeNo != r.OutTradeNo {
			return c.mismatch(methodRefund, r.OutRefundNo, "out_trade_no")
		}
		if out.TradeNo != "" && r.TransactionID != "" && out.TradeNo != r.TransactionID {
			return c.mismatch(methodRefund, r.OutRefundNo, "trade_no")
		}
		if out.FundChange != "Y" {
			res := c.result(app.OutcomeUnknown, &out.common)
			res.TransactionID = out.TradeNo
			res.Message = "本次请求未发生资金变动（重复的退款请求都如此），以退款查询为准 / no money moved on this call (so every repeat of a refund number answers); the refund query tells"
			return res
		}
		amt, err := channel.ParseYuan(out.SendBackFee)
		if err != nil {
			// The answer does not say how much this refund returned
			// (refund_fee counts every refund of the trade).
			res := c.result(app.OutcomeUnknown, &out.common)
			res.TransactionID = out.TradeNo
			res.Message = "支付宝未说明本次退款金额，以退款查询为准 / Alipay did not state this refund's amount; the refund query tells"
			return res
		}
		res := c.result(app.OutcomeSuccess, &out.common)
		res.TradeState = "REFUND"
		res.TransactionID = out.TradeNo
		res.FinishedAt = parseTime(out.GmtRefundPay)
		res.Amount = amt
		if amt != r.Amount {
			res.Message = fmt.Sprintf("支付宝退款了 %s 而非 %s / Alipay refunded %s, not the %s asked", amt, r.Amount, amt, r.Amount)
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

// RefundQuery implements app.PaymentChannel:
// alipay.trade.fastpay.refund.query by out_request_no.
func (c *Client) RefundQuery(ctx context.Context, r app.RefundRequest) (app.ChannelResult, error) {
	if err := channel.CheckOrderNo("商户订单号 out_trade_no", r.OutTradeNo, 64, orderNoChars); err != nil {
		return app.ChannelResult{}, err
	}
	if err := channel.CheckOrderNo("退款请求号 out_request_no", r.OutRefundNo, 64, orderNoChars); err != nil {
		return app.ChannelResult{}, err
	}
	biz := refundQueryBiz{OutTradeNo: r.OutTradeNo, OutRequestNo: r.OutRefundNo, QueryOptions: []string{"gmt_refund_pay"}}
	var out refundQueryResp
	bad, err := c.call(ctx, methodRefundQuery, biz, r.OutRefundNo, &out)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return c.refundQueryResult(r, bad, &out), nil
}

// refundQueryResult reads a refund query answer. Code 10000 says only
// that the query worked. As the API says, refund_status REFUND_SUCCESS is
// what makes a refund successful; an answer without the refund's data is
// "no such refund (yet)" (NotFound: re-sending the refund with the same
// number is safe), and one with data but without REFUND_SUCCESS is not
// successful (yet): unknown. Success needs our out_request_no and a
// refund_amount, reported as Alipay states it.
func (c *Client) refundQueryResult(r app.RefundRequest, bad *app.ChannelResult, out *refundQueryResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	if out.Code != codeSuccess {
		res := c.result(app.OutcomeUnknown, &out.common)
		if out.Code == codeBizFail && out.SubCode == "ACQ.TRADE_NOT_EXIST" {
			res.NotFound = true
		}
		return res
	}
	if out.OutTradeNo != "" && r.OutTradeNo != "" && out.OutTradeNo != r.OutTradeNo {
		return c.mismatch(methodRefundQuery, r.OutRefundNo, "out_trade_no")
	}
	if out.TradeNo != "" && r.TransactionID != "" && out.TradeNo != r.TransactionID {
		return c.mismatch(methodRefundQuery, r.OutRefundNo, "trade_no")
	}
	if out.OutRequestNo != "" && out.OutRequestNo != r.OutRefundNo {
		return c.mismatch(methodRefundQuery, r.OutRefundNo, "out_request_no")
	}
	if out.OutRequestNo == "" && out.RefundAmount == "" && out.RefundStatus == "" {
		res := c.result(app.OutcomeUnknown, &out.common)
		res.Code = channel.CodeNoRecord
		res.NotFound = true
		res.Message = "支付宝没有这笔退款 / Alipay has no refund with this number"
		return res
	}
	if out.RefundStatus != "REFUND_SUCCESS" {
		res := c.result(app.OutcomeUnknown, &out.common)
		res.Code = out.RefundStatus
		if res.Code == "" {
			res.Code = channel.CodeNoRecord
		}
		res.Message = "支付宝的退款记录不是“退款成功” / Alipay lists the refund, but not as REFUND_SUCCESS (yet)"
		return res
	}
	amt, amtErr := channel.ParseYuan(out.RefundAmount)
	if out.OutRequestNo == "" || amtErr != nil {
		return c.mismatch(methodRefundQuery, r.OutRefundNo, "out_request_no/refund_amount")
	}
	res := c.result(app.OutcomeSuccess, &out.common)
	res.Code = "REFUND_SUCCESS"
	res.TradeState = "REFUND"
	res.TransactionID = out.TradeNo
	res.Amount = amt
	res.FinishedAt = parseTime(out.GmtRefundPay)
	if amt != r.Amount && r.Amount != 0 {
		res.Message = fmt.Sprintf("支付宝退款了 %s 而非 %s / Alipay refunded %s, not the %s asked", amt, r.Amount, amt, r.Amount)
	}
	return res
}

func checkRefund(r app.RefundRequest) error {
	if r.OutTradeNo == "" {
		return app.NotSent("退款需要商户订单号 / a refund needs the order's out_trade_no")
	}
	if err := channel.CheckOrderNo("商户订单号 out_trade_no", r.OutTradeNo, 64, orderNoChars); err != nil {
		return err
	}
	if err := channel.CheckOrderNo("退款请求号 out_request_no", r.OutRefundNo, 64, orderNoChars); err != nil {
		return err
	}
	if err := channel.CheckAmount("订单金额 / order total", r.Total); err != nil {
		return err
	}
	if err := channel.CheckAmount("退款金额 / refund amount", r.Amount); err != nil {
		return err
	}
	if r.Amount > r.Total {
		return app.NotSent("退款金额 %s 大于订单金额 %s / the refund %s is more than the order total %s", r.Amount, r.Total, r.Amount, r.Total)
	}
	if utf8.RuneCountInString(r.Reason) > 256 {
		return app.NotSent("退款原因最多256个字 / the refund reason is limited to 256 characters")
	}
	return nil
}
