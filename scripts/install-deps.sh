#!/usr/bin/env bash
# Installs the Debian packages the build needs, if any is missing; with
# --tests also what the tests need (chromium and its driver for the
# dashboard's browser test, openssl for the TLS tests' certificates,
# PostgreSQL for the shared stores' tests: scripts/test.sh starts a
# throwaway cluster of it; tinyproxy and nghttp2-server's nghttpd for the
# libcurl transport's egress-proxy and HTTP/2 tests).
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail
packages=(libyaml-dev libsqlite3-dev libcurl4-openssl-dev pkg-config python3-venv make gcc wrk)
if [ "${1:-}" = "--tests" ]; then packages+=(openssl chromium chromium-driver postgresql tinyproxy nghttp2-server); fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
