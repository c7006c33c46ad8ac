package alipay

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"cashier/app"
	"cashier/sync/channel"
)

const (
	methodPay    = "alipay.trade.pay"
	methodFreeze = "alipay.fund.auth.order.freeze"
	// orderNoChars: Alipay numbers are letters, digits and underscores.
	orderNoChars = "_"
)

type payBiz struct {
	OutTradeNo      string `json:"out_trade_no"`
	Scene           string `json:"scene,omitempty"`
	AuthCode        string `json:"auth_code,omitempty"`
	AuthNo          string `json:"auth_no,omitempty"`
	ProductCode     string `json:"product_code,omitempty"`
	AuthConfirmMode string `json:"auth_confirm_mode,omitempty"`
	Subject         string `json:"subject"`
	TotalAmount     string `json:"total_amount"`
	// UndiscountableAmount: the part Alipay's promotions must leave
	// alone (tobacco, a deposit part); left out when there is none.
	UndiscountableAmount string `json:"undiscountable_amount,omitempty"`
	StoreID              string `json:"store_id,omitempty"`
	TerminalID           string `json:"terminal_id,omitempty"`
	OperatorID           string `json:"operator_id,omitempty"`
}

type payResp struct {
	common
	TradeNo     string `json:"trade_no"`
	OutTradeNo  string `json:"out_trade_no"`
	TotalAmount string `json:"total_amount"`
	GmtPayment  string `json:"gmt_payment"`
}

type freezeBiz struct {
	AuthCode     string `json:"auth_code"`
	AuthCodeType string `json:"auth_code_type"`
	OutOrderNo   string `json:"out_order_no"`
	OutRequestNo string `json:"out_request_no"`
	OrderTitle   string `json:"order_title"`
	Amount       string `json:"amount"`
	ProductCode  string `json:"product_code"`
}

type freezeResp struct {
	common
	AuthNo     string `json:"auth_no"`
	OutOrderNo string `json:"out_order_no"`
	Amount     string `json:"amount"`
	Status     string `json:"status"`
	GmtTrans   string `json:"gmt_trans"`
}

// Pay implements app.PaymentChannel: alipay.trade.pay with scene=bar_code,
// or, for a deposit, alipay.fund.auth.order.freeze with the bar code
// (out_order_no = out_request_no = r.OutTradeNo; TransactionID = auth_no).
// The payment code is taken out of whatever the result quotes.
func (c *Client) Pay(ctx context.Context, r app.PayRequest) (app.ChannelResult, error) {
	if err := c.checkPay(r); err != nil {
		return app.ChannelResult{}, err
	}
	if r.Deposit {
		biz := freezeBiz{AuthCode: r.AuthCode, AuthCodeType: "bar_code", OutOrderNo: r.OutTradeNo,
			OutRequestNo: r.OutTradeNo, OrderTitle: r.Subject, Amount: r.Amount.Yuan(), ProductCode: "PRE_AUTH"}
		var out freezeResp
		bad, err := c.call(ctx, methodFreeze, biz, r.OutTradeNo, &out)
		if err != nil {
			return app.ChannelResult{}, err
		}
		return channel.RedactResult(c.freezeResult(r, bad, &out), r.AuthCode), nil
	}
	biz := payBiz{OutTradeNo: r.OutTradeNo, Scene: "bar_code", AuthCode: r.AuthCode, Subject: r.Subject,
		TotalAmount: r.Amount.Yuan(), StoreID: or(r.StoreID, c.cfg.StoreID), TerminalID: or(r.TerminalID, c.cfg.TerminalID),
		OperatorID: r.StaffID}
	if r.Undiscountable > 0 {
		biz.UndiscountableAmount = r.Undiscountable.Yuan()
	}
	var out payResp
	bad, err := c.call(ctx, methodPay, biz, r.OutTradeNo, &out)
	if err != nil {
		return app.ChannelResult{}, err
	}
	return channel.RedactResult(c.payResult(ctx, r.OutTradeNo, r.Amount, false, bad, &out), r.AuthCode), nil
}

