package payment

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

// Everyday refusals are told in the app's language with what to do; any
// other refusal in the channel's own words.
func TestMsgFailed(t *testing.T) {
	require.Equal(t, app.Msg("pay.failed_because", "Reason", app.Msg("declined.balance")), msgFailed("NOTENOUGH", "余额不足"))
	require.Equal(t, app.Msg("pay.failed_because", "Reason", app.Msg("declined.balance")), msgFailed("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"))
	require.Equal(t, app.Msg("pay.failed_because", "Reason", app.Msg("declined.code_expired")), msgFailed("AUTHCODEEXPIRE", ""))
	require.Equal(t, app.Msg("pay.failed_because", "Reason", "商户状态异常"), msgFailed("ACQ.SELLER_STATUS", "商户状态异常"))
	require.Equal(t, app.Msg("pay.failed_because", "Reason", "E42"), msgFailed("E42", ""))
	require.Equal(t, app.Msg("pay.failed"), msgFailed("", ""))
}
