"""PyTorch reference for tools/gpu/device.sh: torchvision ResNet-50 and ResNet-18 (random weights, fc removed, so
2048 and 512 pooled features like PathoFed's extractors), channels_last, torch.inference_mode, cudnn.benchmark,
warm-up excluded. Two figures per setting: inputs already on the GPU, and inputs copied each batch from pinned host
memory (what ONNX Runtime 'alone' pays too). Prints one line per setting."""
import sys
import time

import torch
import torchvision


def bench(name, dtype, batch, seconds, from_host):
    model = getattr(torchvision.models, name)(weights=None)
    model.fc = torch.nn.Identity()
    model = model.eval().cuda().to(memory_format=torch.channels_last)
    torch_dtype = torch.float16 if dtype == "fp16" else torch.float32
    model = model.to(torch_dtype)
    host = torch.randn(batch, 3, 224, 224, dtype=torch_dtype).pin_memory()
    device = host.cuda().contiguous(memory_format=torch.channels_last)
    torch.cuda.reset_peak_memory_stats()
    with torch.inference_mode():
        def step():
            x = host.cuda(non_blocking=True).contiguous(memory_format=torch.channels_last) if from_host else device
            return model(x).float().cpu() if from_host else model(x)
        for _ in range(10):
            step()
        torch.cuda.synchronize()
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            step()
            runs += 1
        torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
    where = "from pinned host memory" if from_host else "on the GPU"
    print(f"torch {name} {dtype} batch {batch} {where}: {runs * batch / elapsed:.0f} patches/s, "
          f"peak allocated {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB", flush=True)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name(0)}, TF32 for convolutions {torch.backends.cudnn.allow_tf32}", flush=True)
    for name in ("resnet50", "resnet18"):
        for dtype in ("fp16", "fp32"):
            for batch in (64, 128, 256):
                for from_host in (False, True):
                    bench(name, dtype, batch, seconds, from_host)


if __name__ == "__main__":
    main()
