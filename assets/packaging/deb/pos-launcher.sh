#!/bin/sh
# /usr/bin/pos: starts the real program, /usr/lib/pos/pos, after checking
# that the system libraries it links are installed. Without this check a
# minimal Linux without libGL shows only the dynamic loader's "error while
# loading shared libraries: libGL.so.1" — for every command, not just the
# window, because the program links libGL.
#
# LIBS is filled in by assets/packaging/package.sh from the binary
# (depends.sh): "soname=Debian package" pairs. The check is skipped when
# ldconfig cannot list the cache; the loader then speaks for itself.
LIBS="@LIBS@"
set -f
tab=$(printf '\t')

self=$(readlink -f "$0" 2>/dev/null) || self=$0
real="${self%/*}/../lib/pos/pos"

cache=$(PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null) || cache=""
if [ -n "$cache" ]; then
	missing=""
	packages=""
	for pair in $LIBS; do
		so=${pair%%=*}
		# ldconfig -p lines: <tab>libGL.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libGL.so.1
		case "$cache" in *"$tab$so (libc6,x86-64)"*) continue ;; esac
		found=""
		oldifs=$IFS
		IFS=:
		for dir in ${LD_LIBRARY_PATH:-}; do
			[ -n "$dir" ] && [ -e "$dir/$so" ] && found=1
		done
		IFS=$oldifs
		[ -n "$found" ] && continue
		missing="$missing $so"
		packages="$packages ${pair#*=}"
	done
	if [ -n "$missing" ]; then
		{
			echo "智能收银台无法启动，找不到所需的系统库：${missing# }"
			echo "请安装后再试：sudo apt-get install$packages"
			echo "POS cannot start, required system libraries not found: ${missing# }"
			echo "Install them, then try again: sudo apt-get install$packages"
			case "$missing" in *libGL.so*)
				echo "（libGL 是 OpenGL 库：窗口要用它，程序也链接了它，所以命令行功能同样需要。）"
				echo "(libGL is the OpenGL library: the window draws with it and the program links it, so the command-line tools need it too.)"
				;;
			esac
		} >&2
		exit 1
	fi
fi
exec "$real" "$@"
