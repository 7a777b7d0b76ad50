#!/usr/bin/env bash
# Runs every test: installs missing native packages, builds, then runs the test projects one after another
# (they share native libraries and temp space; one at a time keeps a 2-core machine responsive).
# TRX results land in TestResults/ for .ci/run to count.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
rm -rf TestResults
dotnet build PathoFed.sln -c Release -nologo -v quiet
status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory TestResults "$@" || status=$?
done
exit $status
