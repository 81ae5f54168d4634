"""PyTorch reference worker for `unravel bench models`.

Reads one JSON request per line on stdin and answers one JSON line on stdout, so that the C# side can
interleave its own runs with PyTorch's (A B A B ...) in one session on the same machine.

Request:  {"workload": "resnet18_fwd", "batch": 16, "repeats": 3}
Answer:   {"workload": ..., "seconds": [t1, t2, t3], "items_per_run": 16}

Workloads: resnet18_fwd, resnet50_fwd, resnet18_fwd_grad, resnet50_fwd_grad (input gradient),
gpt2_fwd (GPT-2 small, plain PyTorch, `batch` sequences of 128 tokens).

Run with Debian's torch in its best configuration (DESIGN.md §4): the C# side sets OMP/threads,
GLIBC_TUNABLES and LD_LIBRARY_PATH for the OpenMP OpenBLAS before starting this process.
"""
import json
import math
import sys
import time

import torch
import torchvision

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

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q = q.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        k = k.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        v = v.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads)
        mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
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

    def forward(self, idx):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()


MODELS = {}


def model(name):
    if name not in MODELS:
        if name == "gpt2":
            MODELS[name] = Gpt2().eval()
        else:
            MODELS[name] = getattr(torchvision.models, name)().eval()
    return MODELS[name]


def run(workload, batch):
    if workload == "gpt2_fwd":
        idx = torch.randint(0, 50257, (batch, 128))
        with torch.no_grad():
            model("gpt2")(idx)
        return batch * 128
    name, _, mode = workload.partition("_")
    m = model(name)
    x = torch.randn(batch, 3, 224, 224)
    if mode == "fwd":
        with torch.no_grad():
            m(x)
    else:
        x.requires_grad_(True)
        m(x)[:, 0].sum().backward()
    return batch


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        times = []
        items = 0
        for _ in range(int(req.get("repeats", 1))):
            t0 = time.perf_counter()
            items = run(req["workload"], int(req["batch"]))
            times.append(time.perf_counter() - t0)
        print(json.dumps({"workload": req["workload"], "seconds": times, "items_per_run": items}), flush=True)


if __name__ == "__main__":
    main()
