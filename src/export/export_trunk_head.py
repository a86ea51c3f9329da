#!/usr/bin/env python3
"""Export a PyTorch image classifier as the TorchScript trunk/head pair that gradcam-audit audits.

The trunk maps the input (B, 3, H, W) to the output of the cut module (the Grad-CAM target layer); the head maps that
output to the logits. The model's forward is traced with torch.fx, the cut module kept as one call, and the graph is
split right after that call. Exactly one value computed from the input may cross the cut (the cut's output), else
the cut is refused naming the values that cross it: a head that also needs an earlier activation (the residual
stream flowing past a cut inside a block) cannot be written as head(trunk(x)). A functional ReLU applied to the cut's
output and nothing else (DenseNet's F.relu after `features`) is folded into the trunk: it has no module name to cut at.

Both parts are traced with torch.jit.trace with gradients on and the parameters requiring them (otherwise
nn.MultiheadAttention records PyTorch's fused inference-only attention, which has no backward), saved, loaded back and
checked on a seeded random batch of 2: head(trunk(x)) must equal model(x), and the gradient of the logits with respect
to the trunk's output must equal the original model's (forward hook on the cut module), within 1e-4 of the largest
value.

Usage:
  export_trunk_head.py --model vit_b_16 --weights vit.pt --kwargs '{"num_classes": 10}' --size 224 --output-dir out
  export_trunk_head.py --model mypackage.models:build --cut blocks.10 --size 224 --size-width 320 --output-dir out
Without --cut, the family's preset (see preset()). Prints the "model" block of a gradcam-audit config with absolute
paths (stdout; the progress and the checks go to stderr) and writes it as <name>_config.json next to the two files,
with the bare file names (paths in a config resolve relative to the config file).
Exit codes: 0 exported and checked, 1 the check failed or the cut was refused, 2 bad arguments.
Works with torch 1.13 / torchvision 0.14 (Python 3.11) and newer.
"""
import argparse
import contextlib
import dis
import importlib
import inspect
import json
import os
import sys
import warnings

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
RELUS = (F.relu, torch.relu, torch.relu_)


