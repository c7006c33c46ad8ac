package reports

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/ui/i18n"
)

// TestScreenshots draws the workspace with sample figures at the
// workspace's part of a 1024×768 and a 1920×1080 window, in both
// languages, into REPORTS_SCREENSHOTS (skipped without it):
//
//	REPORTS_SCREENSHOTS=/tmp/shots go test -tags migrated_fynedo,sqlite_fts5 -run TestScreenshots ./ui/reports/
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("REPORTS_SCREENSHOTS")
	if dir == "" {
		t.Skip("REPORTS_SCREENSHOTS is not set")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, lang := range []string{i18n.Chinese, i18n.English} {
		for _, size := range []fyne.Size{{Width: 840, Height: 680}, {Width: 1700, Height: 1000}} {
			fr := sampleReports()
			fr.addOrders(60)
			x := newFx(t, fr, manager)
			require.NoError(t, i18n.Use(lang))
			x.v.check() // rebuilt in the language
			x.v.scoped = false
			x.v.check()
			x.w.Resize(size)
			shots := map[string]func(){
				"summary-day": func() { x.v.Show(0) },
				"summary-month": func() {
					x.v.Show(0)
					x.v.Summary.Mode.Choose(ByMonth)
				},
				"details": func() { x.v.Show(1); x.v.Details.Grid.Step(2) },
				"order": func() {
					x.v.Show(1)
					x.v.Details.Grid.Select(widget.TableCellID{Row: 2})
					x.v.Details.Grid.open()
				},
				"bills": func() { x.v.Show(2) },
			}
			for _, name := range []string{"summary-day", "summary-month", "details", "order", "bills"} {
				shots[name]()
				img := x.w.Canvas().Capture()
				require.Greater(t, img.Bounds().Dx(), 100)
				f, err := os.Create(filepath.Join(dir, lang+"-"+name+"-"+itoa(int(size.Width))+".png"))
				require.NoError(t, err)
				require.NoError(t, png.Encode(f, img))
				require.NoError(t, f.Close())
			}
			require.NoError(t, i18n.Use(i18n.Chinese))
		}
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
