package products

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app/catalog"
	"cashier/ui/i18n"
)

// Thousands writes n with a comma between thousands: 1,000,000. Both
// languages group digits this way on a till.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// StateName names a product's active flag.
func StateName(active bool) string {
	if active {
		return i18n.T("productsview.state.active")
	}
	return i18n.T("productsview.state.inactive")
}

func stockText(s *int64) string {
	if s == nil {
		return ""
	}
	return strconv.FormatInt(*s, 10)
}

// Problems puts an error into words, one line a problem: the catalogue
// joins every problem of a product (Validate) into one error, and a person
// fixing a form or a file wants them one by one.
func Problems(err error) []string {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, Problems(e)...)
		}
		return out
	}
	return []string{i18n.Err(err)}
}

// BadRowText is one bad row of an import as the report lists it.
func BadRowText(b catalog.BadRow) string {
	why := strings.Join(Problems(b.Err), i18n.T("list.sep"))
	if strings.TrimSpace(b.Name) == "" {
		return i18n.T("productsview.import.bad_row_noname", "Line", b.Line, "Why", why)
	}
	return i18n.T("productsview.import.bad_row", "Line", b.Line, "Name", b.Name, "Why", why)
}

// lineHeights measures a label of one line and each line more, so a list
// of wrapped texts can size its rows without measuring every text.
func lineHeights() (first, more float32) {
	one := widget.NewLabel("国")
	two := widget.NewLabel("国\n国")
	first = one.MinSize().Height
	return first, two.MinSize().Height - first
}

// wrappedLines estimates how many lines text wraps to in width: a Chinese
// character is about the text size wide, ASCII about six tenths of it.
// It errs on the side of a line too many (a row a little tall), never of
// one too few (a reason cut off).
func wrappedLines(text string, width float32) int {
	size := theme.Size(theme.SizeNameText)
	if width <= size {
		return utf8.RuneCountInString(text)
	}
	var w float32
	lines := 1
	for _, r := range text {
		cw := size
		if r < 0x80 {
			cw = size * 0.55
		}
		if w+cw > width {
			lines++
			w = 0
		}
		w += cw
	}
	return lines
}
