package setup_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel/setup"
)

// channels.json is read strictly and names the field it refuses.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	load := func(body string) (setup.File, error) {
		p := filepath.Join(dir, setup.FileName)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return setup.LoadFile(p)
	}
	field := func(err error) string {
		require.ErrorIs(t, err, setup.ErrFile)
		m, _ := app.AsMessage(err)
		return m.Args["Field"].(string)
	}
	_, err := load(`{}`)
	assert.Equal(t, "wechat|alipay|cloudpay", field(err))
	_, err = load(`{"wechat":{"appid":"a","mch_id":"1","sub_mch_id":"2"}}`)
	assert.Equal(t, "wechat.api_key", field(err))
	_, err = load(`{"wechat":{"appid":"a","mch_id":"1","sub_mch_id":"2","api_key":"k","apikey":"SECRET"}}`)
	assert.Equal(t, "apikey", field(err))
	assert.NotContains(t, err.Error(), "SECRET")
	_, err = load(`{"alipay":{"app_id":"a","private_key":"p"}}`)
	assert.Equal(t, "alipay.alipay_public_key", field(err), "public-key mode needs the Alipay public key")
	_, err = load(`{"alipay":{"app_id":"a","private_key":"p","app_cert":"c"}}`)
	assert.Equal(t, "alipay.alipay_cert", field(err), "certificate mode needs all three certificates")
	f, err := load(`{"alipay":{"app_id":"a","private_key":"p","app_cert":"c","alipay_cert":"d","alipay_root_cert":"e"}}`)
	require.NoError(t, err)
	assert.Equal(t, "e", f.Settings().Alipay.AlipayRootCert)
	_, err = load(`{"wechat":{"appid":"a","mch_id":"1","sub_mch_id":"2","api_key":"k"},"routes":{"alipay":"cloudpay"}}`)
	assert.Equal(t, "routes.alipay", field(err))
	_, err = load(`{"wechat":{"appid":"a","mch_id":"1","sub_mch_id":"2","api_key":"k"},"routes":{"bitcoin":"wechat"}}`)
	assert.Equal(t, "routes.bitcoin", field(err))
	_, err = load(`{"wechat":{"appid":"a","mch_id":1}}`)
	assert.Equal(t, "wechat.mch_id", field(err), "a wrong type names the field")
	_, err = load(`{"wechat":{}} {}`)
	require.Error(t, err)
	f, err = load(`{"order_prefix":"","cloudpay":{"out_mch_id":"a","out_sub_mch_id":"b","out_shop_id":"c","cashier_id":"sz01x","authen_key":"k"}}`)
	require.NoError(t, err)
	assert.Equal(t, "sz01x", f.Prefix(), "the Cloud Pay cashier id is the number prefix")
}
