#!/usr/bin/env bash
# MUSK1 benchmark: ABMIL (gated attention), CHOWDER and mean pooling under Ilse et al. 2018's protocol (5 x 10-fold CV),
# against the published accuracies. Data: tools/data/musk1 (UCI Musk v1, CC BY 4.0).
# Arguments pass through: [clean1.data] [repeats] [folds] [heads] [--tune].
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
dotnet build tools/PathoFed.Benchmarks.Musk -c Release -nologo -v quiet >/dev/null
dotnet tools/PathoFed.Benchmarks.Musk/bin/Release/net10.0/PathoFed.Benchmarks.Musk.dll "$@"
