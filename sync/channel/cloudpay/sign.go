package cloudpay

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// AuthenCode is upper-case hex HMAC-SHA256(key, content): the
// authentication code over the exact bytes of request_content or
// response_content.
func AuthenCode(key string, content []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(content)
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

// CheckAuthenCode compares in constant time; case-insensitive hex.
func CheckAuthenCode(key string, content []byte, code string) bool {
	if code == "" {
		return false
	}
	return hmac.Equal([]byte(AuthenCode(key, content)), []byte(strings.ToUpper(code)))
}

// SignPSS is RSASSA-PSS-SHA256 with the largest salt (OpenSSL's -2, as
// Cloud Pay's sample), base64.
func SignPSS(key *rsa.PrivateKey, content []byte) (string, error) {
	h := sha256.Sum256(content)
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}
