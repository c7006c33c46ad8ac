#!/bin/sh
# package.sh OUTDIR [all|linux|windows] — the installer artifacts, in OUTDIR:
#   linux:   poscashier_VERSION_amd64.deb   (dpkg-deb, from a staged tree)
#            pos_VERSION_linux_amd64.tar.xz (go tool fyne package -os linux)
#   windows: pos.exe                        (fyne package -os windows, MinGW-w64)
#            poscashier_VERSION_windows_amd64_setup.exe (NSIS, makensis -WX)
#   android: pos_VERSION_android_arm64.apk    (fyne package -os android/arm64;
#            needs the Android NDK in ANDROID_NDK_HOME: not part of "all")
#   and versions.env (what was built) and SHA256SUMS.
# VERSION comes from FyneApp.toml and git (version.sh). Missing tools are
# installed (need.sh). See docs/PACKAGING.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:?usage: package.sh OUTDIR [all|linux|windows|android]}
what=${2:-all}
GO=${GO:-go}
TAGS=${TAGS:-migrated_fynedo,sqlite_fts5}
PACKAGE=poscashier
MAINTAINER=${DEB_MAINTAINER:-POS Cashier packagers <pos@localhost>}
# GLFW opens these with dlopen when present (cursor shapes, monitors, input):
# they are not in the binary's NEEDED list, and it runs without them.
RECOMMENDS="libxcursor1, libxrandr2, libxinerama1, libxi6, libxxf86vm1"
case "$what" in all | linux | windows | android) ;; *) echo "package.sh: say all, linux, windows or android, not \"$what\"" >&2; exit 2 ;; esac
if [ "$what" = android ]; then
	ndk=${ANDROID_NDK_HOME:-}
	if [ -z "$ndk" ] && [ -n "${ANDROID_HOME:-}" ]; then ndk=$ANDROID_HOME/ndk-bundle; fi
	if [ -z "$ndk" ] || [ ! -d "$ndk" ]; then
		echo "package.sh: the APK needs the Android NDK: set ANDROID_NDK_HOME to the folder it is unpacked in, the one holding toolchains/llvm/prebuilt (see docs/PACKAGING.md)" >&2
		exit 1
	fi
	export ANDROID_NDK_HOME="$ndk"
fi

"$here/need.sh" dpkg-deb=dpkg objdump=binutils xz=xz-utils convert=imagemagick file=file \
	desktop-file-validate=desktop-file-utils
case "$what" in all | windows) "$here/need.sh" x86_64-w64-mingw32-gcc=gcc-mingw-w64-x86-64 makensis=nsis ;; esac

mkdir -p "$out"
out=$(cd "$out" && pwd)
eval "$("$here/version.sh" "$repo")"
echo "version $VERSION (Windows $WINVER)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/pos-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM

# fyne package writes beside the sources (FyneApp.toml's build number, a
# generated metadata file, tmp-pkg/, .syso resources), so it works on a copy
# of the working tree: the files git shows (tracked and new, not ignored).
src=$stage/src
mkdir "$src"
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$repo" && git ls-files -z -co --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done; :' sh |
		tar --null -T - -cf -) | tar -xf - -C "$src"
else
	(cd "$repo" && tar --exclude=./dist --exclude=./.git -cf - .) | tar -xf - -C "$src"
fi
fyne=$(cd "$src" && "$GO" tool -n fyne) # the fyne CLI of go.mod's tool line, built for this machine
export GOFLAGS="-ldflags=-X=main.version=$VERSION"

took() { echo "$1: $(($(date +%s) - $2)) s"; }

