package channel

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Nonce returns 32 random hexadecimal characters (WeChat nonce_str, Cloud
// Pay nonce_str).
func Nonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms.
		panic("channel: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// Beijing is China Standard Time (UTC+8, no daylight saving). Channel
// timestamps and bill dates are written in it. A fixed zone avoids
// depending on the tz database being installed on the cashier PC.
var Beijing = time.FixedZone("CST", 8*3600)
