package master_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/sync/backoffice/master"
)

func code(err error) string {
	if m, ok := app.AsMessage(err); ok {
		return m.Code
	}
	return ""
}

func TestDecode_Good(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("1234"), bcrypt.MinCost)
	require.NoError(t, err)
	for _, c := range []struct {
		topic, id, payload string
		want               any
	}{
		{"stores", "S01", `{"name":"一号店","address":"南山区","phone":"0755"}`, master.Store{Name: "一号店", Address: "南山区", Phone: "0755"}},
		{"terminals", "t-00ff", `{"store":"S01","name":"收银1"}`, master.Terminal{Store: "S01", Name: "收银1"}},
		{"staff", "1001", `{"store":"S01","name":"李娜","role":"clerk","pin_hash":"` + string(hash) + `"}`, master.Staff{Store: "S01", Name: "李娜", Role: "clerk", PINHash: string(hash)}},
		{"staff", "9", `{"store":"","name":"总部","role":"admin"}`, master.Staff{Name: "总部", Role: "admin"}},
		{"permissions", "1001", `{"grants":[]}`, master.Permissions{Grants: []string{}}},
		{"products", "P-1.a_b", `{"name":"可乐"}`, master.Product{Name: "可乐"}},
		{"barcodes", "6901234567892", `{"sku":"P1","position":2}`, master.Barcode{SKU: "P1", Position: 2}},
		{"barcodes", "A-01", `{"sku":"P1"}`, master.Barcode{SKU: "P1"}},
		{"prices", "*/P1", `{"price":1250}`, master.Price{Price: 1250}},
		{"prices", "S01/P1", ` {"price":1} `, master.Price{Price: 1}},
		{"settings", "*/receipt.footer", `{"value":" 谢谢惠顾 "}`, master.Setting{Value: " 谢谢惠顾 "}},
		{"settings", "S01/shift.variance_threshold", `{"value":"50.00"}`, master.Setting{Value: "50.00"}},
	} {
		it, err := master.Decode(c.topic, c.id, false, []byte(c.payload))
		require.NoError(t, err, "%s %s", c.topic, c.id)
		assert.Equal(t, c.want, it.Value)
	}
	it, err := master.Decode("prices", "S01/P1", false, []byte(`{"price":5}`))
	require.NoError(t, err)
	assert.Equal(t, "S01", it.Scope)
	assert.Equal(t, "P1", it.Key)
	it, err = master.Decode("products", "P1", true, nil)
	require.NoError(t, err)
	assert.True(t, it.Deleted)
	assert.Nil(t, it.Value)
	assert.True(t, master.Product{}.IsActive(), "absent active is on sale")
}

