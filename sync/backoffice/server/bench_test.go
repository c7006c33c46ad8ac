package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"cashier/sync/backoffice/protocol"
)

// BenchmarkPush10k pushes 10,000 records from one terminal in batches of 1,000
// through the real handler on loopback and reports records/s per engine (issue 14
// asks for at least 5,000).
func BenchmarkPush10k(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			var st Store
			var err error
			if engine == "sqlite" {
				st, err = OpenSQLite(ctx, filepath.Join(b.TempDir(), "bo.db"), sealKey)
			} else {
				st, err = OpenPostgres(ctx, pgDatabase(b), sealKey)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			srv := httptest.NewServer(New(st, Options{}))
			defer srv.Close()
			now := time.Now()
			code, _ := st.NewEnrolCode(ctx, "S1", now, now.Add(time.Hour))
			en, err := st.Enrol(ctx, code, "bench", now)
			if err != nil {
				b.Fatal(err)
			}
			secret, _ := base64Decode(en.Secret)
			c := protocol.Credentials{Terminal: en.Terminal, Secret: secret}
			const total, batch = 10000, 1000
			b.ResetTimer()
			start := time.Now()
			for n := 0; n < b.N; n++ {
				for from := 0; from < total; from += batch {
					body, _ := json.Marshal(protocol.Batch{Records: recs(c, n*total+from, n*total+from+batch, 1)})
					req, _ := http.NewRequest("POST", srv.URL+"/v1/push", bytes.NewReader(body))
					_ = protocol.Sign(req, body, c, time.Now())
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatal(fmt.Sprintf("%d %s", resp.StatusCode, out))
					}
				}
			}
			b.ReportMetric(float64(total*b.N)/time.Since(start).Seconds(), "records/s")
		})
	}
}

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
