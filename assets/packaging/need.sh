#!/bin/sh
# need.sh COMMAND=PACKAGE ... — installs the Debian package of each command
# that is missing: with apt-get as root, through sudo otherwise, or it
# prints the apt-get line to run and fails. The package index is refreshed
# only when an install fails, so an up-to-date machine never waits for it.
set -eu
missing=""
for pair in "$@"; do
	cmd=${pair%%=*}
	pkg=${pair#*=}
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "please run: sudo apt-get install -y$missing" >&2
	exit 1
fi
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing ||
	{ $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; }
