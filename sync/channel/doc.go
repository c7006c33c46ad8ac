// Package channel holds what the three payment channel clients share: HTTP
// with timeouts, a Secret type that never prints itself, Redact for error
// and log text, strict yuan parsing, the Beijing time zone, nonces, and the
// Channels router that maps a customer's Wallet to the configured
// app.PaymentChannel.
//
// The clients live in sub-packages named after the channel:
//
//	sync/channel/wechat    WeChat Pay API v2, service-provider mode (XML, MD5/HMAC-SHA256)
//	sync/channel/alipay    Alipay open API (RSA2)
//	sync/channel/cloudpay  Tencent Cloud Pay cashier API (JSON envelope, HMAC-SHA256 / RSASSA-PSS)
//
// Every client follows the app.PaymentChannel error convention: a non-nil
// error means nothing was sent (an app.NotSentError); everything that
// happened after the first byte left comes back as an app.ChannelResult,
// with app.OutcomeUnknown whenever the answer is missing, late, malformed,
// unsigned or badly signed. DownloadBill is the one exception: it has no
// ChannelResult, so a failure after sending is a plain (not NotSent) error.
package channel
