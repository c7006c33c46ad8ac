#!/bin/sh
# depends.sh BINARY — the Debian packages an amd64 ELF binary links, worked
# out from the binary itself rather than kept by hand:
#   DEPENDS='libgl1, libx11-6, libc6 (>= 2.34)'   for the control file
#   LIBS='libGL.so.1=libgl1 libX11.so.6=libx11-6'  for the launcher's check
# (shell assignments: eval them)
# Each NEEDED library (objdump -p) is found with ldconfig and its package
# with dpkg-query; libc6 gets the newest GLIBC_ symbol version the binary
# uses. The libc6 libraries are left out of LIBS: without them no shell
# runs either. Fails, naming the library, when one is not installed here or
# belongs to no package.
set -eu
bin=${1:?usage: depends.sh BINARY}
[ -f "$bin" ] || { echo "depends.sh: $bin: no such file" >&2; exit 1; }
headers=$(objdump -p "$bin" 2>/dev/null) || { echo "depends.sh: $bin is not an ELF binary objdump can read" >&2; exit 1; }
needed=$(printf '%s\n' "$headers" | awk '$1 == "NEEDED" { print $2 }')
[ -n "$needed" ] || { echo "depends.sh: $bin links no shared library (static?)" >&2; exit 1; }
cache=$(PATH="$PATH:/sbin:/usr/sbin" ldconfig -p)

deps=""
libs=""
for so in $needed; do
	path=$(printf '%s\n' "$cache" | awk -v so="$so" '$1 == so && /x86-64/ { print $NF; exit }')
	[ -n "$path" ] || { echo "depends.sh: $so (needed by $bin) is not installed on this machine" >&2; exit 1; }
	pkg=""
	for p in "$path" "$(readlink -f "$path")" "/usr$path"; do
		pkg=$(dpkg-query -S "$p" 2>/dev/null | sed -n '1s/:.*//p') && [ -n "$pkg" ] && break
	done
	[ -n "$pkg" ] || { echo "depends.sh: $so ($path) belongs to no Debian package" >&2; exit 1; }
	case " $deps " in *" $pkg "*) ;; *) deps="$deps $pkg" ;; esac
	[ "$pkg" = libc6 ] || libs="$libs $so=$pkg"
done

glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
out=""
for pkg in $deps; do
	if [ "$pkg" = libc6 ] && [ -n "$glibc" ]; then
		pkg="libc6 (>= $glibc)"
	fi
	out="${out:+$out, }$pkg"
done
echo "DEPENDS='$out'"
echo "LIBS='${libs# }'"
