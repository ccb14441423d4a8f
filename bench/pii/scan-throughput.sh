#!/usr/bin/env bash
# Scanner throughput (MB/s on a 100 KB prompt): compiles the plugin's
# pure-Swift scanner files with the benchmark driver at -O and runs it.
# Usage: bench/pii/scan-throughput.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
plugin="$root/Plugins/pii-guard"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# Top-level code must be in a file named main.swift.
cp "$root/bench/pii/ScanThroughput.swift" "$out/main.swift"
swiftc -O -wmo \
  "$plugin/PIICategory.swift" "$plugin/ByteClass.swift" "$plugin/Checksums.swift" \
  "$plugin"/PIIScanner*.swift "$plugin/PlaceholderTable.swift" "$plugin/TextRewrite.swift" "$plugin/PlaceholderRestorer.swift" \
  "$plugin/OutputScanner.swift" "$out/main.swift" -o "$out/scan-throughput"
"$out/scan-throughput"