linux() {
	t=$(date +%s)
	rm -f "$out"/${PACKAGE}_*_amd64.deb "$out"/pos_*_linux_amd64.tar.xz
	(cd "$src" && "$fyne" package -os linux -release -tags "$TAGS" -name pos -exe pos \
		-appVersion "$APPVER" -appBuild "$BUILD")
	tarball="$out/pos_${VERSION}_linux_amd64.tar.xz"
	mv "$src/pos.tar.xz" "$tarball"
	took "linux binary and tar.xz" "$t"

	t=$(date +%s)
	mkdir "$stage/tar"
	tar -xJf "$tarball" -C "$stage/tar"
	bin=$(find "$stage/tar" -path '*/bin/pos' -type f | head -n 1)
	[ -n "$bin" ] || { echo "package.sh: no bin/pos in $tarball" >&2; exit 1; }
	eval "$("$here/depends.sh" "$bin")"

	root=$stage/deb
	install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/pos" \
		"$root/usr/share/applications" "$root/usr/share/icons/hicolor/256x256/apps" \
		"$root/usr/share/doc/$PACKAGE"
	install -m 0755 "$bin" "$root/usr/lib/pos/pos"
	sed "s|@LIBS@|$LIBS|" "$here/deb/pos-launcher.sh" >"$root/usr/bin/pos"
	chmod 0755 "$root/usr/bin/pos"
	desktop-file-validate "$here/deb/cn.poscashier.pos.desktop"
	install -m 0644 "$here/deb/cn.poscashier.pos.desktop" "$root/usr/share/applications/"
	install -m 0644 "$src/assets/icons/icon.png" "$root/usr/share/icons/hicolor/256x256/apps/cn.poscashier.pos.png"
	cat "$here/deb/copyright.head" "$src/assets/fonts/LICENSE-NotoSansCJK.txt" >"$root/usr/share/doc/$PACKAGE/copyright"
	chmod 0644 "$root/usr/share/doc/$PACKAGE/copyright"
	size=$(du -sk --apparent-size "$root/usr" | cut -f1)
	sed -e "s|@PACKAGE@|$PACKAGE|" -e "s|@VERSION@|$VERSION|" -e "s|@MAINTAINER@|$MAINTAINER|" \
		-e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$DEPENDS|" -e "s|@RECOMMENDS@|$RECOMMENDS|" \
		"$here/deb/control.in" >"$root/DEBIAN/control"
	(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
	chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
	# No maintainer scripts: dpkg's triggers refresh the menus and icons,
	# and the package adds no user, group, service or setting of its own.
	dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${PACKAGE}_${VERSION}_amd64.deb" >/dev/null
	took ".deb" "$t"
}

windows() {
	t=$(date +%s)
	rm -f "$out/pos.exe" "$out"/${PACKAGE}_*_windows_amd64_setup.exe
	# -name sets the file description Windows shows (Task Manager); fyne
	# names the file after it, so it is renamed back to pos.exe.
	(cd "$src" && CC=x86_64-w64-mingw32-gcc GOARCH=amd64 "$fyne" package -os windows -release \
		-tags "$TAGS" -name 智能收银台 -exe pos.exe -appVersion "$APPVER" -appBuild "$BUILD")
	mv "$src/智能收银台.exe" "$out/pos.exe"
	took "pos.exe" "$t"

	t=$(date +%s)
	convert "$src/assets/icons/icon.png" -define icon:auto-resize=256,48,32,16 "$stage/pos.ico"
	makensis -WX -INPUTCHARSET UTF8 -V2 \
		-DVERSION="$VERSION" -DWINVER="$WINVER" -DEXE="$out/pos.exe" -DICON="$stage/pos.ico" \
		-DFONTLICENSE="$src/assets/fonts/LICENSE-NotoSansCJK.txt" \
		-DOUTFILE="$out/${PACKAGE}_${VERSION}_windows_amd64_setup.exe" \
		"$here/windows/pos.nsi"
	took "installer" "$t"
}

# Not run where this was written: the NDK cannot be downloaded there.
android() {
	t=$(date +%s)
	rm -f "$out"/pos_*_android_arm64.apk
	# The app id (cn.poscashier.pos) and icon come from FyneApp.toml;
	# BUILD becomes the versionCode, which Android needs to grow.
	(cd "$src" && "$fyne" package -os android/arm64 -tags "$TAGS" -name 智能收银台 \
		-appVersion "$APPVER" -appBuild "$BUILD")
	mv "$src/智能收银台.apk" "$out/pos_${VERSION}_android_arm64.apk"
	took "APK" "$t"
}

case "$what" in
all) linux && windows ;;
*) "$what" ;;
esac

printf "PACKAGE='%s'\nAPPVER='%s'\nBUILD='%s'\nVERSION='%s'\nWINVER='%s'\n" \
	"$PACKAGE" "$APPVER" "$BUILD" "$VERSION" "$WINVER" >"$out/versions.env"
(cd "$out" && ls ${PACKAGE}_*.deb pos_*.tar.xz pos.exe ${PACKAGE}_*_setup.exe pos_*.apk 2>/dev/null |
	xargs -r sha256sum >SHA256SUMS)
(cd "$out" && ls -l --block-size=K SHA256SUMS $(awk '{print $2}' SHA256SUMS))
