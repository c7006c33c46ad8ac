package wechat

import (
	"fmt"
	"io"
	"log/slog"
	"os"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

func fmtAll(v any) string { return fmt.Sprintf("%v %+v %#v %s", v, v, v, v) }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
