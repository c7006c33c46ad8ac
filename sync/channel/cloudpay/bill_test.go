package cloudpay

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel"
)

// listOf answers client_order_detail with the given receipts.
func listOf(f *fakeCP, total int, details ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = func(api string, q map[string]any) reply {
		page := []any{}
		if q["page_num"].(float64) == 1 {
			for _, d := range details {
				page = append(page, d)
			}
		}
		return reply{key: "order_detail_query", member: map[string]any{"total_count": total, "order_details": page}}
	}
}

func orderReceipt(no string, mch, sub string) map[string]any {
	o := map[string]any{"order_content": map[string]any{
		"out_trade_no": no, "transaction_id": "4200", "total_fee": 1000, "time_end": 1763690403,
		"wxpay_order_content_ext": map[string]any{"current_trade_state": 2}}}
	if mch != "" || sub != "" {
		o["order_mch"] = map[string]any{"pay_platform": 1, "out_mch_id": mch, "out_sub_mch_id": sub, "out_shop_id": "sz01shop"}
	}
	return map[string]any{"receipt": map[string]any{"order": o}}
}

func refundReceipt(no, order, mch, sub string) map[string]any {
	return map[string]any{"receipt": map[string]any{"refund_order": map[string]any{
		"refund_order_mch": map[string]any{"pay_platform": 1, "out_mch_id": mch, "out_sub_mch_id": sub},
		"refund_order_content": map[string]any{"out_refund_no": no, "refund_id": "503", "out_trade_no": order,
			"refund_fee": 100, "create_time": 1763690500, "wxpay_refund_order_content_ext": map[string]any{"state": 2}}}}}
}

var billDay = time.Date(2026, 11, 21, 12, 0, 0, 0, channel.Beijing)

// An empty order list is no bill (not yet, or no sale): never a day with
// nothing in it to reconcile.
func TestDownloadBill_EmptyListIsNoBill(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	listOf(f, 0)
	_, err := cl.DownloadBill(context.Background(), billDay)
	require.ErrorIs(t, err, channel.ErrNoBill)
	assert.False(t, app.IsNotSent(err))
}

func TestDownloadBill_AnotherMerchantRefused(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	listOf(f, 2, orderReceipt(cashierID+"1", "sz01mch", "sz01sub"), refundReceipt(cashierID+"R1", cashierID+"1", "sz01mch", "sz01sub"))
	b, err := cl.DownloadBill(context.Background(), billDay)
	require.NoError(t, err, "ours, named")
	assert.Len(t, b.Lines, 2)

	for name, details := range map[string][]map[string]any{
		"order, sub-merchant": {orderReceipt(cashierID+"1", "sz01mch", "sz01other")},
		"order, provider":     {orderReceipt(cashierID+"1", "sz01other", "sz01sub")},
		"refund":              {orderReceipt(cashierID+"1", "", ""), refundReceipt(cashierID+"R1", cashierID+"1", "sz01mch", "sz01other")},
	} {
		listOf(f, len(details), details...)
		_, err := cl.DownloadBill(context.Background(), billDay)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "another merchant's orders", name)
	}
}

// The same order listed twice is read twice (total_count counts it): the
// reconciliation counts it once and reports it.
func TestDownloadBill_DuplicateRowKept(t *testing.T) {
	f := newFake(t)
	cl, _ := newClient(t, f, nil)
	r := orderReceipt(cashierID+"1", "sz01mch", "sz01sub")
	listOf(f, 2, r, r)
	b, err := cl.DownloadBill(context.Background(), billDay)
	require.NoError(t, err)
	require.Len(t, b.Lines, 2)
	assert.Equal(t, b.Lines[0], b.Lines[1])

	// A list cut short (a page missing) is refused.
	listOf(f, 3, r, r)
	_, err = cl.DownloadBill(context.Background(), billDay)
	assert.ErrorContains(t, err, fmt.Sprintf("incomplete: %d of %d", 2, 3))
}
