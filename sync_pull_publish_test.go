package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/sync/backoffice/master"
	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
)

// plHeld is every master row the back office holds, by topic.
func plHeld(t testing.TB, st server.Store) map[string][]protocol.MasterItem {
	t.Helper()
	out := map[string][]protocol.MasterItem{}
	for _, topic := range master.Order {
		var after int64
		for {
			items, err := st.Pull(context.Background(), topic, after, 1000)
			require.NoError(t, err)
			if len(items) == 0 {
				break
			}
			out[topic] = append(out[topic], items...)
			after = items[len(items)-1].Cursor
		}
	}
	return out
}

func plWrite(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestPublishCLI_File(t *testing.T) {
	st, boPath, _ := plBackOffice(t)
	good := plWrite(t, "master.jsonl", `{"topic":"products","id":"P1","payload":{"name":"可口可乐 330ml","unit":"罐"}}
{"topic":"barcodes","id":"6901234567892","payload":{"sku":"P1"}}

{"topic":"prices","id":"*/P1","payload":{"price":300}}
{"topic":"prices","id":"S01/P1","payload":{"price":280}}
{"topic":"staff","id":"2001","payload":{"store":"S01","name":"王芳","role":"clerk"}}
{"topic":"settings","id":"*/receipt.footer","payload":{"value":"谢谢惠顾"}}
{"topic":"products","id":"OLD","deleted":true}
`)
	rc, out, errs := runCmd(t, nil, "backoffice", "publish", "--db", boPath, "--file", good)
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "published 7 items (1 deletions)")
	held := plHeld(t, st)
	assert.Len(t, held["products"], 2)
	assert.Len(t, held["prices"], 2)
	assert.Len(t, held["staff"], 1)
	assert.JSONEq(t, `{"name":"可口可乐 330ml","unit":"罐"}`, string(held["products"][0].Payload))
	assert.True(t, held["products"][1].Deleted)

	// One bad line refuses the whole file: nothing more is written.
	bad := plWrite(t, "bad.jsonl", `{"topic":"products","id":"P2","payload":{"name":"雪碧"}}
{"topic":"products","id":"P3","payload":{"name":"芬达","colour":"orange"}}
{"topic":"prices","id":"*/P2","payload":{"price":3.5}}
not json
{"topic":"prices","id":"*/P2","payload":{"price":350},"extra":1}
{"topic":"settings","id":"*/printer.port","payload":{"value":"/dev/ttyS0"}}
{"topic":"products","id":"P4","deleted":true,"payload":{"name":"x"}}
{"topic":"orders","id":"1","payload":{}}
{"topic":"barcodes","id":"6901234567890","payload":{"sku":"P2"}}
`)
	rc, out, errs = runCmd(t, nil, "backoffice", "publish", "--db", boPath, "--file", bad)
	assert.Equal(t, exitUsage, rc, out+errs)
	for _, want := range []string{"line 2: Unknown field colour", "line 3: The payload is not a valid JSON object", "line 4: the line is not valid JSON",
		"line 5: Unknown field extra", "line 6: The back office may not set printer.port", "line 7: A deleted item",
		"line 8: Unknown master-data topic orders", "line 9: 6901234567890 is not a valid id", "8 problems: nothing was published"} {
		assert.Contains(t, errs, want)
	}
	assert.NotContains(t, errs, "line 1:")
	assert.Equal(t, held, plHeld(t, st), "nothing written")

	// A big file goes in transactions of publishBatch items.
	var b strings.Builder
	const n = publishBatch + 500
	for i := range n {
		fmt.Fprintf(&b, `{"topic":"prices","id":"*/P%d","payload":{"price":%d}}`+"\n", i, 100+i)
	}
	rc, out, errs = runCmd(t, nil, "backoffice", "publish", "--db", boPath, "--file", plWrite(t, "big.jsonl", b.String()))
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, fmt.Sprintf("published %d of %d items", publishBatch, n))
	assert.Contains(t, out, fmt.Sprintf("published %d of %d items", n, n))
	assert.Len(t, plHeld(t, st)["prices"], n+1, "P1's store price and the chain prices, P1's replaced")
}

