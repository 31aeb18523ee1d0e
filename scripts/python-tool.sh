#!/bin/sh
# The Python tools the tests and make run, each in a project-local virtual
# environment pinned by security/<tool>-requirements.txt:
#   checkov     the policy scanner of `make scan`
#   parliament  the IAM policy linter the access-policy test runs
#
#   install TOOL   create .local/TOOL (idempotent; reinstalls when the pins change)
set -eu

cd "$(dirname "$0")/.."

case "${1:-} ${2:-}" in
"install checkov" | "install parliament")
	tool=$2
	venv=.local/$tool
	pins=security/$tool-requirements.txt
	installed=$venv/installed-requirements.txt
	if [ -x "$venv/bin/$tool" ] && cmp -s "$pins" "$installed"; then
		exit 0
	fi
	echo "installing $tool into $venv"
	rm -rf "$venv"
	mkdir -p .local
	python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$pins"
	cp "$pins" "$installed"
	;;
*)
	echo "usage: $0 install checkov|parliament" >&2
	exit 1
	;;
esac
