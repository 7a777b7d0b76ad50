#!/usr/bin/env bash
# Packs PathoFed's GPU benchmark for a CUDA machine that has no .NET and no network (see tools/gpu/README.md):
#   1. a self-contained linux-x64 publish of tools/PathoFed.Benchmarks built with ONNX Runtime's CUDA package
#      (-p:OnnxRuntimeGpu=true), into its own artifacts folder so the CPU build is left alone;
#   2. the Debian libraries it loads that a CUDA image may lack (OpenSlide, and what OpenCvSharp's native library
#      links: GTK and friends), without glibc, libstdc++ and libgcc_s, which the target's newer ones replace;
#   3. the real-H&E bench slide (tools/gpu/make-slide.sh);
# all in one xz-compressed tar, split into parts of at most 55 MiB (each call carries 64 MiB with the working tree) in out/gpu/parts/ (git ignores out/).
# Usage: tools/gpu/pack.sh   (CPU=1 packs the CPU flavour instead, for the rehearsal on a machine without a GPU)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=out/gpu
stage=$out/stage/pathofed
rm -rf "$out/stage" "$out/parts"
mkdir -p "$stage/lib" "$out/parts"

gpu=true; [ "${CPU:-}" = 1 ] && gpu=false
dotnet publish tools/PathoFed.Benchmarks -c Release -r linux-x64 --self-contained -nologo -v quiet \
  -p:OnnxRuntimeGpu=$gpu --artifacts-path "$out/artifacts-$gpu" -o "$stage/bin"

system_libs='/(libc|libm|libdl|libpthread|librt|libresolv|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so'
openslide=$(ldconfig -p | awk '/libopenslide\.so\.0 / {print $NF; exit}')
[ -n "$openslide" ] || { echo "pack: libopenslide.so.0 not installed (tools/setup.sh installs it)" >&2; exit 1; }
for so in "$stage/bin/libOpenCvSharpExtern.so" "$openslide"; do
  ldd "$so" | awk '/=> \// {print $3}'
  echo "$so"
done | grep -v "$stage/bin" | grep -v -E "$system_libs" | sort -u | while read -r lib; do cp -L "$lib" "$stage/lib/"; done

tools/gpu/make-slide.sh "$out/stage/he-40k.tif"
find "$stage" -name '*.pdb' -delete
tar -C "$out/stage" -cf - . | xz -6 -T2 | split -b 55M -d - "$out/parts/pathofed.tar.xz.part-"
du -sh "$stage" "$out/stage/he-40k.tif"
ls -l "$out/parts"
