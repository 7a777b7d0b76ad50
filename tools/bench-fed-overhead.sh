#!/usr/bin/env bash
# Round overhead of federated training for a 1024-input ABMIL head: the same rounds with sites calling the coordinator
# in process and over gRPC with mutual TLS on loopback, against the sites' local training alone.
# Arguments pass through: [--sites 3] [--bags 16] [--patches 1000] [--rounds 4] [--secure] (secure aggregation, and the
# same federation with and without it over gRPC, 3 interleaved pairs). --bags 5 --patches 1 makes training vanish, so a
# round is nothing but overhead.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
dotnet build tools/PathoFed.Benchmarks.Federation -c Release -nologo -v quiet >/dev/null
dotnet tools/PathoFed.Benchmarks.Federation/bin/Release/net10.0/PathoFed.Benchmarks.Federation.dll overhead "$@"
