package sandbox

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The official WeChat Pay v2 signing example (payments.md).
func TestWeChatSign_OfficialVector(t *testing.T) {
	params := map[string]string{
		"appid":       "wxd930ea5d5a258f4f",
		"body":        "test",
		"device_info": "1000",
		"mch_id":      "10000100",
		"nonce_str":   "ibuaiVcKdpRxkhJA",
	}
	const key = "192006250b4c09247ec02edce69f6a2d"

	md5, err := WeChatSign(params, key, SignMD5)
	require.NoError(t, err)
	require.Equal(t, "9A0A8659F005D6984697E2CA0A9CF3B7", md5)

	def, err := WeChatSign(params, key, "")
	require.NoError(t, err)
	require.Equal(t, md5, def, "MD5 is the default sign_type")

	hm, err := WeChatSign(params, key, SignHMACSHA256)
	require.NoError(t, err)
	require.Equal(t, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6", hm)

	// sign itself and empty values take no part.
	params["sign"] = "whatever"
	params["attach"] = ""
	again, _ := WeChatSign(params, key, SignMD5)
	require.Equal(t, md5, again)

	_, err = WeChatSign(params, key, "SHA1")
	require.Error(t, err)
}
