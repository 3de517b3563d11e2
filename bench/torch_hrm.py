"""A plain PyTorch-CPU implementation of one HRM training step, the baseline of bench/model.ts.

Written for this benchmark (not derived from the reference's code): the same work per step as
hrm's Trainer.trainStep at the given shapes, in float32 on the CPU --
  ACT bookkeeping (halted rows restart from H_init/L_init on new data),
  one segment: H_cycles*L_cycles-1 no-grad L updates and H_cycles-1 no-grad H updates,
    then one L and one H update with gradient (HRM's 1-step gradient),
  LM head on the grid positions, Q head on position 0,
  a second no-grad segment for the Q target,
  stablemax cross-entropy + BCE losses, backward, AdamATan2 over the weights and
  SignSGD on the touched puzzle-embedding rows.
Blocks are post-norm: h = rms(h + attn(h)); h = rms(h + swiglu_mlp(h)), RoPE on q and k.

Prints one JSON line: {"ms_per_step": ..., "steps_per_s": ..., "threads": ..., ...}.
Usage: python3 bench/torch_hrm.py --hidden 128 --heads 4 --layers 2 --cycles 2 --batch 32 --threads 2
"""

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F


def find_multiple(a, b):
    return -(a // -b) * b


def rms(x, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Net:
    def __init__(self, a):
        g = torch.Generator().manual_seed(0)
        D, self.NH = a.hidden, a.heads
        self.HD = D // self.NH
        self.F = find_multiple(round(4 * D * 2 / 3), 256)
        self.S, self.V, self.P = 81, 11, 1
        self.T = self.S + self.P
        self.eps = 1e-5

        def w(*shape, std=None):
            std = std if std is not None else 1 / math.sqrt(shape[-1])
            return (torch.randn(*shape, generator=g) * std).requires_grad_()

        self.weights = []
        self.levels = {}
        for lvl in ("H", "L"):
            blocks = []
            for _ in range(a.layers):
                b = dict(qkv=w(3 * D, D), o=w(D, D), gu=w(2 * self.F, D), down=w(D, self.F))
                blocks.append(b)
                self.weights += list(b.values())
            self.levels[lvl] = blocks
        self.embed = w(self.V, D, std=1 / math.sqrt(D))
        self.lm_head = w(self.V, D)
        self.q_w = w(2, D)
        self.q_b = torch.full((2,), -5.0).requires_grad_()
        self.weights += [self.embed, self.lm_head, self.q_w, self.q_b]
        self.puzzle_emb = torch.zeros(1, D)
        self.H_init = torch.randn(D, generator=g)
        self.L_init = torch.randn(D, generator=g)
        inv = 1.0 / (10000 ** (torch.arange(0, self.HD, 2, dtype=torch.float64) / self.HD))
        ang = torch.arange(self.T, dtype=torch.float64)[:, None] * inv[None, :]
        emb = torch.cat((ang, ang), dim=-1)
        self.cos, self.sin = emb.cos().float(), emb.sin().float()
        self.D = D

    def block(self, b, h):
        B, T, D = h.shape
        qkv = (h @ b["qkv"].t()).view(B, T, 3, self.NH, self.HD)
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
        q = q * self.cos[:, None] + rotate_half(q) * self.sin[:, None]
        k = k * self.cos[:, None] + rotate_half(k) * self.sin[:, None]
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        att = torch.softmax((q @ k.transpose(-1, -2)) / math.sqrt(self.HD), dim=-1) @ v
        h = rms(h + att.transpose(1, 2).reshape(B, T, D) @ b["o"].t(), self.eps)
        gate, up = (h @ b["gu"].t()).chunk(2, dim=-1)
        return rms(h + (F.silu(gate) * up) @ b["down"].t(), self.eps)

    def level(self, lvl, z, inj):
        h = z + inj
        for b in self.levels[lvl]:
            h = self.block(b, h)
        return h

    def segment(self, z_H, z_L, x, a, grad):
        with torch.no_grad():
            for hc in range(a.cycles):
                for lc in range(a.cycles):
                    if not (hc == a.cycles - 1 and lc == a.cycles - 1):
                        z_L = self.level("L", z_L, z_H + x)
                if hc != a.cycles - 1:
                    z_H = self.level("H", z_H, z_L)
        with torch.set_grad_enabled(grad):
            z_L = self.level("L", z_L, z_H + x)
            z_H = self.level("H", z_H, z_L)
            logits = z_H[:, self.P:] @ self.lm_head.t()
            q = z_H[:, 0] @ self.q_w.t() + self.q_b
        return z_H.detach(), z_L.detach(), logits, q[:, 0], q[:, 1]

    def embed_inputs(self, inputs, pz):
        tok = F.embedding(inputs, self.embed)
        x = torch.cat((pz[:, None, :].expand(-1, self.P, -1), tok), dim=1)
        return math.sqrt(self.D) * x


def stablemax_ce(logits, labels):
    s = torch.where(logits < 0, 1 / (1 - logits), logits + 1)
    logp = torch.log(s / s.sum(-1, keepdim=True))
    return -torch.gather(logp, -1, labels[..., None]).squeeze(-1)


def adam_atan2_(params, grads, m, v, step, lr=1e-4, b1=0.9, b2=0.95, wd=0.1):
    with torch.no_grad():
        bc1, bc2 = 1 - b1**step, math.sqrt(1 - b2**step)
        for p, g, mi, vi in zip(params, grads, m, v):
            p.mul_(1 - lr * wd)
            mi.mul_(b1).add_(g, alpha=1 - b1)
            vi.mul_(b2).addcmul_(g, g, value=1 - b2)
            p.sub_(lr * torch.atan2(mi / bc1, vi.sqrt() / bc2))


def main():
    ap = argparse.ArgumentParser()
    for k, d in (("hidden", 128), ("heads", 4), ("layers", 2), ("cycles", 2), ("batch", 32),
                 ("threads", 2), ("steps", 5), ("halt_max_steps", 4)):
        ap.add_argument(f"--{k}", type=int, default=d)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = Net(a)
    B, T, D = a.batch, net.T, net.D
    inputs = torch.tensor([1 + (i * 7) % 10 for i in range(B * net.S)]).view(B, net.S)
    labels = inputs.clone()
    z_H = net.H_init.expand(B, T, D).clone()
    z_L = net.L_init.expand(B, T, D).clone()
    steps = torch.zeros(B, dtype=torch.long)
    halted = torch.ones(B, dtype=torch.bool)
    data = inputs.clone()
    m = [torch.zeros_like(p) for p in net.weights]
    v = [torch.zeros_like(p) for p in net.weights]
    gen = torch.Generator().manual_seed(1)

    def step(t):
        nonlocal z_H, z_L, steps, halted, data
        # ACT: halted rows restart on the incoming batch.
        z_H = torch.where(halted[:, None, None], net.H_init, z_H)
        z_L = torch.where(halted[:, None, None], net.L_init, z_L)
        steps = torch.where(halted, torch.zeros_like(steps), steps)
        data = torch.where(halted[:, None], inputs, data)
        pz = net.puzzle_emb[torch.zeros(B, dtype=torch.long)].clone().requires_grad_()
        x = net.embed_inputs(data, pz)
        z_H, z_L, logits, q_halt, q_cont = net.segment(z_H, z_L, x, a, True)
        steps = steps + 1
        is_last = steps >= a.halt_max_steps
        with torch.no_grad():
            explore = (torch.rand(B, generator=gen) < 0.1) * torch.randint(
                2, a.halt_max_steps + 1, (B,), generator=gen)
            halted = is_last | ((q_halt > q_cont) & (steps >= explore))
            _, _, _, nq_h, nq_c = net.segment(z_H, z_L, x, a, False)
            target = torch.sigmoid(torch.where(is_last, nq_h, torch.maximum(nq_h, nq_c)))
        ce = stablemax_ce(logits.double(), labels).float()
        lm = ce.mean(-1)
        seq_ok = (logits.argmax(-1) == labels).all(-1).float()
        loss = (lm.sum() + 0.5 * (F.binary_cross_entropy_with_logits(q_halt, seq_ok, reduction="sum")
                                  + F.binary_cross_entropy_with_logits(q_cont, target,
                                                                       reduction="sum"))) / B
        grads = torch.autograd.grad(loss, net.weights + [pz])
        adam_atan2_(net.weights, grads[:-1], m, v, t)
        with torch.no_grad():
            net.puzzle_emb[0] -= 1e-4 * grads[-1].sum(0).sign()

    step(1)
    t0 = time.perf_counter()
    for t in range(a.steps):
        step(t + 2)
    ms = (time.perf_counter() - t0) / a.steps * 1000
    print(json.dumps({
        "ms_per_step": ms,
        "steps_per_s": 1000 / ms,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "blas": "openblas" if "openblas" in torch.__config__.show().lower() else "other",
        "shape": vars(a),
    }))


if __name__ == "__main__":
    main()
