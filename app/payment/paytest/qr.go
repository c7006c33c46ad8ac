package paytest

import (
	"context"

	"cashier/app"
)

// Methods of app.QRChannel, as QRChannel records them.
const (
	MPrecreate = "precreate"
	MCloseQR   = "closeqr"
)

// QRChannel is a scripted channel that can also show a QR code: a
// successful precreate answers CodeURL (and the request's expiry).
type QRChannel struct {
	*Channel
	CodeURL string

	reqs []app.PrecreateRequest
}

// NewQRChannel makes a scripted QR-capable channel.
func NewQRChannel(name app.ChannelName, clock app.Clock) *QRChannel {
	return &QRChannel{Channel: NewChannel(name, clock), CodeURL: "weixin://wxpay/bizpayurl?pr=paytest"}
}

var _ app.QRChannel = (*QRChannel)(nil)

// Precreate implements app.QRChannel.
func (c *QRChannel) Precreate(_ context.Context, r app.PrecreateRequest) (app.QRResult, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r)
	c.mu.Unlock()
	res, err := c.next(Call{Method: MPrecreate, Ref: r.OutTradeNo, Amount: r.Amount})
	out := app.QRResult{ChannelResult: res}
	if err == nil && res.Outcome == app.OutcomeSuccess {
		out.CodeURL, out.ExpiresAt = c.CodeURL, r.ExpiresAt
	}
	return out, err
}

// CloseQR implements app.QRChannel.
func (c *QRChannel) CloseQR(_ context.Context, r app.OrderRef) (app.ChannelResult, error) {
	return c.next(Call{Method: MCloseQR, Ref: r.OutTradeNo})
}

// Precreates lists the precreate requests received.
func (c *QRChannel) Precreates() []app.PrecreateRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]app.PrecreateRequest(nil), c.reqs...)
}

// Created is a precreate that made the order (the code is CodeURL).
func Created() Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomeSuccess, TradeState: "NOTPAY", Code: "SUCCESS"}}
}

// NotPaid is a query of a QR order nobody has paid yet (WeChat NOTPAY).
func NotPaid() Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomePending, TradeState: "NOTPAY", Code: "NOTPAY"}}
}

// Closed is a close that closed the order.
func Closed() Reply {
	return Reply{Res: app.ChannelResult{Outcome: app.OutcomeSuccess, TradeState: "CLOSED", Code: "SUCCESS"}}
}
