package wechat

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// SignString is the text that is signed: every non-empty parameter except
// "sign", keys sorted by ASCII, joined k=v&k=v, then &key=<API key>.
func SignString(params map[string]string, key string) string {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k == "sign" || v == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
		b.WriteByte('&')
	}
	b.WriteString("key=")
	b.WriteString(key)
	return b.String()
}

// Sign computes the upper-case hex signature with MD5 or HMAC-SHA256 (keyed
// with the API key).
func Sign(params map[string]string, key, signType string) string {
	s := SignString(params, key)
	var sum []byte
	if signType == SignHMACSHA256 {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(s))
		sum = m.Sum(nil)
	} else {
		h := md5.Sum([]byte(s))
		sum = h[:]
	}
	return strings.ToUpper(hex.EncodeToString(sum))
}

// Verify checks params["sign"] in constant time. The sign must be present.
func Verify(params map[string]string, key, signType string) bool {
	got := params["sign"]
	if got == "" {
		return false
	}
	want := Sign(params, key, signType)
	return hmac.Equal([]byte(strings.ToUpper(got)), []byte(want))
}
