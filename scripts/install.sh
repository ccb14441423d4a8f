#!/usr/bin/env bash
# Installs Tollgate under PREFIX (default /usr/local).
#
#   scripts/install.sh [--prefix DIR | DIR]
#     builds release and installs
#       PREFIX/bin/tollgate
#       PREFIX/lib/tollgate/libtollgate_*.so          first-party plugins (found by `name:`)
#       PREFIX/include/tollgate_plugin.h               the plugin ABI, for plugins built elsewhere
#       PREFIX/share/pkgconfig/tollgate-plugin.pc      so `pkg-config --cflags tollgate-plugin` finds it
#
#   scripts/install.sh --header-only [--prefix DIR]
#     installs only the header and tollgate-plugin.pc: no build, no
#     dependencies, no root needed for a prefix you can write to (e.g.
#     --prefix "$HOME/.local"). What a C plugin author needs.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${PREFIX:-/usr/local}"
HEADER_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --header-only) HEADER_ONLY=1 ;;
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 64; }; PREFIX="$2"; shift ;;
    --prefix=*) PREFIX="${1#--prefix=}" ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "install.sh: unknown option $1 (try --help)" >&2; exit 64 ;;
    *) PREFIX="$1" ;;
  esac
  shift
done
case "$PREFIX" in /*) ;; *) PREFIX="$(pwd)/$PREFIX" ;; esac

HEADER=tollgate-plugin-kit/Sources/CTollgatePlugin/include/tollgate_plugin.h

install_header() {
  local major minor
  major="$(sed -n 's/^#define TOLLGATE_ABI_MAJOR \([0-9]*\)$/\1/p' "$HEADER")"
  minor="$(sed -n 's/^#define TOLLGATE_ABI_MINOR \([0-9]*\)$/\1/p' "$HEADER")"
  install -d "$PREFIX/include" "$PREFIX/share/pkgconfig"
  install -m 0644 "$HEADER" "$PREFIX/include/tollgate_plugin.h"
  cat > "$PREFIX/share/pkgconfig/tollgate-plugin.pc" <<EOF
prefix=$PREFIX
includedir=\${prefix}/include

Name: tollgate-plugin
Description: The Tollgate plugin ABI (tollgate_plugin.h): plugins in C or any language that exports a C function
Version: $major.$minor
Cflags: -I\${includedir}
EOF
  chmod 0644 "$PREFIX/share/pkgconfig/tollgate-plugin.pc"
}

if [ "$HEADER_ONLY" = 1 ]; then
  install_header
  echo "installed: $PREFIX/include/tollgate_plugin.h, $PREFIX/share/pkgconfig/tollgate-plugin.pc"
  echo "build a plugin against it:  cc -shared -fPIC \$(PKG_CONFIG_PATH=$PREFIX/share/pkgconfig pkg-config --cflags tollgate-plugin) my_plugin.c -o libmy_plugin.so"
  exit 0
fi

scripts/install-deps.sh
swift build -c release 2>&1 | grep -E "error:|Build complete" || true
BIN_DIR="$(swift build -c release --show-bin-path)"
install -d "$PREFIX/bin" "$PREFIX/lib/tollgate"
install -m 0755 "$BIN_DIR/tollgate" "$PREFIX/bin/tollgate"
for plugin in "$BIN_DIR"/libtollgate_*.so; do
  case "$plugin" in *kit_sample*) continue ;; esac
  install -m 0644 "$plugin" "$PREFIX/lib/tollgate/"
done
install_header
echo "installed: $PREFIX/bin/tollgate, $PREFIX/lib/tollgate/, $PREFIX/include/tollgate_plugin.h, $PREFIX/share/pkgconfig/tollgate-plugin.pc"
echo "build a plugin against it:  cc -shared -fPIC \$(pkg-config --cflags tollgate-plugin) my_plugin.c -o libmy_plugin.so"
