#!/usr/bin/env python3
"""Export a PathoFed feature-extractor manifest's model to ONNX, check it against PyTorch, print its SHA-256.

A one-off for the machine that holds the weights (the pipeline itself stays .NET and only reads the .onnx):

    python3 tools/export-extractor.py models/uni.json --weights MahmoodLab/UNI --out ~/pathofed-models/

--weights is a local checkpoint file, a local folder (Hugging Face snapshot), or a Hugging Face repository id
(gated repositories need `huggingface-cli login` with an account that was granted access). The export is float32,
opset 17, batch axis dynamic ("N"), with the input and output names, image size and embedding the manifest states.
Normalisation is not in the graph: PathoFed feeds (x/255 - mean)/std as the manifest says.

The ONNX file is then run in ONNX Runtime on a random batch and compared with PyTorch (max absolute difference),
at two batch sizes so that the dynamic axis is exercised. The SHA-256 printed at the end goes into the manifest's
"sha256" (it depends on the torch/onnx versions used, which is why the committed manifests leave it null).
Models over protobuf's 2 GB limit are written with their weights in one external-data file beside the graph.

See tools/MODELS.md for where each model's weights come from and under which licence.
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

# timm's fused attention calls F.scaled_dot_product_attention; the plain matmul-softmax path exports to standard
# ONNX operators on every torch version and computes the same thing. Must be set before timm is imported.
os.environ.setdefault("TIMM_FUSED_ATTN", "0")

PROTOBUF_LIMIT_BYTES = 2_000_000_000
RECIPES: dict[str, Callable] = {}


def recipe(name: str):
    def register(build: Callable) -> Callable:
        RECIPES[name] = build
        return build
    return register


# ---------------------------------------------------------------------------------------------------------------
# Loading weights


def hub_id(weights: str) -> str | None:
    """The Hugging Face repository id when --weights names one rather than a local path."""
    if os.path.exists(weights):
        return None
    for prefix in ("hf-hub:", "hf_hub:"):
        if weights.startswith(prefix):
            return weights[len(prefix):]
    if weights.count("/") == 1 and not weights.startswith((".", "/", "~")):
        return weights
    raise SystemExit(f"--weights {weights!r}: no such file or folder, and not a Hugging Face id (owner/name)")


def checkpoint_file(weights: str) -> Path:
    """A local checkpoint: the file itself, or the weights file inside a downloaded snapshot folder."""
    path = Path(weights).expanduser()
    if path.is_file():
        return path
    for name in ("model.safetensors", "pytorch_model.bin", "pytorch_model.pth"):
        if (path / name).is_file():
            return path / name
    raise SystemExit(f"{path}: no model.safetensors or pytorch_model.bin in this folder; pass the checkpoint file itself")


def load_state_dict(path: Path) -> dict:
    import torch
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file
        return load_file(str(path), device="cpu")
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    for key in ("model", "state_dict"):  # training checkpoints wrap the weights
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    return state


def timm_model(architecture: str, weights: str, **kwargs):
    """A timm model from a Hugging Face repository (its config names the architecture) or a local checkpoint."""
    import timm
    repo = hub_id(weights)
    if repo is not None:
        model = timm.create_model(f"hf-hub:{repo}", pretrained=True, **kwargs)
    else:
        model = timm.create_model(architecture, pretrained=False, **kwargs)
        model.load_state_dict(load_state_dict(checkpoint_file(weights)), strict=True)
    return model


# ---------------------------------------------------------------------------------------------------------------
# Recipes: each returns a torch module mapping the normalised [N, 3, S, S] batch to the manifest's embedding.


def embedder(forward: Callable, *modules):
    import torch

    class Embedder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.parts = torch.nn.ModuleList(modules)

        def forward(self, pixels):
            return forward(pixels)

    return Embedder()


@recipe("clam-resnet50-trunc")
def clam_resnet50_trunc(weights: str, size: int):
    import torch
    # The whole ResNet-50 loads strictly; the embedding stops after layer3 and averages the 1024 x 14 x 14 map,
    # which is what CLAM's timm features_only(out_indices=(3,)) + AdaptiveAvgPool2d(1) computes.
    resnet = timm_model("resnet50", weights)
    trunk = torch.nn.Sequential(resnet.conv1, resnet.bn1, resnet.act1, resnet.maxpool,
                                resnet.layer1, resnet.layer2, resnet.layer3)
    return embedder(lambda x: trunk(x).mean(dim=(2, 3)), trunk)


@recipe("uni")
def uni(weights: str, size: int):
    model = timm_model("vit_large_patch16_224", weights, img_size=size, patch_size=16, init_values=1e-5,
                       num_classes=0, dynamic_img_size=False)
    return embedder(model, model)


@recipe("uni2-h")
def uni2_h(weights: str, size: int):
    import timm
    import torch
    model = timm_model("vit_giant_patch14_224", weights, img_size=size, patch_size=14, depth=24, num_heads=24,
                       init_values=1e-5, embed_dim=1536, mlp_ratio=2.66667 * 2, num_classes=0, no_embed_class=True,
                       mlp_layer=timm.layers.SwiGLUPacked, act_layer=torch.nn.SiLU, reg_tokens=8,
                       dynamic_img_size=False)
    return embedder(model, model)


@recipe("virchow2")
def virchow2(weights: str, size: int):
    import timm
    import torch
    model = timm_model("vit_huge_patch14_224", weights, img_size=size, init_values=1e-5, num_classes=0,
                       reg_tokens=4, mlp_ratio=5.3375, global_pool="", dynamic_img_size=False,
                       mlp_layer=timm.layers.SwiGLUPacked, act_layer=torch.nn.SiLU)
    prefix = 1 + 4  # class token, then 4 register tokens, then the patch tokens

    def forward(x):
        tokens = model(x)  # [N, 1 + 4 + 256, 1280], after the final norm
        return torch.cat([tokens[:, 0], tokens[:, prefix:].mean(dim=1)], dim=-1)

    return embedder(forward, model)


@recipe("h-optimus-0")
def h_optimus_0(weights: str, size: int):
    model = timm_model("vit_giant_patch14_reg4_dinov2", weights, img_size=size, init_values=1e-5, num_classes=0,
                       global_pool="token", dynamic_img_size=False)
    return embedder(model, model)


@recipe("phikon-v2")
def phikon_v2(weights: str, size: int):
    from transformers import AutoModel
    source = hub_id(weights) or str(Path(weights).expanduser() if Path(weights).is_dir() else Path(weights).parent)
    # Eager attention exports to plain MatMul/Softmax; SDPA does not export on every torch version.
    model = AutoModel.from_pretrained(source, attn_implementation="eager")
    return embedder(lambda x: model(pixel_values=x).last_hidden_state[:, 0, :], model)


@recipe("conch-v1")
def conch_v1(weights: str, size: int):
    try:
        from conch.open_clip_custom import create_model_from_pretrained
    except ImportError:
        raise SystemExit("CONCH needs its own package: pip install git+https://github.com/mahmoodlab/CONCH.git")
    repo = hub_id(weights)
    checkpoint = f"hf_hub:{repo}" if repo else str(checkpoint_file(weights))
    model, _ = create_model_from_pretrained("conch_ViT-B-16", checkpoint_path=checkpoint)
    # Before the contrastive projection and without L2 normalisation: CONCH's advice for linear probes and MIL.
    return embedder(lambda x: model.encode_image(x, proj_contrast=False, normalize=False), model)


@recipe("ctranspath")
def ctranspath(weights: str, size: int):
    import torch
    try:
        from ctran import ctranspath as build  # TransPath's ctran.py, found through --code-dir
    except ImportError:
        raise SystemExit("CTransPath needs ctran.py from github.com/Xiyue-Wang/TransPath: pass its folder with --code-dir, "
                         "in an environment with timm-ctp==0.5.4 instead of timm")
    if hub_id(weights) is not None:
        raise SystemExit("CTransPath weights are not on the Hugging Face model hub: pass the local ctranspath.pth")
    model = build()
    model.head = torch.nn.Identity()
    state = load_state_dict(checkpoint_file(weights))
    # attn_mask buffers are recomputed from the window size; some redistributed copies omit them.
    missing, unexpected = model.load_state_dict(state, strict=False)
    bad = [k for k in list(missing) + list(unexpected) if "attn_mask" not in k]
    if bad:
        raise SystemExit(f"{weights}: not a CTransPath checkpoint; mismatched keys {bad[:5]}")
    return embedder(model, model)


# ---------------------------------------------------------------------------------------------------------------
# Export and checks


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export(module, manifest: dict, out_path: Path, opset: int) -> Path | None:
    """Writes the ONNX file (and external data when needed); returns the external-data path or None."""
    import onnx
    import torch
    size, input_name, output_name = manifest["input"]["size_px"], manifest["input"]["name"], manifest["output"]["name"]
    example = torch.randn(2, 3, size, size)
    options = dict(input_names=[input_name], output_names=[output_name], opset_version=opset,
                   dynamic_axes={input_name: {0: "N"}, output_name: {0: "N"}}, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        options["dynamo"] = False  # the TorchScript exporter: dynamic_axes and opset 17 as asked

    with tempfile.TemporaryDirectory(dir=out_path.parent) as scratch:
        # Exported to a scratch folder first: a model over 2 GB comes out as one file per tensor.
        raw = Path(scratch) / "model.onnx"
        with torch.no_grad():
            torch.onnx.export(module, (example,), str(raw), **options)
        model = onnx.load(str(raw), load_external_data=True)
        weight_bytes = sum(len(tensor.raw_data) for tensor in model.graph.initializer)
        data_path = out_path.with_name(out_path.name + ".data") if weight_bytes > PROTOBUF_LIMIT_BYTES * 0.9 else None
        model.producer_name = "pathofed export-extractor.py"
        model.doc_string = f"{manifest['id']}: {manifest['description']}"
        for key, value in (("pathofed.id", manifest["id"]), ("pathofed.target_mpp", str(manifest["target_mpp"]))):
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        if data_path is not None:
            if data_path.exists():
                data_path.unlink()  # save_model appends to an existing data file
            onnx.save_model(model, str(out_path), save_as_external_data=True, all_tensors_to_one_file=True,
                            location=data_path.name, size_threshold=1024)
        else:
            onnx.save_model(model, str(out_path))
    onnx.checker.check_model(str(out_path))  # by path, so that external data is checked too
    return data_path


def verify(module, manifest: dict, out_path: Path, tolerance: float) -> float:
    import numpy as np
    import onnxruntime
    import torch
    size, dim = manifest["input"]["size_px"], manifest["output"]["dim"]
    session = onnxruntime.InferenceSession(str(out_path), providers=["CPUExecutionProvider"])
    (model_input,), (model_output,) = session.get_inputs(), session.get_outputs()
    if model_input.name != manifest["input"]["name"] or model_output.name != manifest["output"]["name"]:
        raise SystemExit(f"{out_path}: graph names {model_input.name!r} -> {model_output.name!r} differ from the manifest's")
    generator = torch.Generator().manual_seed(0)
    worst = 0.0
    for batch in (1, 3):
        x = torch.randn(batch, 3, size, size, generator=generator)  # about the range of normalised pixels
        with torch.no_grad():
            expected = module(x).float().numpy()
        actual = session.run([model_output.name], {model_input.name: x.numpy()})[0]
        if actual.shape != (batch, dim):
            raise SystemExit(f"{out_path}: ONNX Runtime gave shape {actual.shape} for batch {batch}, expected ({batch}, {dim})")
        difference = float(np.max(np.abs(actual - expected)))
        scale = float(np.max(np.abs(expected)))
        print(f"batch {batch}: max |onnx - torch| = {difference:.3g} (max |torch| = {scale:.3g})")
        worst = max(worst, difference / max(scale, 1e-12))
    if worst > tolerance:
        raise SystemExit(f"{out_path}: ONNX and PyTorch differ by {worst:.3g} of the output scale (tolerance {tolerance:g})")
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", type=Path, help="models/<id>.json")
    parser.add_argument("--weights", required=True,
                        help="checkpoint file, snapshot folder, or Hugging Face id (e.g. MahmoodLab/UNI)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for <id>.onnx (default: current folder)")
    parser.add_argument("--code-dir", type=Path, help="folder with model code to import (CTransPath: the TransPath checkout)")
    parser.add_argument("--tolerance", type=float, default=1e-3,
                        help="largest accepted max|onnx - torch| / max|torch| (default 1e-3)")
    parser.add_argument("--write-manifest", action="store_true",
                        help="also write the manifest, with sha256 and ir_version filled in, beside the .onnx")
    args = parser.parse_args()

    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    name = manifest.get("export", {}).get("recipe", manifest["id"])
    if name not in RECIPES:
        raise SystemExit(f"{args.manifest}: no export recipe {name!r}; known: {', '.join(sorted(RECIPES))}")
    if manifest["input"]["layout"] != "NCHW" or manifest["input"]["shape"][1] != 3:
        raise SystemExit(f"{args.manifest}: only NCHW RGB inputs are exported")
    if args.code_dir:
        sys.path.insert(0, str(args.code_dir.expanduser().resolve()))

    import torch
    torch.set_grad_enabled(False)
    module = RECIPES[name](args.weights, manifest["input"]["size_px"]).eval().float()
    args.out.mkdir(parents=True, exist_ok=True)
    out_path = args.out / manifest["onnx"]
    opset = manifest.get("opset") or 17
    print(f"exporting {manifest['id']} ({name}) to {out_path}, opset {opset}")
    data_path = export(module, manifest, out_path, opset)
    worst = verify(module, manifest, out_path, args.tolerance)

    import onnx
    ir_version = onnx.load(str(out_path), load_external_data=False).ir_version
    result = {"sha256": sha256(out_path), "ir_version": ir_version, "opset": opset}
    if data_path is not None:
        result["onnx_data"] = {"file": data_path.name, "sha256": sha256(data_path)}
    print(f"ONNX matches PyTorch (worst relative difference {worst:.3g})")
    print("for the manifest:")
    print(json.dumps(result, indent=2))
    if args.write_manifest:
        filled = dict(manifest, sha256=result["sha256"], ir_version=ir_version, opset=opset)
        if data_path is not None:
            filled["onnx_data"] = dict(manifest.get("onnx_data") or {}, **result["onnx_data"])
        target = args.out / f"{manifest['id']}.json"
        target.write_text(json.dumps(filled, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
