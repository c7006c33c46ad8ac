package custdisplay

import (
	"image"

	"github.com/skip2/go-qrcode"
)

// qrModule is how many pixels a module of the code is drawn with: whole
// pixels, scaled up without smoothing on screen, so every edge stays sharp
// for a phone's camera.
const qrModule = 8

// qrImage draws url as a QR code with its quiet zone (four modules of
// white around it, which phones need to find the code); nil when url
// cannot be encoded (too long).
func qrImage(url string) image.Image {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil
	}
	return q.Image(-qrModule)
}