class UserError(Exception):
    """A problem the user can fix: one line on stderr, exit code 1 (refused, check failed) or 2 (bad arguments)."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UserError(message + " (see --help)", 2)


def first_line(e):
    text = str(e).strip()
    return (text.splitlines()[0] if text else type(e).__name__)[:400]


# ---------------------------------------------------------------------------------------------------------- model


def build_model(spec, kwargs):
    if ":" in spec:
        module_name, attr = spec.split(":", 1)
        try:
            constructor = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as e:
            raise UserError(f"--model: cannot import '{spec}': {first_line(e)}", 2)
    else:
        import torchvision
        constructor = getattr(torchvision.models, spec, None)
        if constructor is None or not callable(constructor) or spec.startswith("_"):
            raise UserError(f"--model: torchvision.models has no model '{spec}' (or give package.module:callable)", 2)
    try:
        model = constructor(**kwargs)
    except (TypeError, ValueError) as e:
        raise UserError(f"--model {spec} with --kwargs {json.dumps(kwargs)}: {first_line(e)}", 2)
    if not isinstance(model, nn.Module):
        raise UserError(f"--model: '{spec}' returned a {type(model).__name__}, not a torch.nn.Module", 2)
    return model


def load_weights(model, path):
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - a missing or unreadable file, a pickle of something else
        raise UserError(f"--weights: cannot read '{path}': {first_line(e)}", 2)
    if isinstance(state, nn.Module):
        raise UserError("--weights: the file holds a whole model; save model.state_dict() instead", 2)
    if not isinstance(state, dict):
        raise UserError(f"--weights: the file holds a {type(state).__name__}, not a state_dict", 2)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} (model {tuple(own[k].shape)})" for k in own
              if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        parts = [f"{len(v)} {what} (first: {', '.join(v[:3])})" for what, v in
                 (("missing", missing), ("unexpected", unexpected), ("of another shape", shapes)) if v]
        raise UserError(f"--weights: the state_dict does not fit {type(model).__name__} (loaded strictly): keys {'; '.join(parts)}", 2)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise UserError(f"--weights: does not fit the model (strict): {' '.join(str(e).split())[:400]}", 2)


def preset(model):
    """The recommended cut of each family: the last tensor that still has the spatial grid, at a block boundary."""
    kind = type(model).__name__
    if kind == "VisionTransformer":
        names = [n for n, _ in model.encoder.layers.named_children()]
        if len(names) < 2:
            raise UserError("a ViT with fewer than 2 encoder blocks has no preset: give --cut", 2)
        # The output of block L-2 = the input of the last block. The last block's output is read by the head through
        # the class token alone, so the patch tokens' gradients are zero there; one block earlier the last block's
        # attention still mixes the patch tokens into the class token.
        return f"encoder.layers.{names[-2]}"
    if kind in ("SwinTransformer", "SwinTransformerV2"):
        # The final LayerNorm's output (B, h, w, C): what the pooling and the linear classifier read, so the gradient
        # is the classifier row spread over the grid and Grad-CAM is the class activation map of the normalised
        # tokens. The last stage's raw output (features.<last>) is the unnormalised residual stream, whose few
        # large-magnitude channels dominate the weighted sum (background-heavy maps, as TorchCAM found for norm1
        # against norm2). Both are block boundaries; --cut features.<last> gives the other.
        return "norm"
    if kind in ("ConvNeXt", "EfficientNet", "MobileNetV2", "MobileNetV3"):
        return f"features.{len(model.features) - 1}"  # the last stage (ConvNeXt: before the pooled LayerNorm2d)
    if kind == "DenseNet":
        return "features"  # torchvision's forward: F.relu(features(x)); the ReLU is folded into the trunk
    if kind == "RegNet":
        return "trunk_output"
    if kind == "ResNet":
        return "layer4"
    raise UserError(f"no preset cut for {kind}: give --cut (a module name as in model.named_modules())", 2)


# ------------------------------------------------------------------------------------------------------ splitting


def _unpacking_iter(self):
    """Proxy.__iter__ for `a, b = proxy`. torch 1.13 finds the UNPACK_SEQUENCE instruction at index f_lasti // 2,
    which Python 3.11's inline caches break (torchvision's ViT: `n, c, h, w = x.shape`); this finds it by offset."""
    frame = inspect.currentframe().f_back
    for inst in dis.get_instructions(frame.f_code):
        if inst.offset == frame.f_lasti:
            if inst.opname == "UNPACK_SEQUENCE":
                return (self[i] for i in range(inst.argval))
            break
    return self.tracer.iter(self)


@contextlib.contextmanager
def unpacking_proxies():
    saved = torch.fx.Proxy.__iter__
    torch.fx.Proxy.__iter__ = _unpacking_iter
    try:
        yield
    finally:
        torch.fx.Proxy.__iter__ = saved


class CutTracer(torch.fx.Tracer):
    """Keeps the cut module as one call (its inside is the trunk's business, not the split's)."""

    def __init__(self, cut):
        super().__init__()
        self.cut = cut
        self.scope = []  # the modules whose forward is being traced, to name the values in a refusal

    def is_leaf_module(self, m, qualname):
        return qualname == self.cut or super().is_leaf_module(m, qualname)

    def call_module(self, m, forward, args, kwargs):
        self.scope.append(self.path_of_module(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.scope.pop()

    def create_node(self, *args, **kwargs):
        node = super().create_node(*args, **kwargs)
        node.meta["scope"] = self.scope[-1] if self.scope else ""
        return node


def describe(node):
    if node.op == "call_module":
        return f"{node.name} (the output of {node.target})"
    if node.op == "placeholder":
        return f"{node.name} (the model's input)"
    target = getattr(node.target, "__name__", str(node.target))
    scope = node.meta.get("scope")
    return f"{node.name} ({target} in {scope or 'the model'})"


def is_relu(node):
    return (node.op == "call_function" and node.target in RELUS) or (node.op == "call_method" and node.target in ("relu", "relu_"))


def split(model, cut):
    """fx GraphModules (trunk, head), the graph node whose value the trunk returns, and the head's graph."""
    modules = dict(model.named_modules())
    if cut not in modules or cut == "":
        depth = cut.count(".")
        near = [n for n in modules if n and n.count(".") == depth][:40]
        raise UserError(f"--cut: no module '{cut}'; modules at that depth: {', '.join(near)}", 2)
    try:
        with unpacking_proxies():
            graph = CutTracer(cut).trace(model)
    except Exception as e:  # noqa: BLE001 - fx reports many kinds of untraceable code
        raise UserError(f"torch.fx cannot trace {type(model).__name__}: {first_line(e)}", 1)
    nodes = list(graph.nodes)
    calls = [n for n in nodes if n.op == "call_module" and n.target == cut]
    if len(calls) != 1:
        raise UserError(f"--cut: '{cut}' runs {len(calls)} times in the forward pass; a cut must run exactly once", 1)
    cut_node = calls[0]
    users = list(cut_node.users)
    if len(users) == 1 and is_relu(users[0]):
        cut_node = users[0]  # a functional ReLU has no module name: it belongs to the target layer
    position = {n: i for i, n in enumerate(nodes)}
    from_input = set()  # values computed from the input (parameters, buffers and constants are not)
    for n in nodes:
        if n.op == "placeholder" or any(a in from_input for a in n.all_input_nodes):
            from_input.add(n)
    after = [n for n in nodes if position[n] > position[cut_node] and n.op != "output"]
    crossing = {}
    for n in after + [nodes[-1]]:
        for a in n.all_input_nodes:
            if position[a] < position[cut_node] and a in from_input:
                crossing.setdefault(a, n)
    if crossing:
        names = "; ".join(f"{describe(a)}, used by {describe(u)}" for a, u in crossing.items())
        raise UserError(f"--cut: '{cut}' is not a block boundary: besides its output, values computed before it reach the "
                        f"logits: {names} (a residual connection or a skip around the cut); cut at a block's output", 1)

    trunk = torch.fx.Graph()
    env = {}
    for n in nodes:
        if position[n] > position[cut_node]:
            break
        env[n] = trunk.node_copy(n, lambda a: env[a])
    trunk.output(env[cut_node])

    head = torch.fx.Graph()
    env = {cut_node: head.placeholder("activations")}

    def arg(a):
        if a not in env:  # a parameter or constant the head needs, defined before the cut
            env[a] = head.node_copy(a, arg)
        return env[a]
    for n in after + [nodes[-1]]:
        env[n] = head.node_copy(n, arg)
    return torch.fx.GraphModule(model, trunk), torch.fx.GraphModule(model, head), cut_node, head


