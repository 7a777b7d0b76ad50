#!/usr/bin/env bash
# Refreshes the browser libraries bundled with 'pathofed view' from the versions pinned in
# src/PathoFed.Heatmaps/Viewer/package-lock.json. The copies under wwwroot/lib are committed: builds, CI and the
# viewer itself never touch the network. Run after changing the pinned version, then commit wwwroot/lib.
set -euo pipefail

viewer="$(cd "$(dirname "$0")/../src/PathoFed.Heatmaps/Viewer" && pwd)"
target="$viewer/wwwroot/lib/openseadragon"

cd "$viewer"
npm ci --ignore-scripts --no-audit --no-fund
source="$viewer/node_modules/openseadragon"

rm -rf "$target"
mkdir -p "$target/images"
cp "$source/build/openseadragon/openseadragon.min.js" "$target/"
cp "$source/LICENSE.txt" "$target/LICENSE.txt"
# Only the navigation buttons the page shows (zoom in/out, home, full page) in their four states.
for button in zoomin zoomout home fullpage; do
  for state in rest grouphover hover pressed; do
    cp "$source/build/openseadragon/images/${button}_${state}.png" "$target/images/"
  done
done
echo "openseadragon $(node -p "require('$source/package.json').version") copied to $target" >&2
