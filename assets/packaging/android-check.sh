#!/bin/sh
# android-check.sh — go vet and go build for android/arm64 (CGO_ENABLED=0,
# so no Android NDK) of every package that can work without the NDK, so that
# nothing desktop-only leaks into shared code.
#
# The rule, worked out from `go list` on every run (no hand-kept list):
#   a package needs the NDK when it, or anything it imports, outside the
#   standard library, has cgo files for android/arm64 with cgo on (today:
#   mattn/go-sqlite3, fyne's mobile GL driver and go-locale). Such a
#   package cannot be built here: with cgo off it fails or, worse, links
#   a stub (go-sqlite3 builds without cgo and fails at run time).
#   The standard library is left out of the rule: net and os/user have
#   pure-Go fallbacks used with cgo off.
# Built: every package that passes the rule. Vetted: those whose tests pass
# it too (go vet always reads the test files; a test that opens SQLite
# keeps its package out of the vet run, not out of the build).
#
# Prints the packages checked and those left out, and fails on any error.
set -eu
# ANDROID_CHECK_ROOT: another module to check (the tests use a small one).
cd "${ANDROID_CHECK_ROOT:-$(dirname "$0")/../..}"
GO=${GO:-go}
TAGS=${TAGS:-migrated_fynedo,sqlite_fts5}
export GOOS=android GOARCH=arm64 GOFLAGS=

graph=$(CGO_ENABLED=1 "$GO" list -e -test -tags "$TAGS" -f '{{.ImportPath}}|{{.ForTest}}|{{.Standard}}|{{len .CgoFiles}}|{{join .Deps " "}}|{{len .GoFiles}}' ./...)
cgo=$(CGO_ENABLED=1 "$GO" list -e -test -deps -tags "$TAGS" -f '{{if and (not .Standard) .CgoFiles}}{{.ImportPath}}{{end}}' ./... | sort -u)
[ -n "$graph" ] || { echo "android-check: go list found no packages" >&2; exit 1; }

# sets: "build PKG", "vet PKG", "skip PKG reason"
sets=$(printf '%s\n' "$graph" | awk -F'|' -v cgo="$cgo" '
BEGIN { n = split(cgo, c, "\n"); for (i = 1; i <= n; i++) if (c[i] != "") needs[c[i]] = 1 }
function why(self, cgofiles, deps,   d, m, i, out) {
	if (cgofiles > 0 || (self in needs)) return self
	m = split(deps, d, " ")
	for (i = 1; i <= m; i++) if (d[i] in needs) out = out (out == "" ? "" : ",") d[i]
	return out
}
{
	path = $1; fortest = $2
	if (path ~ /\.test$/) next              # the generated test main
	sub(/ \[.*\]$/, "", path)
	r = why(path, $4, $5)
	if (fortest == "") { order[++k] = path; base[path] = r; gofiles[path] = $6 + $4 }
	else if (r != "") testneed[fortest] = r
}
END {
	for (i = 1; i <= k; i++) {
		p = order[i]
		if (base[p] != "") { print "skip", p, base[p]; continue }
		if (gofiles[p] > 0) print "build", p     # a folder of tests only has nothing to build
		if (p in testneed) print "novet", p, testneed[p]
		else print "vet", p
	}
}')

build=$(printf '%s\n' "$sets" | awk '$1 == "build" { print $2 }')
vet=$(printf '%s\n' "$sets" | awk '$1 == "vet" { print $2 }')
[ -n "$build" ] || { echo "android-check: no package passes the rule" >&2; exit 1; }

printf '%s\n' "$sets" | awk -v cgo="$(echo $cgo)" '
function first(list,   f) { split(list, f, ","); return f[1] (list ~ /,/ ? ", ..." : "") }
$1 == "skip"  { s = s "\n  " $2 "  (needs " first($3) ")"; ns++ }
$1 == "novet" { v = v "\n  " $2 "  (its tests need " first($3) ")"; nv++ }
$1 == "build" { nb++ }
$1 == "vet"   { nv2++ }
END {
	printf "packages with cgo files for android/arm64: %s\n", cgo
	printf "android/arm64 without the NDK: %d packages built, %d vetted\n", nb, nv2
	if (ns) printf "left out, they need the NDK (cgo):%s\n", s
	if (nv) printf "built but not vetted:%s\n", v
}'

# shellcheck disable=SC2086
CGO_ENABLED=0 "$GO" build -tags "$TAGS" -o /dev/null $build
# shellcheck disable=SC2086
CGO_ENABLED=0 "$GO" vet -tags "$TAGS" $vet
echo "android-check: ok"
