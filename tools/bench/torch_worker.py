"""PyTorch reference worker for `unravel-bench models`.

Reads one JSON request per line on stdin and answers one JSON line on stdout, so that the C# side can
interleave its own runs with PyTorch's (A B A B ...) in one session on the same machine.

Request:  {"workload": "resnet18_fwd", "batch": 16, "repeats": 3, "optimized": false}
Answer:   {"workload": ..., "seconds": [t1, t2, t3], "cpu_seconds": [c1, c2, c3], "items_per_run": 16}
          (wall seconds and process CPU seconds of each run)
Errors are answered as {"error": "..."} and the worker keeps going.

Export:   {"export": "resnet18", "dir": "/tmp/x"}
Answer:   {"onnx": "/tmp/x/resnet18.onnx", "weights": "/tmp/x/resnet18.pth", "input": "input", "output": "logits"}
          the model this worker times, as ONNX (torch.onnx.export, opset 14, eval mode, the batch dimension dynamic)
          for ONNX Runtime, and its state_dict (torch.save) for our engine, so that all three engines run the same
          weights. GPT-2's state_dict is written in Hugging Face's layout (attn./mlp. prefixes, Conv1D weights [in, out]).
Peak:     {"peak": true}
Answer:   {"max_rss_kb": N} (this process's resident-set high-water mark, VmHWM of /proc/self/status; not getrusage's
          ru_maxrss, which Linux carries over execve from the parent that started us)

Workloads: resnet18_fwd, resnet50_fwd, vit_b_16_fwd (inference under no_grad), resnet18_fwd_grad, resnet50_fwd_grad (forward and
the gradient of the summed class-0 logit with respect to the input only: parameters do not require gradients, as
our engine computes only what the tape watches), gpt2_fwd (GPT-2 small, plain PyTorch, `batch` sequences of `seq`
tokens, default 128, no_grad). Inputs are made once per (workload, batch) outside the timed region.
With "optimized": true the forward workloads run torch.jit.optimize_for_inference(torch.jit.trace(model, input)):
a frozen graph with batch norms folded, oneDNN prepacked weights and blocked layouts (traced once per batch size,
outside the timed region); the gradient workloads stay eager.

Run with Debian's torch in its best configuration (DESIGN.md §4): the C# side sets OMP_NUM_THREADS, GLIBC_TUNABLES
and LD_LIBRARY_PATH for the OpenMP OpenBLAS before starting this process, and passes the thread count as argv[1].
"""
import json
import math
import os
import resource
import sys
import time

import warnings

import torch
import torchvision

# Tracing GPT-2 warns that math.sqrt of a shape becomes a constant: it is one here (fixed head size).
warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)

torch.manual_seed(0)


