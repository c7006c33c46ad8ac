package channel

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"cashier/app"
)

// ErrNoBill is wrapped by DownloadBill when the channel says there is no
// bill for the day (no transactions, or the bill is not generated yet).
var ErrNoBill = errors.New("该日没有对账单 / the channel has no bill for that day")

// Channels maps each Wallet to the payment channel configured to serve it.
// One channel may serve several wallets (Cloud Pay serves WeChat, Alipay
// and member cards); a wallet is served by at most one channel. It is safe
// for concurrent use; settings changes call Set/Remove while sales go on.
type Channels struct {
	mu      sync.RWMutex
	byWal   map[app.Wallet]app.PaymentChannel
	sandbox map[app.ChannelName]bool
}

// NewChannels returns an empty router: every wallet is "not configured".
func NewChannels() *Channels {
	return &Channels{byWal: map[app.Wallet]app.PaymentChannel{}, sandbox: map[app.ChannelName]bool{}}
}

// Set makes ch serve the given wallets, replacing whatever served them.
func (c *Channels) Set(ch app.PaymentChannel, wallets ...app.Wallet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range wallets {
		c.byWal[w] = ch
	}
}

// MarkSandbox records that the named channel points at the sandbox gateway,
// so the UI can show SANDBOX.
func (c *Channels) MarkSandbox(n app.ChannelName, sandbox bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sandbox[n] = sandbox
}

// IsSandbox tells whether the named channel was marked as the sandbox.
func (c *Channels) IsSandbox(n app.ChannelName) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sandbox[n]
}

// Remove stops serving the wallets.
func (c *Channels) Remove(wallets ...app.Wallet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range wallets {
		delete(c.byWal, w)
	}
}

// For returns the channel serving w, or a NotSent error with a clear
// message when none is configured.
func (c *Channels) For(w app.Wallet) (app.PaymentChannel, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if ch, ok := c.byWal[w]; ok && ch != nil {
		return ch, nil
	}
	return nil, app.NotSent("%s 的收款通道未配置，请在设置中配置 / no payment channel is configured for %s; set one up in Settings", walletLabel(w), w)
}

// Named returns the configured channel with that name (for bills and
// queries of orders whose channel is recorded).
func (c *Channels) Named(n app.ChannelName) (app.PaymentChannel, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, ch := range c.byWal {
		if ch != nil && ch.Name() == n {
			return ch, nil
		}
	}
	return nil, app.NotSent("通道 %s 未配置 / channel %s is not configured", n, n)
}

// Names lists the configured channels, sorted, each once.
func (c *Channels) Names() []app.ChannelName {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[app.ChannelName]bool{}
	var out []app.ChannelName
	for _, ch := range c.byWal {
		if ch != nil && !seen[ch.Name()] {
			seen[ch.Name()] = true
			out = append(out, ch.Name())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Wallets lists the wallets that have a channel, sorted.
func (c *Channels) Wallets() []app.Wallet {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []app.Wallet
	for w, ch := range c.byWal {
		if ch != nil {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func walletLabel(w app.Wallet) string {
	switch w {
	case app.WalletWeChat:
		return "微信支付"
	case app.WalletAlipay:
		return "支付宝"
	case app.WalletUnionPay:
		return "银联"
	case app.WalletMember:
		return "会员卡"
	}
	return fmt.Sprintf("钱包 %q", string(w))
}