func TestPublishCLI_Catalogue(t *testing.T) {
	st, boPath, _ := plBackOffice(t)
	bad := plWrite(t, "bad.csv", "名称,条码,价格,单位,分类\r\n可乐,6901234567892,3.00,罐,饮料\r\n雪碧,6921168509256,3.005,瓶,饮料\r\n芬达,6901234567892,3.00,瓶,饮料\r\n")
	rc, out, errs := runCmd(t, nil, "backoffice", "publish", "--db", boPath, "--catalogue", bad, "--store", "S01")
	assert.Equal(t, exitUsage, rc, out+errs)
	assert.Contains(t, errs, "line 3:")
	assert.Contains(t, errs, "line 4:")
	assert.Contains(t, errs, "2 problems: nothing was published")
	assert.Empty(t, plHeld(t, st))

	good := plWrite(t, "good.csv", "名称,条码,价格,单位,分类,税率,启用\r\n可口可乐 330ml,6901234567892;00123,3.00,罐,饮料,13%,1\r\n雪碧 500ml,6921168509256,￥3.50,,饮料,,停用\r\n")
	rc, out, errs = runCmd(t, nil, "backoffice", "publish", "--db", boPath, "--catalogue", good, "--store", "*")
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "published 2 products from")
	assert.Contains(t, out, "every store (7 items)")
	held := plHeld(t, st)
	require.Len(t, held["products"], 2)
	assert.Equal(t, "6901234567892", held["products"][0].ID, "the first code is the SKU")
	assert.JSONEq(t, `{"name":"可口可乐 330ml","unit":"罐","category":"饮料","tax_rate":1300,"active":true}`, string(held["products"][0].Payload))
	assert.JSONEq(t, `{"name":"雪碧 500ml","unit":"件","category":"饮料","active":false}`, string(held["products"][1].Payload))
	require.Len(t, held["barcodes"], 3)
	assert.Equal(t, "00123", held["barcodes"][1].ID)
	assert.JSONEq(t, `{"sku":"6901234567892","position":1}`, string(held["barcodes"][1].Payload))
	require.Len(t, held["prices"], 2)
	assert.Equal(t, "*/6921168509256", held["prices"][1].ID)
	assert.JSONEq(t, `{"price":350}`, string(held["prices"][1].Payload))
}

func TestPublishCLI_PriceAndBadCommandLines(t *testing.T) {
	st, boPath, _ := plBackOffice(t)
	cat := plWrite(t, "c.csv", "名称,条码,价格\r\n可口可乐 330ml,6901234567892;00123,3.00\r\n")
	rc, out, errs := runCmd(t, nil, "backoffice", "publish", "--db", boPath, "--catalogue", cat, "--store", "*")
	require.Equal(t, exitOK, rc, out+errs)
	before := plHeld(t, st)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--file", cat, "--catalogue", cat, "--store", "*"}, "give --file or --catalogue"},
		{[]string{}, "give --file or --catalogue"},
		{[]string{"--catalogue", cat}, "--catalogue needs --store"},
		{[]string{"--catalogue", cat, "--store", "S 01"}, "is neither a store code"},
		{[]string{"--file", cat, "--store", "S01"}, "--store is for --catalogue and price"},
		{[]string{"--file", filepath.Join(t.TempDir(), "none.jsonl")}, "cannot be read"},
		{[]string{"--file", plWrite(t, "empty.jsonl", "\n\n")}, "holds nothing to publish"},
		{[]string{"price", "--barcode", "00123", "--price", "12.505"}, "--price 12.505"},
		{[]string{"price", "--barcode", "00123", "--price", "12,50x"}, "--price 12,50x"},
		{[]string{"price", "--barcode", "00123", "--price", "0"}, "--price 0"},
		{[]string{"price", "--barcode", "6901234567890", "--price", "1"}, "--barcode 6901234567890"},
		{[]string{"price", "--barcode", "00123", "--price", "1", "--store", "a/b"}, "is neither a store code"},
		{[]string{"price", "--barcode", "00999", "--price", "1"}, "no product of the back office has the code 00999"},
		{[]string{"--file", cat, "stray"}, "stray"},
	} {
		rc, out, errs := runCmd(t, nil, append([]string{"backoffice", "publish", "--db", boPath}, c.args...)...)
		assert.Equal(t, exitUsage, rc, "%v: %s", c.args, out+errs)
		assert.Contains(t, errs, c.want, c.args)
	}
	assert.Equal(t, before, plHeld(t, st), "nothing written by a refused command")

	rc, out, errs = runCmd(t, nil, "backoffice", "publish", "price", "--db", boPath, "--barcode", "00123", "--price", "12.50", "--store", "S01")
	require.Equal(t, exitOK, rc, out+errs)
	assert.Contains(t, out, "the price of 00123 (product 6901234567892) in S01 is now ￥12.50")
	prices := plHeld(t, st)["prices"]
	require.Len(t, prices, 2)
	assert.Equal(t, "S01/6901234567892", prices[1].ID)
	assert.JSONEq(t, `{"price":1250}`, string(prices[1].Payload))

	rc, out, _ = runCmdLang(t, nil, "", "backoffice", "publish", "price", "--db", boPath, "--barcode", "6901234567892", "--price", "1,234.00")
	require.Equal(t, exitOK, rc, out)
	assert.Contains(t, out, "所有门店的价格已改为 ￥1234.00")
}
