package escpos_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func decodeGB(t *testing.T, b []byte) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	require.NoError(t, err)
	return string(out)
}
