package alipay

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// SignContent is the text signed for a request: every parameter except
// sign with a non-empty value, sorted by key, joined k=v&k=v with the raw
// (not URL-encoded) values.
func SignContent(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k != "sign" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// SignRSA2 signs content with SHA256withRSA and returns base64.
func SignRSA2(key *rsa.PrivateKey, content []byte) (string, error) {
	h := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyRSA2 checks a base64 SHA256withRSA signature over content.
func VerifyRSA2(key *rsa.PublicKey, content []byte, sign string) bool {
	sig, err := base64.StdEncoding.DecodeString(sign)
	if err != nil || len(sig) == 0 {
		return false
	}
	h := sha256.Sum256(content)
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], sig) == nil
}

// ResponseKey is the member of the answer that holds the result of method:
// "alipay.trade.pay" → "alipay_trade_pay_response".
func ResponseKey(method string) string {
	return strings.ReplaceAll(method, ".", "_") + "_response"
}

var errShape = errors.New("not an Alipay answer")

// SplitResponse finds, without re-serialising anything, the raw bytes of
// the "<method>_response" (or "error_response") member and the sign. The
// answer must be one JSON object with no duplicate members and exactly one
// of the two response members.
func SplitResponse(body []byte, method string) (raw []byte, sign string, err error) {
	p, err := splitAnswer(body, method)
	return p.raw, p.sign, err
}

// answerParts are the members of an answer that matter.
type answerParts struct {
	raw    []byte // the response object, as received
	sign   string
	certSN string // alipay_cert_sn, certificate mode
}

func splitAnswer(body []byte, method string) (answerParts, error) {
	var p answerParts
	want := ResponseKey(method)
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return p, errShape
	}
	seen := map[string]bool{}
	found := 0
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return p, errShape
		}
		k, ok := kt.(string)
		if !ok {
			return p, errShape
		}
		if seen[k] {
			return p, fmt.Errorf("duplicate member %q", k)
		}
		seen[k] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return p, errShape
		}
		switch k {
		case want, "error_response":
			found++
			p.raw = v
		case "sign":
			if err := json.Unmarshal(v, &p.sign); err != nil {
				return p, errShape
			}
		case "alipay_cert_sn":
			if err := json.Unmarshal(v, &p.certSN); err != nil {
				return p, errShape
			}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return p, errShape
	}
	if _, err := dec.Token(); err != io.EOF {
		return p, errors.New("trailing data after the answer")
	}
	if found != 1 || len(p.raw) == 0 || p.raw[0] != '{' {
		return p, fmt.Errorf("the answer has no single %s object", want)
	}
	return p, nil
}
