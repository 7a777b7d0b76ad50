#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root of the working tree the device tool copies there.
#   tools/gpu/device.sh receive      keep the parts carried in this call (out/gpu/parts/*) in /tmp, which outlives
#                                    the call while the machine stays warm; checks the GPU and runs the PyTorch reference
#                                    on the first call
#   tools/gpu/device.sh run [QUICK]  reassemble and unpack the parts, check that CUDA 13 and cuDNN 9 resolve from the
#                                    PyTorch environment, run tools/gpu/bench.sh; logs into $OUT
# Rehearsal without a GPU: OUT=/tmp/out tools/gpu/device.sh run (the CPU-flavour parts from CPU=1 tools/gpu/pack.sh).
set -uo pipefail
keep=${PATHOFED_GPU_STASH:-/tmp/pathofed-gpu}
OUT=${OUT:-/tmp/pathofed-gpu-out}
mkdir -p "$keep/parts" "$OUT"
shopt -s nullglob
for part in out/gpu/parts/pathofed.tar.xz.part-*; do cp "$part" "$keep/parts/"; done
echo "device: parts kept: $(cd "$keep/parts" && ls | tr '\n' ' ')"

if [ "${1:-}" = receive ]; then
  if [ ! -f "$keep/checked" ]; then
    touch "$keep/checked"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$OUT/gpu.txt"
    nproc; free -g | head -2; python3 --version; command -v xz zstd || true
    if command -v python3 >/dev/null && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
      timeout 240 python3 tools/gpu/torch_reference.py "${TORCH_SECONDS:-1.5}" 2>&1 | tee "$OUT/torch.txt"
    fi
  fi
  exit 0
fi

# Unpack once: the parts in name order are one xz-compressed tar (Python's lzma: no xz binary needed there).
if [ ! -d "$keep/pathofed" ]; then
  cat "$keep"/parts/pathofed.tar.xz.part-* | python3 -c '
import lzma, sys, tarfile
with tarfile.open(fileobj=lzma.open(sys.stdin.buffer), mode="r|") as t: t.extractall(sys.argv[1], filter="tar")
' "$keep" || { echo "device: unpacking failed" >&2; exit 1; }
fi
chmod +x "$keep/pathofed/bin/PathoFed.Benchmarks"

# CUDA 13 and cuDNN 9 from the PyTorch environment's nvidia-* wheels, then the Debian libraries packed with PathoFed.
nvidia_dirs=$(python3 -c 'import nvidia, torch, os; print(*nvidia.__path__, os.path.join(os.path.dirname(torch.__file__), "lib"), sep="\n")' 2>/dev/null \
  | xargs -r -I{} find {} -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')
export LD_LIBRARY_PATH="${nvidia_dirs}$keep/pathofed/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcufft.so.12 libcudnn.so.9; do
  found=$(IFS=:; for d in $LD_LIBRARY_PATH; do [ -e "$d/$lib" ] && { echo "$d/$lib"; break; }; done)
  echo "device: $lib -> ${found:-NOT FOUND}"
done | tee "$OUT/libraries.txt"
provider="$keep/pathofed/bin/libonnxruntime_providers_cuda.so"
[ -f "$provider" ] && { echo "device: unresolved for the CUDA provider:"; ldd "$provider" | grep 'not found' || echo "  none"; } | tee -a "$OUT/libraries.txt"
echo "device: unresolved for OpenCvSharp and OpenSlide:"; ldd "$keep/pathofed/bin/libOpenCvSharpExtern.so" "$keep/pathofed/lib/libopenslide.so.0" | grep 'not found' || echo "  none"

PATHOFED_BENCH="$keep/pathofed/bin/PathoFed.Benchmarks" SLIDE="$keep/he-40k.tif" WORK="$keep/work" \
  tools/gpu/bench.sh "${2:-full}" 2>&1 | tee "$OUT/bench.txt"
