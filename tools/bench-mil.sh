#!/usr/bin/env bash
# MIL training benchmark: ABMIL on bags of 10,000 x 1,024 (encoder 256, attention 128); bags/s, patches/s, and the GFLOP/s
# of its GEMMs against OpenBLAS's own sgemm on the same shapes, with 1 BLAS thread and with all cores.
# Arguments pass through: [instances] [dim] [encoder] [attention] [bags] [epochs].
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
dotnet build tools/PathoFed.Benchmarks.Mil -c Release -nologo -v quiet >/dev/null
dotnet tools/PathoFed.Benchmarks.Mil/bin/Release/net10.0/PathoFed.Benchmarks.Mil.dll "$@"