class Gpt2Block(torch.nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = torch.nn.LayerNorm(c)
        self.c_attn = torch.nn.Linear(c, 3 * c)
        self.c_proj = torch.nn.Linear(c, c)
        self.ln_2 = torch.nn.LayerNorm(c)
        self.c_fc = torch.nn.Linear(c, 4 * c)
        self.mlp_proj = torch.nn.Linear(4 * c, c)

    def forward(self, x, mask):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q = q.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        k = k.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        v = v.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(torch.nn.functional.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2(torch.nn.Module):
    def __init__(self, vocab=50257, ctx=1024, layers=12, heads=12, c=768):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, c)
        self.wpe = torch.nn.Embedding(ctx, c)
        self.h = torch.nn.ModuleList([Gpt2Block(c, heads) for _ in range(layers)])
        self.ln_f = torch.nn.LayerNorm(c)
        self.register_buffer("mask", ~torch.tril(torch.ones(ctx, ctx, dtype=torch.bool)), persistent=False)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        mask = self.mask[:t, :t]
        for block in self.h:
            x = block(x, mask)
        return self.ln_f(x) @ self.wte.weight.t()


MODELS = {}
INPUTS = {}
OPTIMIZED = {}


def model(name):
    if name not in MODELS:
        m = Gpt2() if name == "gpt2" else getattr(torchvision.models, name)()
        for p in m.parameters():
            p.requires_grad_(False)
        MODELS[name] = m.eval()
    return MODELS[name]


def make_input(workload, batch, seq):
    key = (workload, batch, seq)
    if key not in INPUTS:
        g = torch.Generator().manual_seed(1)
        if workload == "gpt2_fwd":
            INPUTS[key] = torch.randint(0, 50257, (batch, seq), generator=g)
        else:
            INPUTS[key] = torch.randn(batch, 3, 224, 224, generator=g)
    return INPUTS[key]


def optimized(name, x):
    """The traced, frozen and inference-optimized module for this input shape."""
    key = (name, tuple(x.shape))
    if key not in OPTIMIZED:
        with torch.no_grad():
            OPTIMIZED[key] = torch.jit.optimize_for_inference(torch.jit.trace(model(name), x))
    return OPTIMIZED[key]


def run(workload, batch, seq, optimize=False):
    x = make_input(workload, batch, seq)
    if workload == "gpt2_fwd":
        m = optimized("gpt2", x) if optimize else model("gpt2")
        t0, c0 = time.perf_counter(), time.process_time()
        with torch.no_grad():
            m(x)
        return time.perf_counter() - t0, time.process_time() - c0, batch * seq
    # The model name may contain underscores (vit_b_16): the mode is the suffix.
    mode = "fwd_grad" if workload.endswith("_fwd_grad") else "fwd" if workload.endswith("_fwd") else None
    if mode is None:
        raise ValueError(f"unknown workload {workload}")
    name = workload[: -len(mode) - 1]
    m = optimized(name, x) if optimize and mode == "fwd" else model(name)
    t0, c0 = time.perf_counter(), time.process_time()
    if mode == "fwd":
        with torch.no_grad():
            m(x)
    else:
        xg = x.detach().requires_grad_(True)
        m(xg)[:, 0].sum().backward()
    return time.perf_counter() - t0, time.process_time() - c0, batch


def hf_gpt2_state_dict(m):
    """The worker's GPT-2 weights under Hugging Face's keys and layout (what our engine's GPT-2 loader reads)."""
    renames = {"c_attn": "attn.c_attn", "c_proj": "attn.c_proj", "c_fc": "mlp.c_fc", "mlp_proj": "mlp.c_proj"}
    out = {}
    for key, value in m.state_dict().items():
        parts = key.split(".")
        if parts[0] == "h" and parts[2] in renames:
            key = ".".join(parts[:2] + [renames[parts[2]]] + parts[3:])
            if parts[-1] == "weight":
                value = value.t()  # torch.nn.Linear [out, in] -> Conv1D [in, out]
        out[key] = value.contiguous()
    return out


def export(name, directory):
    """Writes the model this worker times as ONNX and its state_dict; see the module docstring."""
    m = model(name)
    os.makedirs(directory, exist_ok=True)
    onnx_path = os.path.join(directory, name + ".onnx")
    weights_path = os.path.join(directory, name + ".pth")
    gpt2 = name == "gpt2"
    x = make_input("gpt2_fwd" if gpt2 else name + "_fwd", 1, 128)
    input_name, output_name = ("tokens" if gpt2 else "input"), "logits"
    with torch.no_grad():
        torch.onnx.export(m, x, onnx_path, input_names=[input_name], output_names=[output_name],
                          dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}}, opset_version=14)
    torch.save(hf_gpt2_state_dict(m) if gpt2 else m.state_dict(), weights_path)
    return {"onnx": onnx_path, "weights": weights_path, "input": input_name, "output": output_name}


def peak_rss_kb():
    """VmHWM of this process; see the module docstring."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if "export" in req:
                print(json.dumps(export(req["export"], req["dir"])), flush=True)
                continue
            if "peak" in req:
                print(json.dumps({"max_rss_kb": peak_rss_kb()}), flush=True)
                continue
            times, cpu = [], []
            items = 0
            for _ in range(int(req.get("repeats", 1))):
                seconds, cpu_seconds, items = run(req["workload"], int(req["batch"]), int(req.get("seq", 128)),
                                                  bool(req.get("optimized", False)))
                times.append(seconds)
                cpu.append(cpu_seconds)
            print(json.dumps({"workload": req["workload"], "seconds": times, "cpu_seconds": cpu, "items_per_run": items}), flush=True)
        except Exception as e:  # answer and keep serving; the C# side reports it
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    main()
