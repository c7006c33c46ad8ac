#!/bin/sh
# version.sh [REPO] — prints the package versions as shell assignments (eval
# them), from
# FyneApp.toml (the release number, x.y.z) and git (which commit):
#   APPVER=0.1.0                      FyneApp.toml's Version
#   BUILD=361                         commits up to HEAD: grows with every commit,
#                                     so a later build always upgrades an earlier one
#   VERSION=0.1.0+git361.g430de1e     the binary's `pos version`, the .deb and the
#                                     installer; plain 0.1.0 on a clean checkout of
#                                     the tag v0.1.0; ".dirty" when files differ from HEAD
#   WINVER=0.1.0.361                  Windows' four-number file and product version
# Outside a git checkout BUILD is 1 and VERSION is APPVER.
set -eu
repo=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
toml="$repo/FyneApp.toml"
appver=$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$toml" | head -n 1)
case "$appver" in
'' | *[!0-9.]* | .* | *. | *..*)
	echo "version.sh: $toml needs Version = \"x.y.z\" (digits and dots), found \"$appver\"" >&2
	exit 1
	;;
esac
# Pad to three numbers, as fyne package does.
case "$appver" in
*.*.*) ;;
*.*) appver="$appver.0" ;;
*) appver="$appver.0.0" ;;
esac

build=1
version=$appver
if git -C "$repo" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	build=$(git -C "$repo" rev-list --count HEAD)
	describe=$(git -C "$repo" describe --tags --always --dirty)
	if [ "$describe" != "v$appver" ]; then
		sha=$(git -C "$repo" rev-parse --short HEAD)
		version="$appver+git$build.g$sha"
		case "$describe" in *-dirty) version="$version.dirty" ;; esac
	fi
fi
echo "APPVER='$appver'"
echo "BUILD='$build'"
echo "VERSION='$version'"
echo "WINVER='$appver.$build'"