// payResult reads an alipay.trade.pay answer: a payment, or with capture
// set a deposit capture. A payment answer stating another amount than
// charged is not believed; a capture's amount is reported as Alipay states
// it (the state machine compares it with what was asked).
func (c *Client) payResult(ctx context.Context, outTradeNo string, amount app.Money, capture bool, bad *app.ChannelResult, out *payResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	switch out.Code {
	case codeSuccess:
		if out.OutTradeNo != "" && out.OutTradeNo != outTradeNo {
			return c.mismatch(methodPay, outTradeNo, "out_trade_no")
		}
		got, err := channel.ParseYuan(out.TotalAmount)
		if err != nil || (got != amount && !capture) || out.TradeNo == "" {
			return c.mismatch(methodPay, outTradeNo, "total_amount/trade_no")
		}
		res := c.result(app.OutcomeSuccess, &out.common)
		res.TransactionID, res.Amount, res.TradeState = out.TradeNo, got, "PAID"
		res.FinishedAt = parseTime(out.GmtPayment)
		if got != amount {
			res.Message = fmt.Sprintf("押金消费了 %s 而非 %s / Alipay captured %s, not the %s asked", got, amount, got, amount)
		}
		return res
	case codeWaiting:
		res := c.result(app.OutcomePending, &out.common)
		res.TradeState = "PAYING"
		return res
	case codeBizFail:
		switch {
		case out.SubCode == "ACQ.TRADE_HAS_SUCCESS":
			// Already paid: the query's signed answer decides, its amount
			// read as a pay answer's is.
			q, err := c.Query(ctx, app.OrderRef{OutTradeNo: outTradeNo, Wallet: app.WalletAlipay})
			switch {
			case err != nil || q.Outcome != app.OutcomeSuccess:
				return c.result(app.OutcomeUnknown, &out.common)
			case q.Amount == amount:
				return q
			case capture:
				q.Message = fmt.Sprintf("押金消费了 %s 而非 %s / Alipay captured %s, not the %s asked", q.Amount, amount, q.Amount, amount)
				return q
			}
			return c.mismatch(methodPay, outTradeNo, "total_amount")
		case unknownSubCodes[out.SubCode]:
			return c.result(app.OutcomeUnknown, &out.common)
		}
		res := c.result(app.OutcomeFailed, &out.common)
		res.TradeState = "PAYERROR"
		if newNumberSubCodes[out.SubCode] {
			res.NewOrderNo = true
			res.TradeState = "CLOSED"
		}
		return res
	}
	return c.result(app.OutcomeUnknown, &out.common) // 20000 and anything else
}

// freezeResult reads an alipay.fund.auth.order.freeze answer.
func (c *Client) freezeResult(r app.PayRequest, bad *app.ChannelResult, out *freezeResp) app.ChannelResult {
	if bad != nil {
		return *bad
	}
	switch out.Code {
	case codeSuccess:
		if out.OutOrderNo != "" && out.OutOrderNo != r.OutTradeNo {
			return c.mismatch(methodFreeze, r.OutTradeNo, "out_order_no")
		}
		o, state := authStatus(out.Status)
		if out.Status == "" {
			o, state = app.OutcomeSuccess, "PAID"
		}
		res := c.result(o, &out.common)
		res.TradeState = state
		res.TransactionID = out.AuthNo
		res.FinishedAt = parseTime(out.GmtTrans)
		if o == app.OutcomeSuccess {
			got, err := channel.ParseYuan(out.Amount)
			if err != nil || got != r.Amount || out.AuthNo == "" {
				return c.mismatch(methodFreeze, r.OutTradeNo, "amount/auth_no")
			}
			res.Amount = got
		}
		return res
	case codeWaiting:
		res := c.result(app.OutcomePending, &out.common)
		res.TradeState = "PAYING"
		res.TransactionID = out.AuthNo
		return res
	case codeBizFail:
		if unknownSubCodes[out.SubCode] {
			return c.result(app.OutcomeUnknown, &out.common)
		}
		res := c.result(app.OutcomeFailed, &out.common)
		res.TradeState = "PAYERROR"
		return res
	}
	return c.result(app.OutcomeUnknown, &out.common)
}

func (c *Client) checkPay(r app.PayRequest) error {
	if r.Wallet != app.WalletAlipay {
		return app.NotSent("支付宝不受理 %s 付款码 / Alipay does not take %s payment codes", r.Wallet, r.Wallet)
	}
	if err := channel.CheckOrderNo("商户订单号 out_trade_no", r.OutTradeNo, 64, orderNoChars); err != nil {
		return err
	}
	if err := channel.CheckAuthCode(app.WalletAlipay, r.AuthCode); err != nil {
		return err
	}
	if err := channel.CheckAmount("支付金额 / payment amount", r.Amount); err != nil {
		return err
	}
	if r.Undiscountable < 0 || r.Undiscountable > r.Amount || r.Deposit && r.Undiscountable != 0 {
		return app.NotSent("不可打折金额 %s 须在 0 到支付金额之间（押金不适用） / undiscountable amount must be 0 to the payment amount (not for a deposit)",
			r.Undiscountable.Yuan())
	}
	return checkSubject(r.Subject)
}

func checkSubject(s string) error {
	if strings.TrimSpace(s) == "" {
		return app.NotSent("缺少订单标题 / the order subject is required")
	}
	if utf8.RuneCountInString(s) > 256 {
		return app.NotSent("订单标题最多256个字 / the order subject is limited to 256 characters")
	}
	if strings.ContainsAny(s, "/=&") {
		return app.NotSent("订单标题不能含有 / = & / the order subject must not contain / = or &")
	}
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
