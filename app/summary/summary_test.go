package summary

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A discount counts once whether it was journalled on its own row (a
// sale paid step by step) or on the sale's row (a sale committed at once).
func TestCompute_DiscountOnItsOwnRowOrOnTheSale(t *testing.T) {
	apart := Compute([]Row{
		{Kind: KindSale, Method: MethodCash, Count: 1, Amount: 900},
		{Kind: KindDiscount, Method: MethodCash, Count: 1, Discount: 100},
	})
	together := Compute([]Row{{Kind: KindSale, Method: MethodCash, Count: 1, Amount: 900, Discount: 100}})
	assert.Equal(t, apart.Total, together.Total)
	assert.EqualValues(t, 100, together.Total.Discount)
	assert.EqualValues(t, 1000, together.Total.TxAmount)
	assert.EqualValues(t, 900, together.Total.Received)
	assert.EqualValues(t, 1, together.Total.TxCount)
}
