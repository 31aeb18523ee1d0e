#!/bin/sh
# The Python tools the tests and make run, each in a project-local virtual
# environment pinned by security/<tool>-requirements.txt:
#   checkov     the policy scanner of `make scan`
#   parliament  the IAM policy linter the access-policy test runs
#
#   install TOOL   link .local/TOOL to an environment with the pinned tool
#                  (scripts/cached-venv.sh; idempotent, anew when the pins change)
set -eu

cd "$(dirname "$0")/.."

case "${1:-} ${2:-}" in
"install checkov" | "install parliament")
	tool=$2
	sh scripts/cached-venv.sh ".local/$tool" -r "security/$tool-requirements.txt"
	;;
*)
	echo "usage: $0 install checkov|parliament" >&2
	exit 1
	;;
esac
