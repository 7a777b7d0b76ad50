#!/usr/bin/env bash
# Tiling benchmark: patch read+decode throughput on a 40,000 px slide, and peak memory tiling a 100,000 px slide.
# Each step is its own process, so each peak RSS is that step's alone. Slides are generated once into bench-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
dotnet build tools/PathoFed.Benchmarks -c Release -nologo -v quiet >/dev/null
bench() { dotnet tools/PathoFed.Benchmarks/bin/Release/net10.0/PathoFed.Benchmarks.dll "$@"; }
mkdir -p bench-out
for side in 40000 100000; do
  slide="bench-out/synthetic-$side.svs"
  [ -f "$slide" ] || bench generate "$slide" "$side"
  rm -rf "bench-out/tiles-$side"
  bench tile "$slide" "bench-out/tiles-$side"
done
bench read bench-out/synthetic-40000.svs bench-out/tiles-40000 "${MAX_PATCHES:-6000}"
