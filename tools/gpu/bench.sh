#!/usr/bin/env bash
# The GPU measurement (issue 18), run by tools/gpu/device.sh on the GPU machine: PathoFed's extractor on CUDA, ONNX
# Runtime alone and the whole pipeline (slide -> Parquet), ResNet-50 (random weights) and the pretrained ResNet-18,
# float16 and float32, batch 64-256, 1-16 reader threads, pinned buffers on and off. Each step has its own time limit and
# a failed step is reported and skipped, so one problem costs one line, not the run.
#   tools/gpu/bench.sh [full|quick]    quick: a few patches on whatever device there is (the CPU rehearsal)
# Needs PATHOFED_BENCH (the published benchmark), SLIDE (tools/gpu/make-slide.sh) and WORK (a scratch folder).
set -uo pipefail
bench=${PATHOFED_BENCH:?the benchmark executable}
slide=${SLIDE:?the bench slide}
work=${WORK:?a scratch folder}
mkdir -p "$work"
if [ "${1:-full}" = quick ]; then
  device=auto; patches=48; few=24; batches=8,16; batch=8; readers=2; scaling=1; limit=300; alone=0.2
else
  device=cuda; patches=${PATCHES:-16000}; few=${FEW_PATCHES:-4000}; batches=64,128,256; batch=128; readers=16; scaling=1,4,8; limit=150; alone=2
fi

step() {
  echo "== $*"
  local started=$SECONDS
  timeout "$limit" "$bench" "$@"
  local status=$?
  ((status == 0)) || echo "!! step failed with exit code $status after $((SECONDS - started)) s: $*"
  return $status
}

r50=$work/resnet50-random.json
if [ ! -f "$work/resnet50-random.onnx" ]; then
  step resnet50 "$work/resnet50-random.onnx"
  cat > "$r50" <<'JSON'
{"id": "resnet50-random", "onnx": "resnet50-random.onnx", "sha256": null,
 "input": {"name": "pixels", "size_px": 224, "range": "0-1", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
 "target_mpp": 0.5, "output": {"name": "embedding", "dim": 2048}}
JSON
fi
common=(--device "$device" --alone-seconds "$alone")

# The headline first: ResNet-50 in float16 over every batch size with all readers, then how readers scale.
if ! step embed "$slide" "$work" "$r50" "${common[@]}" --precision fp16 --batch "$batches" --readers "$readers" --patches "$patches"; then
  echo "!! retrying the rest without pinned buffers"
  common+=(--no-pinned)
fi
step embed "$slide" "$work" "$r50" "${common[@]}" --precision fp16 --batch "$batch" --readers "$scaling" --patches "$few"
# Pinned buffers off: what page-locked memory buys; NHWC convolutions: what the layout buys.
step embed "$slide" "$work" "$r50" "${common[@]}" --precision fp16 --batch "$batch" --readers "$readers" --patches "$patches" --no-pinned
step embed "$slide" "$work" "$r50" "${common[@]}" --precision fp16 --batch "$batches" --readers "$readers" --patches "$patches" --cuda-option prefer_nhwc=1
# float32 (ONNX Runtime's CUDA provider uses TF32 for convolutions by default, as PyTorch does).
step embed "$slide" "$work" "$r50" "${common[@]}" --precision fp32 --batch "$batches" --readers "$readers" --patches "$patches"
# The pretrained ResNet-18 (resnet18-imagenet), float16 and float32.
step embed "$slide" "$work" resnet18-imagenet "${common[@]}" --precision fp16 --batch "$batches" --readers "$readers" --patches "$patches"
step embed "$slide" "$work" resnet18-imagenet "${common[@]}" --precision fp32 --batch "$batches" --readers "$readers" --patches "$patches"
step embed "$slide" "$work" resnet18-imagenet "${common[@]}" --precision fp16 --batch "$batch" --readers "$scaling" --patches "$few"
echo "== done"