# --------------------------------------------------------------------------------------------------------- layout


def token_layout(model, tokens, size, prefix_given, grid_given):
    """(prefix tokens, [h, w]) of a (B, tokens, D) output."""
    if grid_given:
        h, w = grid_given
        prefix = tokens - h * w if prefix_given is None else prefix_given
        if prefix < 0 or prefix + h * w != tokens:
            raise UserError(f"--token-grid {h} {w}: {tokens} tokens are not {prefix_given} prefix tokens + {h * w} patches", 2)
        return prefix, [h, w]
    patch = getattr(model, "patch_size", None)
    if patch is None and hasattr(model, "patch_embed"):
        patch = getattr(model.patch_embed, "patch_size", None)
    if isinstance(patch, int):
        patch = (patch, patch)
    if patch is not None and len(patch) == 2 and size[0] % patch[0] == 0 and size[1] % patch[1] == 0:
        h, w = size[0] // patch[0], size[1] // patch[1]
        if h * w <= tokens:
            return tokens - h * w, [h, w]
    # The largest grid of the input's aspect ratio, with an integral patch size, that fits in the tokens.
    for prefix in range(0, tokens) if prefix_given is None else [prefix_given]:
        n = tokens - prefix
        for h in range(1, n + 1):
            if n % h == 0 and h * size[1] == (n // h) * size[0] and size[0] % h == 0 and size[1] % (n // h) == 0:
                return prefix, [h, n // h]
    raise UserError(f"cannot infer the patch grid of {tokens} tokens at {size[0]}x{size[1]}: give --token-grid H W", 1)


def layout_of(model, cut, shape, head_graph, size, args):
    """(layout, prefix tokens, grid) of the trunk's output."""
    if args.layout:
        layout = args.layout
    elif len(shape) == 3:
        layout = "tokens"
    elif len(shape) == 4:
        layout = "nchw"
        if "Swin" in type(model).__name__:
            layout = "nhwc"  # torchvision's Swin keeps (B, h, w, C) from the patch embedding to the final norm
        module = dict(model.named_modules())[cut]
        if type(module) is nn.LayerNorm and tuple(module.normalized_shape) == (shape[-1],):
            layout = "nhwc"  # the cut is a LayerNorm over the last dimension
        placeholder = next(n for n in head_graph.nodes if n.op == "placeholder")
        modules = dict(model.named_modules())
        for user in placeholder.users:
            m = modules.get(user.target) if user.op == "call_module" else None
            if type(m) is nn.LayerNorm and tuple(m.normalized_shape) == (shape[-1],):
                layout = "nhwc"  # the next LayerNorm normalises the last dimension: channels last
            if user.op == "call_method" and user.target == "permute" and tuple(user.args[1:]) == (0, 3, 1, 2):
                layout = "nhwc"  # the head moves the last dimension to the channels' place
    else:
        raise UserError(f"the cut's output has shape {tuple(shape)}: expected (B,C,h,w), (B,h,w,C) or (B,tokens,D)", 1)
    expected = {"tokens": 3, "nchw": 4, "nhwc": 4}[layout]
    if len(shape) != expected:
        raise UserError(f"--layout {layout}: the cut's output has shape {tuple(shape)}", 2)
    if layout == "tokens":
        prefix, grid = token_layout(model, shape[1], size, args.prefix_tokens, args.token_grid)
        return layout, prefix, grid
    if args.prefix_tokens is not None or args.token_grid:
        raise UserError("--prefix-tokens and --token-grid apply to layout 'tokens' only", 2)
    return layout, None, None


# ----------------------------------------------------------------------------------------------------------- check


def reference(model, cut, folded_relu, x):
    """Logits and d(sum of logits)/d(cut output) by the ORIGINAL model: forward hook on the cut module, retain_grad.
    With a folded ReLU the hook sees its input, whose gradient is the trunk output's times 1[input > 0]."""
    store = {}

    def hook(_, __, out):
        out.retain_grad()
        store["a"] = out
        return out.clone()  # what follows may work in place (DenseNet's F.relu(..., inplace=True))
    handle = dict(model.named_modules())[cut].register_forward_hook(hook)
    try:
        with torch.enable_grad():
            logits = model(x.clone().requires_grad_(True))  # the parameters are frozen: the input carries the graph
            logits.sum().backward()
    finally:
        handle.remove()
    return logits.detach(), store["a"].detach(), store["a"].grad.detach()


def relative(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


def trunk_head_gradient(trunk, head, x):
    a = trunk(x).detach().requires_grad_(True)
    with torch.enable_grad():
        logits = head(a)
        logits.sum().backward()
    return logits.detach(), a.detach(), a.grad.detach()


# ------------------------------------------------------------------------------------------------------------ main


def parse(argv):
    p = Parser(description="Export a classifier as the TorchScript trunk/head pair gradcam-audit audits "
                           "(model.weights = trunk, model.head = head).")
    p.add_argument("--model", required=True, help="a torchvision.models name, or package.module:callable")
    p.add_argument("--kwargs", default="{}", help="JSON keyword arguments of the constructor, e.g. '{\"num_classes\": 10}'")
    p.add_argument("--weights", help="a state_dict saved with torch.save(model.state_dict()), loaded strictly "
                                     "(default: the weights the constructor gives)")
    cut = p.add_mutually_exclusive_group()
    cut.add_argument("--cut", help="module name (as in named_modules()) whose OUTPUT the trunk ends at")
    cut.add_argument("--preset", action="store_true", help="the family's preset cut (the default without --cut)")
    p.add_argument("--size", type=int, default=224, help="input height (and width without --size-width); default 224")
    p.add_argument("--size-width", type=int, help="input width")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--name", help="file name prefix (default: the model name)")
    p.add_argument("--layout", choices=["nchw", "nhwc", "tokens"], help="the trunk output's layout (default: detected)")
    p.add_argument("--prefix-tokens", type=int, help="tokens layout: class/distillation/register tokens before the patches")
    p.add_argument("--token-grid", type=int, nargs=2, metavar=("H", "W"), help="tokens layout: the patch grid")
    p.add_argument("--tolerance", type=float, default=1e-4, help="relative tolerance of the checks (default 1e-4)")
    args = p.parse_args(argv)
    try:
        args.kwargs = json.loads(args.kwargs)
    except json.JSONDecodeError as e:
        raise UserError(f"--kwargs: not JSON: {e}", 2)
    if not isinstance(args.kwargs, dict):
        raise UserError("--kwargs: expected a JSON object", 2)
    if args.size <= 0 or (args.size_width is not None and args.size_width <= 0):
        raise UserError("--size/--size-width: must be positive", 2)
    if args.name is not None and (not args.name or os.sep in args.name):
        raise UserError("--name: a file name prefix without a path", 2)
    return args


def export(args):
    torch.manual_seed(0)
    model = build_model(args.model, args.kwargs)
    if args.weights:
        load_weights(model, args.weights)
    model.eval()
    for q in model.parameters():
        q.requires_grad_(False)
    cut = args.cut if args.cut else preset(model)
    size = (args.size, args.size_width or args.size)
    trunk_fx, head_fx, cut_node, head_graph = split(model, cut)
    folded_relu = is_relu(cut_node)

    x = torch.randn(2, 3, size[0], size[1], generator=torch.Generator().manual_seed(1234))
    try:
        with torch.no_grad():
            expected = model(x)
    except Exception as e:  # noqa: BLE001 - a ViT at another size, a wrong number of channels
        raise UserError(f"the model does not run on a (2, 3, {size[0]}, {size[1]}) input: {first_line(e)}", 2)
    if expected.dim() != 2:
        raise UserError(f"the model returns {tuple(expected.shape)}, not logits (B, classes)", 1)
    with torch.no_grad():
        split_logits = head_fx(trunk_fx(x))
    split_diff = relative(split_logits, expected)
    if not split_diff <= args.tolerance:
        raise UserError(f"check failed: the split graph's logits differ from the model's by {split_diff:.2e} (relative)", 1)

    # Traced with gradients on and parameters that require them: otherwise nn.MultiheadAttention (and
    # nn.TransformerEncoderLayer) record PyTorch's fused inference path, which has no backward.
    for q in model.parameters():
        q.requires_grad_(True)
    try:
        with torch.enable_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)  # torch._assert on shapes: constant for this size
            trunk = torch.jit.trace(trunk_fx, x, check_trace=False)
            a = trunk(x).detach()
            head = torch.jit.trace(head_fx, a, check_trace=False)
    finally:
        for q in model.parameters():
            q.requires_grad_(False)

    layout, prefix, grid = layout_of(model, cut, tuple(a.shape), head_graph, size, args)

    name = args.name or args.model.replace(":", "_").replace(".", "_")
    out = os.path.abspath(args.output_dir)
    os.makedirs(out, exist_ok=True)
    trunk_path, head_path = os.path.join(out, name + "_trunk.pt"), os.path.join(out, name + "_head.pt")
    trunk.save(trunk_path)
    head.save(head_path)
    try:
        trunk, head = torch.jit.load(trunk_path), torch.jit.load(head_path)
        ref_logits, ref_a, ref_grad = reference(model, cut, folded_relu, x)
        logits, a, grad = trunk_head_gradient(trunk, head, x)
        if folded_relu:
            ref_a, grad = torch.relu(ref_a), grad * (a > 0)
        logit_diff, act_diff, grad_diff = relative(logits, expected), relative(a, ref_a), relative(grad, ref_grad)
        print(f"check (loaded files, relative to the largest value, tolerance {args.tolerance:g}): logits {logit_diff:.2e}, "
              f"activations {act_diff:.2e}, gradients at the cut {grad_diff:.2e}; split graph logits {split_diff:.2e}", file=sys.stderr)
        if not max(logit_diff, act_diff, grad_diff) <= args.tolerance:
            raise UserError(f"check failed: head(trunk(x)) of the saved files differs from model(x) by {logit_diff:.2e}, the "
                            f"activations by {act_diff:.2e}, the gradients at the cut by {grad_diff:.2e} (relative, "
                            f"tolerance {args.tolerance:g})", 1)
    except BaseException:
        for path in (trunk_path, head_path):
            if os.path.exists(path):
                os.remove(path)
        raise
    if float(grad.abs().max()) == 0.0:
        print("warning: the gradient of the logits at the cut is zero everywhere: every Grad-CAM map will be zero "
              "(a classifier initialised to zero, as torchvision's ViT without --weights; or a ViT's last block output: "
              "cut one block earlier)", file=sys.stderr)
    elif layout == "tokens" and float(grad[:, prefix:].abs().max()) == 0.0:
        print("warning: the patch tokens' gradients are zero (the head reads the class token only): every map will be "
              "zero; cut at an earlier block's output", file=sys.stderr)

    def block(trunk_ref, head_ref):
        b = {"architecture": "torchscript", "weights": trunk_ref, "head": head_ref, "numClasses": int(expected.shape[1]),
             "inputSize": [size[0], size[1]], "layout": layout}
        if layout == "tokens":
            b["prefixTokens"], b["tokenGrid"] = prefix, grid
        b["mean"], b["std"] = MEAN, STD
        return b
    config_path = os.path.join(out, name + "_config.json")
    with open(config_path, "w") as f:
        json.dump(block(os.path.basename(trunk_path), os.path.basename(head_path)), f, indent=2)
        f.write("\n")
    print(f"cut: {cut}{' + ' + cut_node.name + ' (functional ReLU)' if folded_relu else ''}; output {tuple(a.shape)}; "
          f"layout {layout}{f', {prefix} prefix tokens, grid {grid[0]}x{grid[1]}' if layout == 'tokens' else ''}", file=sys.stderr)
    print(f"wrote {trunk_path}, {head_path}, {config_path}; paste this as the config's \"model\":", file=sys.stderr)
    print(json.dumps(block(trunk_path, head_path), indent=2))


def main(argv=None):
    try:
        export(parse(argv))
        return 0
    except UserError as e:
        print(f"export_trunk_head: {e}", file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
