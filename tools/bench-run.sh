#!/usr/bin/env bash
# Batch scoring benchmark: 'pathofed run' on N copies of a 12,000 px synthetic slide (listed under N ids) with the demo's
# federated ABMIL head, printing each stage's busy time against the wall time (stages overlap: tiling of the next slide,
# embedding of this one, scoring and heatmaps of the previous one) and the peak RSS. Arguments: [N=6] [SIDE=12000].
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-6}; side=${2:-12000}
tools/setup.sh
dotnet build src/PathoFed.Cli -c Release -nologo -v quiet >/dev/null
dotnet build tools/PathoFed.Benchmarks -c Release -nologo -v quiet >/dev/null
pathofed() { dotnet src/PathoFed.Cli/bin/Release/net10.0/pathofed.dll "$@"; }
work=bench-out/run
mkdir -p "$work"
model="$work/demo/federation/state/final-model"
[ -d "$model" ] || pathofed demo --out "$work/demo" >/dev/null
slide="bench-out/synthetic-$side.svs"
[ -f "$slide" ] || dotnet tools/PathoFed.Benchmarks/bin/Release/net10.0/PathoFed.Benchmarks.dll generate "$slide" "$side"
{ echo "slide_id,path"; for i in $(seq 1 "$n"); do echo "slide-$i,$(realpath "$slide")"; done; } > "$work/manifest.csv"
rm -rf "$work/out"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" dotnet src/PathoFed.Cli/bin/Release/net10.0/pathofed.dll \
  run --slides "$work/manifest.csv" --model "$model" --out "$work/out" 2>&1 | grep -E "scored,|Stages|wall"
