# Reads `go test -bench` output and prints each benchmark's median ns/op
# and the ratios docs/PERFORMANCE.md reports, each against a baseline
# measured in the same run.
/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name)
  for (i = 3; i <= NF; i++) {
    if ($(i+1) == "ns/op") { v[name, ++n[name]] = $i }
    if ($(i+1) == "bytes/receipt") { bytes[name] = $i }
    if ($(i+1) == "ms/paid-to-first-byte") { pfb[name, ++np[name]] = $i }
    if ($(i+1) == "x-floor") { xf[name, ++nxf[name]] = $i }
  }
}
function median(arr, key, cnt,   a, i, j, t) {
  for (i = 1; i <= cnt; i++) a[i] = arr[key, i]
  for (i = 2; i <= cnt; i++) { t = a[i]; j = i - 1; while (j >= 1 && a[j] > t) { a[j+1] = a[j]; j-- } a[j+1] = t }
  return (cnt % 2) ? a[(cnt+1)/2] : (a[cnt/2] + a[cnt/2+1]) / 2
}
function ratio(label, num, den) {
  if (md[num] > 0 && md[den] > 0) printf "%-58s %6.2fx  (%s / %s)\n", label, md[num] / md[den], num, den
}
END {
  for (k in n) md[k] = median(v, k, n[k])
  print "== medians (ns/op)"
  for (k in n) printf "%-66s %12.0f  (%d runs)\n", k, md[k], n[k]
  print "== ratios against same-run baselines"
  ratio("barcode lookup, 1M products vs 1K", "BenchmarkBarcodeLookup1M/1M", "BenchmarkBarcodeLookup1M/Baseline1K")
  ratio("sale commit (5 lines + payment) vs single-row durable insert", "BenchmarkDurableCommit/Order5LinesWithPayment", "BenchmarkDurableCommit/SingleRowFloor")
  ratio("sale, 5 lines + 2 tenders, one commit vs floor (max 1.5)", "BenchmarkDurableCommit/Sale5Lines2Tenders/OneTx", "BenchmarkDurableCommit/SingleRowFloor")
  ratio("the same sale, both tenders cash (CommitPaidSale)", "BenchmarkDurableCommit/Sale5Lines2Tenders/OneTxCash", "BenchmarkDurableCommit/SingleRowFloor")
  ratio("the same sale as the app commits it (5 commits)", "BenchmarkDurableCommit/Sale5Lines2Tenders/AppPath", "BenchmarkDurableCommit/SingleRowFloor")
  for (k in nxf) printf "%-58s %6.2fx  (median of %d runs)\n", "sale, one commit vs floor, interleaved (Paired)", median(xf, k, nxf[k]), nxf[k]
  ratio("clock-off (handover + report queued) vs durable commit", "BenchmarkClockOff/Handover1M", "BenchmarkClockOff/DurableCommitFloor")
  co = md["BenchmarkClockOff/Handover1M"]; fl = md["BenchmarkClockOff/DurableCommitFloor"]
  if (co > 0 && fl > 0) printf "%-58s %6.2f ms above the floor (target < 50 ms)\n", "clock-off", (co - fl) / 1e6
  ratio("audit chain verify vs reading the same 50,000 rows", "BenchmarkVerifyAudit/Verify", "BenchmarkVerifyAudit/ScanBaseline")
  split("Shift Day Range24h", sums, " ")
  for (c = 1; c <= 3; c++) {
    ratio("summary (" sums[c] "): 1M-order store vs a one-day store", "BenchmarkSummary1M/" sums[c] "/1M", "BenchmarkSummary1M/" sums[c] "/Baseline1Day")
    if (md["BenchmarkSummary1M/" sums[c] "/1M"] > 0) printf "%-58s %6.2f ms (target < 10 ms)\n", "summary (" sums[c] ") in the 1M-order store", md["BenchmarkSummary1M/" sums[c] "/1M"] / 1e6
  }
  split("DaySummary MonthByDay YearByMonth DayByHour DetailsPage", reps, " ")
  for (c = 1; c <= 5; c++) {
    ratio("report (" reps[c] "): 1M orders in the month vs one day", "BenchmarkReports1M/" reps[c] "/1M", "BenchmarkReports1M/" reps[c] "/Baseline1Day")
    if (md["BenchmarkReports1M/" reps[c] "/1M"] > 0) printf "%-58s %6.2f ms (target < 100 ms)\n", "report (" reps[c] ") over 1M orders", md["BenchmarkReports1M/" reps[c] "/1M"] / 1e6
  }
  ratio("100,000 details to XLSX vs reading them", "BenchmarkExport100k/ExportXLSX100k", "BenchmarkExport100k/ExportReadOnly100k")
  if (md["BenchmarkExport100k/ExportXLSX100k"] > 0) printf "%-58s %6.2f s (target < 5 s)\n", "100,000 details to XLSX", md["BenchmarkExport100k/ExportXLSX100k"] / 1e9
  ratio("reconcile 100k bill (parse + match) vs reading the day", "BenchmarkReconcile100k/ParseAndDay", "BenchmarkReconcile100k/ReadLocal")
  if (md["BenchmarkReconcile100k/ParseAndDay"] > 0) printf "%-58s %6.2f s (target < 1 s)\n", "reconcile a 100,000-line bill", md["BenchmarkReconcile100k/ParseAndDay"] / 1e9
  split("wechat alipay cloudpay", chs, " ")
  for (c = 1; c <= 3; c++) {
    ch = chs[c]
    ratio("payment (" ch "): state machine vs bare pay call", "BenchmarkPayHappyPath/" ch "/state-machine", "BenchmarkPayHappyPath/" ch "/roundtrip-pay")
    sm = md["BenchmarkPayHappyPath/" ch "/state-machine"]; rp = md["BenchmarkPayHappyPath/" ch "/roundtrip-pay"]
    if (sm > 0 && rp > 0) printf "%-58s %6.2f ms above the round trip (target < 10 ms)\n", "payment (" ch ")", (sm - rp) / 1e6
  }
  for (k in bytes) printf "%-58s %6d bytes (target <= 2048), %.3f ms to build (target < 1 ms)\n", "80 mm sale receipt", bytes[k], md[k] / 1e6
  for (k in np) printf "%-58s %6.2f ms (target < 50 ms)\n", "paid -> first receipt byte", median(pfb, k, np[k])
}
