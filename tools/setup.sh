#!/usr/bin/env bash
# Installs what PathoFed needs on Debian/Ubuntu when it is missing; quick (no apt calls) when all is there.
# Native: OpenSlide (slide reading), GTK 3 (OpenCvSharp's native library links it), OpenBLAS (dense math),
# Chromium (the viewer's browser test drives it headless; never downloaded by a package manager).
set -euo pipefail

packages=(libopenslide0 libgtk-3-0 libopenblas0-pthread chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://dotnet.microsoft.com/download); dotnet not found on PATH" >&2
  exit 1
fi