func TestDecode_Refused(t *testing.T) {
	for _, c := range []struct {
		topic, id, payload, code string
	}{
		{"shops", "S01", `{}`, "sync.master.unknown_topic"},
		{"stores", "S 01", `{"name":"x"}`, "sync.master.bad_id"},
		{"stores", "", `{"name":"x"}`, "sync.master.bad_id"},
		{"stores", "S01", `{"name":""}`, "field.required"},
		{"stores", "S01", `{"name":"x","manager":"y"}`, "sync.master.unknown_field"},
		{"stores", "S01", `[1]`, "sync.master.bad_json"},
		{"stores", "S01", `{"name":"x"}{"name":"y"}`, "sync.master.bad_json"},
		{"stores", "S01", `{"name":"x"`, "sync.master.bad_json"},
		{"stores", "S01", ``, "sync.master.bad_json"},
		{"terminals", "t-1", `{"store":"S01","name":"x","cashier_mode":"fly"}`, "field.invalid"},
		{"staff", "A1", `{"store":"S01","name":"x","role":"clerk"}`, "sync.master.bad_id"},
		{"staff", "1", `{"store":"S01","name":"x","role":"boss"}`, "sync.master.bad_role"},
		{"staff", "1", `{"store":"","name":"x","role":"clerk"}`, "sync.master.required"},
		{"staff", "1", `{"store":"S01","name":"x","role":"admin"}`, "sync.master.bad_value"},
		{"staff", "1", `{"store":"S01","name":"x","role":"clerk","pin_hash":"1234"}`, "sync.master.bad_pin_hash"},
		{"staff", "1", `{"store":"S01","name":"x","role":"clerk","pin":"1234"}`, "sync.master.unknown_field"},
		{"permissions", "1", `{}`, "sync.master.required"},
		{"permissions", "1", `{"grants":["refund","root"]}`, "sync.master.unknown_permission"},
		{"products", "P/1", `{"name":"x"}`, "sync.master.bad_id"},
		{"products", "P1", `{"name":"x","tax_rate":20000}`, "catalog.tax_rate.range"},
		{"products", "P1", `{"name":"x","price":100}`, "sync.master.unknown_field"},
		{"products", "P1", `{"name":"x","active":"yes"}`, "sync.master.bad_json"},
		{"barcodes", "6901234567890", `{"sku":"P1"}`, "sync.master.bad_id"},
		{"barcodes", "ab01", `{"sku":"P1"}`, "sync.master.bad_id"},
		{"barcodes", "A01", `{"sku":""}`, "sync.master.bad_value"},
		{"barcodes", "A01", `{"sku":"P1","position":100}`, "sync.master.bad_value"},
		{"prices", "P1", `{"price":1}`, "sync.master.bad_id"},
		{"prices", "*/P1", `{"price":0}`, "sync.master.bad_price"},
		{"prices", "*/P1", `{"price":10000000}`, "sync.master.bad_price"},
		{"prices", "*/P1", `{"price":12.5}`, "sync.master.bad_json"},
		{"prices", "*/P1", `{"price":"1250"}`, "sync.master.bad_json"},
		{"settings", "*/printer.port", `{"value":"/dev/ttyS0"}`, "sync.master.setting_not_allowed"},
		{"settings", "*/store_id", `{"value":"2"}`, "sync.master.setting_not_allowed"},
		{"settings", "*/payment.mode", `{"value":"free"}`, "sync.master.bad_value"},
		{"settings", "*/discount.floor_pct", `{"value":"101"}`, "store.discount_floor_invalid"},
		{"settings", "*/shift.variance_threshold", `{"value":"-1"}`, "sync.master.bad_value"},
		{"settings", "*/scale.layout", `{"value":" none"}`, "sync.master.bad_value"},
	} {
		_, err := master.Decode(c.topic, c.id, false, []byte(c.payload))
		require.Error(t, err, "%s %s %s", c.topic, c.id, c.payload)
		assert.True(t, errors.Is(err, master.ErrItem) || code(err) != "", "%s", err)
		assert.Contains(t, err.Error(), c.code, "%s %s %s", c.topic, c.id, c.payload)
	}
	_, err := master.Decode("products", "P1", true, []byte(`{"name":"x"}`))
	assert.Equal(t, "sync.master.deleted_with_payload", code(err))
	_, err = master.Decode("stores", "S01", false, []byte(`{"name":"x","other":1}`))
	m, _ := app.AsMessage(err)
	assert.Equal(t, "other", m.Args["Field"])
}

// Every setting a back office may set has a check, and nothing a counter
// owns is among them.
func TestSettings_Whitelist(t *testing.T) {
	assert.Equal(t, []string{"discount.floor_pct", "payment.mode", "receipt.footer", "scale.layout", "shift.variance_threshold"}, master.Settings())
	for _, k := range []string{"printer.port", "printer.width", "drawer", "speaker.port", "scanner.port", "lock.port", "customer_display",
		"language", "store_id", "terminal_id", "demo", "catalog_index_version", "job.pull", "wechat.key"} {
		assert.Error(t, master.CheckSetting(k, "x"), k)
	}
}

func TestDecodePage_KeepsOrderAndTerms(t *testing.T) {
	var raws []master.Raw
	for i := range 300 {
		p, _ := json.Marshal(master.Product{Name: fmt.Sprintf("可口可乐 %dml", i)})
		raws = append(raws, master.Raw{Cursor: int64(i + 1), ID: fmt.Sprintf("P%d", i), Payload: p})
	}
	raws[7].Payload = json.RawMessage(`{"nam":"x"}`)
	raws[8] = master.Raw{Cursor: 9, ID: "P8", Deleted: true}
	pg := master.DecodePage("products", 0, 300, true, raws)
	require.Len(t, pg.Items, 300)
	assert.True(t, pg.More)
	for i, e := range pg.Items {
		assert.Equal(t, int64(i+1), e.Cursor)
		switch i {
		case 7:
			assert.Error(t, e.Err)
		case 8:
			assert.NoError(t, e.Err)
			assert.Nil(t, e.Terms)
		default:
			require.NoError(t, e.Err)
			assert.Equal(t, catalog.IndexTerms(fmt.Sprintf("可口可乐 %dml", i)), e.Terms)
		}
	}
}
