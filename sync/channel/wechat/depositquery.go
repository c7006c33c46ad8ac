package wechat

import (
	"context"

	"cashier/app"
)

// QueryDepositOp implements app.PaymentChannel.
// TODO(issue 8 item 3): being implemented; until then nothing is sent.
func (c *Client) QueryDepositOp(ctx context.Context, r app.DepositOpRef) (app.ChannelResult, error) {
	return app.ChannelResult{}, app.NotSent("deposit operation query not implemented yet")
}
