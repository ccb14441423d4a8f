#!/usr/bin/env bash
# Builds release and installs Tollgate under PREFIX (default /usr/local):
#   PREFIX/bin/tollgate
#   PREFIX/lib/tollgate/libtollgate_*.so      first-party plugins (found by `name:`)
#   PREFIX/include/tollgate_plugin.h           the plugin ABI, for plugins built elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${1:-${PREFIX:-/usr/local}}"
scripts/install-deps.sh
swift build -c release 2>&1 | grep -E "error:|Build complete" || true
BIN_DIR="$(swift build -c release --show-bin-path)"
install -d "$PREFIX/bin" "$PREFIX/lib/tollgate" "$PREFIX/include"
install -m 0755 "$BIN_DIR/tollgate" "$PREFIX/bin/tollgate"
for plugin in "$BIN_DIR"/libtollgate_*.so; do
  case "$plugin" in *kit_sample*) continue ;; esac
  install -m 0644 "$plugin" "$PREFIX/lib/tollgate/"
done
install -m 0644 Sources/CTollgatePlugin/include/tollgate_plugin.h "$PREFIX/include/tollgate_plugin.h"
echo "installed: $PREFIX/bin/tollgate, $PREFIX/lib/tollgate/, $PREFIX/include/tollgate_plugin.h"
echo "build a plugin against it:  cc -shared -fPIC -I$PREFIX/include my_plugin.c -o libmy_plugin.so"
