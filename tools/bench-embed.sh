#!/usr/bin/env bash
# Feature-extraction benchmark: patches/s end to end (slide -> Parquet) against ONNX Runtime alone on preloaded tensors,
# for the embedded H&E extractor, the pretrained ResNet-18 and a random-weight ResNet-50 (the size of CLAM's and most CNN extractors).
# Slides and models are generated once into bench-out/. MAX_PATCHES caps the patches per run (default 2000 / 400).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
dotnet build tools/PathoFed.Benchmarks -c Release -nologo -v quiet >/dev/null
bench() { dotnet tools/PathoFed.Benchmarks/bin/Release/net10.0/PathoFed.Benchmarks.dll "$@"; }
mkdir -p bench-out
slide=bench-out/synthetic-40000.svs
[ -f "$slide" ] || bench generate "$slide" 40000
if [ ! -f bench-out/resnet50-random.onnx ]; then
  bench resnet50 bench-out/resnet50-random.onnx
  cat > bench-out/resnet50-random.json <<'JSON'
{"id": "resnet50-random", "onnx": "resnet50-random.onnx", "sha256": null,
 "input": {"name": "pixels", "size_px": 224, "range": "0-1", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
 "target_mpp": 0.5, "output": {"name": "embedding", "dim": 2048}}
JSON
fi
bench embed "$slide" bench-out/embed pathofed-he-texture-v1 --patches "${MAX_PATCHES:-2000}" --batch 32
bench embed "$slide" bench-out/embed resnet18-imagenet --patches "${MAX_PATCHES_CNN:-400}" --batch 16
bench embed "$slide" bench-out/embed bench-out/resnet50-random.json --patches "${MAX_PATCHES_CNN:-400}" --batch 16
