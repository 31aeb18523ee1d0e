#!/bin/sh
# On a machine whose AWS provider comes from a local mirror (no public
# registry), terraform and the cdktf CLI need a CLI configuration that names
# the mirror. Write one where terraform looks for it, but only if none is
# there: an existing configuration is the user's own and is left untouched
# (make's own recipes then use terraform/mirror.tfrc through TF_CLI_CONFIG_FILE).
set -eu

mirror=/opt/tf-plugins/registry.terraform.io
target=${USER_TF_CLI_CONFIG_FILE:-${HOME}/.terraformrc}

[ -d "$mirror" ] || exit 0
[ -e "$target" ] && exit 0
mkdir -p "$(dirname "$target")"
cp "$(dirname "$0")/../terraform/mirror.tfrc" "$target"
echo "Wrote $target: terraform and cdktf now take the AWS provider from /opt/tf-plugins."
