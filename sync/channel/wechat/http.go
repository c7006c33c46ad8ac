package wechat

import (
	"bytes"
	"net/http"
)

func mustPost(target string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		// target is built from a validated base URL and a constant path.
		panic("wechat: bad request URL: " + err.Error())
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("User-Agent", "poscashier/1")
	return req
}
