#!/bin/sh
# Checkov, the policy scanner of `make scan`, in a project-local virtual
# environment pinned by security/checkov-requirements.txt.
#
#   install   create .local/checkov (idempotent; reinstalls when the pins change)
set -eu

cd "$(dirname "$0")/.."
venv=.local/checkov
pins=security/checkov-requirements.txt
installed=$venv/installed-requirements.txt

case "${1:-}" in
install)
	if [ -x "$venv/bin/checkov" ] && cmp -s "$pins" "$installed"; then
		exit 0
	fi
	echo "installing Checkov into $venv"
	rm -rf "$venv"
	mkdir -p .local
	python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$pins"
	cp "$pins" "$installed"
	;;
*)
	echo "usage: $0 install" >&2
	exit 1
	;;
esac
