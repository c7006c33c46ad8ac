// Package assets embeds what the binary must carry so it works on a bare
// machine: a CJK font (Noto Sans SC, subset to GB2312 + ASCII + common
// symbols, SIL Open Font Licence), the app icon and the zh/en translations.
package assets

import (
	"embed"
	_ "embed"
)

//go:embed fonts/NotoSansSC-Regular-subset.otf
var FontRegular []byte

//go:embed fonts/NotoSansSC-Bold-subset.otf
var FontBold []byte

// Translations holds translations/zh.json and translations/en.json in the
// format fyne's lang.AddTranslationsFS reads.
//
//go:embed translations/*.json
var Translations embed.FS

//go:embed icons/icon.png
var Icon []byte
