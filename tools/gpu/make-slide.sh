#!/usr/bin/env bash
# The real-H&E bench slide: the shared small_HE.svs (a crop of Aperio CMU-1, 0.499 µm/px) cropped to 2048 x 2816 px
# (whole 256-px tiles) and replicated 20 x 14 with vips to 40,960 x 39,424 px, saved as a tiled JPEG pyramid
# (256-px tiles, Q85) with its 0.499 µm/px. Usage: tools/gpu/make-slide.sh OUT.tif  (needs libvips-tools)
set -euo pipefail
out=$1
[ -s "$out" ] && exit 0
here=$(cd "$(dirname "$0")/../.." && pwd)
source_slide=$here/../shared/data/slides/small_HE.svs
command -v vips >/dev/null || { echo "make-slide: vips not found (apt-get install libvips-tools)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vips crop "$source_slide" "$work/crop.v" 0 0 2048 2816
vips replicate "$work/crop.v" "$work/replicated.v" 20 14
vips tiffsave "$work/replicated.v" "$work/slide.tif" --tile --tile-width 256 --tile-height 256 --pyramid \
  --compression jpeg --Q 85 --xres 2004.008 --yres 2004.008 --resunit cm
mv "$work/slide.tif" "$out"
