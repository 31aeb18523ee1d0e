#!/bin/sh
# A Python virtual environment kept in the user's cache, keyed by what is
# installed into it, and linked from the project:
#
#   cached-venv.sh LINK PIP_ARGS...
#
# e.g. cached-venv.sh .local/venv 'moto[server]==5.2.5', or
# cached-venv.sh .local/checkov -r security/checkov-requirements.txt.
# The key is Python's version, the pip arguments and the content of every
# requirements file they name, so a clean clone (CI's, or a second
# checkout) links the environment an earlier one built instead of
# installing the same pinned packages again (about 50 CPU-seconds for
# moto, Checkov and parliament); a change of pin builds a new one. Two
# installs of one environment at once wait for each other (flock).
set -eu

link=$1
shift
python=python3

key=$( {
	"$python" --version 2>&1
	printf '%s\n' "$@"
	previous=
	for arg in "$@"; do
		if [ "$previous" = "-r" ]; then cat "$arg"; fi
		previous=$arg
	done
} | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/aurora-stages/venvs
venv=$cache/$(basename "$link")-$key

if [ "$(readlink "$link" 2>/dev/null)" = "$venv" ] && [ -f "$venv/.complete" ]; then
	exit 0
fi
mkdir -p "$cache" "$(dirname "$link")"
(
	flock 9
	if [ ! -f "$venv/.complete" ]; then
		echo "installing into $venv: $*"
		rm -rf "$venv"
		"$python" -m venv "$venv"
		"$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
		touch "$venv/.complete"
	fi
) 9>"$venv.lock"
rm -rf "$link"
ln -s "$venv" "$link"
