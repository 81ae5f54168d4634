"""Training throughput of the two shipped-model recipes in PyTorch, for comparison with `unravel train`.

Same architectures as the registry presets "small-resnet-16" (torchvision BasicBlocks, stages 16/32/64, 28x28 gray
input) and "brown-gpt2" (GPT-2, 4 layers, width 128, 4 heads, context 128, tied head), same optimizers (SGD momentum
0.9 + weight decay / AdamW + grad clipping), same batch shapes, random data. Prints items/s after warm-up steps, per
wall second and per CPU second of the process (time.process_time: on a shared host the CPU-time rate is the one to
compare with the CPU-time rate of `unravel train`, read from /proc/PID/stat between two progress lines).

Run:  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/bench/train_throughput.py --threads 1 --steps 20 --brown-batch 8
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class SmallResNet(nn.Module):
    def __init__(self, widths=(16, 32, 64), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers, c = [], widths[0]
        for i, w in enumerate(widths):
            layers.append(BasicBlock(c, w, 1 if i == 0 else 2))
            c = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn, self.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.c_fc, self.mlp_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.heads = heads

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.heads)
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        x = x + self.c_proj((att @ v).transpose(1, 2).reshape(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2(nn.Module):
    def __init__(self, vocab=50257, ctx=128, layers=4, heads=4, d=128):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        self.h = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for b in self.h:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.t()


def bench(name, model, opt, make_batch, loss_fn, items, steps, warmup=3, clip=None):
    model.train()
    for s in range(warmup + steps):
        if s == warmup:
            t0, c0 = time.perf_counter(), time.process_time()
        x, y = make_batch()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(f"{name}: {steps * items / dt:.1f} items/s wall, {steps * items / dc:.1f} items/CPU-s ({steps} steps, {dt:.1f} s wall, {dc:.1f} s CPU)", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--which", default="both")
    ap.add_argument("--brown-batch", type=int, default=4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {a.threads} thread(s)")
    if a.which in ("both", "fashion"):
        m = SmallResNet()
        opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        bench("small-resnet-16, batch 128 (images/s)", m, opt,
              lambda: (torch.rand(128, 1, 28, 28), torch.randint(0, 10, (128,))), F.cross_entropy, 128, a.steps)
    if a.which in ("both", "brown"):
        m = Gpt2()
        decay = [p for p in m.parameters() if p.dim() >= 2]
        rest = [p for p in m.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=3e-3)
        b = a.brown_batch
        bench(f"brown-gpt2, batch {b} x 128 (tokens/s)", m, opt,
              lambda: (torch.randint(0, 50257, (b, 128)), torch.randint(0, 50257, (b, 128))),
              lambda lg, y: F.cross_entropy(lg.reshape(-1, lg.shape[-1]), y.reshape(-1)), b * 128, a.steps, clip=1.0)


if __name__ == "__main__":
    main()
