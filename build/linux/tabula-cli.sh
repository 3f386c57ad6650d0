#!/bin/sh
# The `tabula` command line of the Linux package (installed as bin/tabula).
# It runs the bundled CLI with this package's own Electron acting as plain
# Node (ELECTRON_RUN_AS_NODE), as VS Code's bin/code does: no separate Node
# is needed, and node-pty's Node-API addon loads the same way it does in the
# app. docs/packaging.md explains the layout.
set -eu
bin_dir=$(dirname "$(readlink -f "$0")")
app_dir=$(dirname "$bin_dir")
ELECTRON_RUN_AS_NODE=1 exec "$app_dir/tabula" "$app_dir/resources/app.asar/out/main/cli.js" "$@"
