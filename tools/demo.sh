#!/usr/bin/env bash
# The main job on an embedded default: installs missing native packages, builds, and runs `pathofed demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
dotnet build src/PathoFed.Cli -c Release -nologo -v quiet
exec dotnet src/PathoFed.Cli/bin/Release/net10.0/pathofed.dll demo "$@"
