package scanner

import (
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders for DecodeFile
	_ "image/jpeg"
	_ "image/png"
	"os"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/datamatrix"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// ErrNoCode means the image holds no barcode or QR code that could be read.
var ErrNoCode = errors.New("图片中没有找到条码或二维码 / no barcode or QR code found in the image")

// ErrNotImage: the file is not a PNG, JPEG, GIF, BMP or WebP image.
var ErrNotImage = errors.New("不是可识别的图片 / not a readable image (PNG, JPEG, GIF, BMP, WebP)")

// ImageResult is a decoded code.
type ImageResult struct {
	Text   string
	Format string // gozxing format name: QR_CODE, EAN_13, CODE_128, ...
}

type namedReader struct {
	name string
	r    func() gozxing.Reader
}

// Readers in the order they are tried: 2D first (payment codes are QR),
// then the 1D symbologies found on goods and receipts.
var readers = []namedReader{
	{"qr", func() gozxing.Reader { return qrcode.NewQRCodeReader() }},
	{"upc/ean", func() gozxing.Reader { return oned.NewMultiFormatUPCEANReader(nil) }},
	{"code128", func() gozxing.Reader { return oned.NewCode128Reader() }},
	{"code39", func() gozxing.Reader { return oned.NewCode39Reader() }},
	{"code93", func() gozxing.Reader { return oned.NewCode93Reader() }},
	{"itf", func() gozxing.Reader { return oned.NewITFReader() }},
	{"codabar", func() gozxing.Reader { return oned.NewCodaBarReader() }},
	{"datamatrix", func() gozxing.Reader { return datamatrix.NewDataMatrixReader() }},
}

// DecodeImage finds a QR code or barcode in an image (a file or a camera
// frame).
func DecodeImage(img image.Image) (res ImageResult, err error) {
	if img == nil || img.Bounds().Empty() {
		return ImageResult{}, fmt.Errorf("%w: empty image", ErrNoCode)
	}
	defer func() {
		// gozxing is a port of Java code; never let a bad frame crash the app.
		if r := recover(); r != nil {
			res, err = ImageResult{}, fmt.Errorf("%w: decoder failed: %v", ErrNoCode, r)
		}
	}()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return ImageResult{}, fmt.Errorf("%w: %v", ErrNoCode, err)
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	for _, nr := range readers {
		r, err := nr.r().Decode(bmp, hints)
		if err == nil && r != nil && r.GetText() != "" {
			return ImageResult{Text: r.GetText(), Format: r.GetBarcodeFormat().String()}, nil
		}
	}
	// Pure-black-and-white renders decode better with the global binariser.
	src := gozxing.NewLuminanceSourceFromImage(img)
	if gb, err := gozxing.NewBinaryBitmap(gozxing.NewGlobalHistgramBinarizer(src)); err == nil {
		for _, nr := range readers {
			r, err := nr.r().Decode(gb, hints)
			if err == nil && r != nil && r.GetText() != "" {
				return ImageResult{Text: r.GetText(), Format: r.GetBarcodeFormat().String()}, nil
			}
		}
	}
	return ImageResult{}, ErrNoCode
}

// DecodeFile reads a PNG, JPEG, GIF, BMP or WebP file and decodes it.
func DecodeFile(path string) (ImageResult, error) {
	f, err := os.Open(path)
	if err != nil {
		// *fs.PathError names the file and keeps os.ErrNotExist and
		// os.ErrPermission for errors.Is.
		return ImageResult{}, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return ImageResult{}, fmt.Errorf("%w: %s: %v", ErrNotImage, path, err)
	}
	return DecodeImage(img)
}

// DecodeFrame decodes a camera frame and publishes the code as a scan.
func (h *Hub) DecodeFrame(img image.Image, device string) (ImageResult, error) {
	r, err := DecodeImage(img)
	if err != nil {
		return r, err
	}
	h.Publish(Scan{Code: r.Text, Source: SourceImage, Device: device, Format: r.Format, At: time.Now()})
	return r, nil
}
