#!/usr/bin/env python3
"""DBRX in plain PyTorch (no transformers): the eager peer Rex's GPU benchmark is compared against.

Semantics follow Hugging Face's DbrxForCausalLM: unscaled token embedding; per block LayerNorm (no bias) ->
fused Wqkv -> clamp(+-clip_qkv) -> rotate-half RoPE over the whole head -> causal GQA -> out_proj ->
residual; LayerNorm -> router -> fp32 softmax -> top-k -> weights / p-norm -> GLU experts -> residual;
final LayerNorm -> untied lm_head.

Uses:
  --check-fixture DIR   full forward and greedy decode of a checkpoint against DIR/expected.json
  --verify-decode       every decode mode against a full recompute, on a small random model
  --measure-bandwidth   device-to-device copy bandwidth (alone: measure and exit)
  (default)             decode benchmark on random weights, with an HBM roofline per batch size

Decode modes (--modes):
  eager    sequences batched, attention over the live prefix only, MoE grouped per expert (rows sorted
           by expert, each touched expert runs once on its rows, results index_add_-ed back)
  static   static shapes: attention over the whole cache with a mask, MoE dense-masked (every expert
           on every row, gate 0 where not routed); the form CUDA graphs and torch.compile need
  graph    static, captured once per batch size in a CUDA graph and replayed (--cuda-graph)
  compile  static under torch.compile(mode="reduce-overhead") (--compile)

Runs on torch 1.13 (CPU, where it was validated) and 2.x (CUDA): newer APIs are looked up, not assumed.
"""

import argparse
import glob
import json
import math
import mmap
import os
import platform
import struct
import sys
import time
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dbrx_shape import (DbrxConfig, add_model_args, config_from_args, expected_distinct_experts,  # noqa: E402
                        step_bytes)  # torch-free: all.sh and its report use them too

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
HAS_COMPILE = hasattr(torch, "compile")

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


# ---------------------------------------------------------------------------------------------------------
# safetensors, by hand: u64 little-endian header length, JSON header, raw little-endian data.

_ST_DTYPES = {"F32": torch.float32, "F16": torch.float16, "I64": torch.int64, "I32": torch.int32,
              "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8}


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    tensors = {}
    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
        # ACCESS_COPY: a writable, copy-on-write view, so torch.frombuffer neither copies nor warns.
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    base = 8 + header_len
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        shape = meta["shape"]
        kind = meta["dtype"]
        if end == start:
            tensors[name] = torch.empty(shape, dtype=_ST_DTYPES.get(kind, torch.float32))
            continue
        view = memoryview(data)[base + start:base + end]
        if kind == "BF16":
            t = torch.frombuffer(view, dtype=torch.int16).view(torch.bfloat16)
        elif kind in _ST_DTYPES:
            t = torch.frombuffer(view, dtype=_ST_DTYPES[kind])
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {kind}, which this reader does not handle")
        tensors[name] = t.reshape(shape)
    return tensors


def read_checkpoint_dir(path: str) -> Dict[str, torch.Tensor]:
    files = sorted(glob.glob(os.path.join(path, "*.safetensors")))
    if not files:
        raise FileNotFoundError(f"no *.safetensors in {path}")
    tensors = {}
    for file in files:
        tensors.update(read_safetensors(file))
    return tensors


# ---------------------------------------------------------------------------------------------------------
# The model. Weights are buffers (not parameters): nothing here trains, and torch.compile treats module
# buffers as static addresses, so its CUDA graphs do not copy them per step.

class Block(nn.Module):
    def __init__(self, w: Dict[str, torch.Tensor]):
        super().__init__()
        for name in ("norm_1", "wqkv", "out_proj", "norm_2", "router", "w13", "w2"):
            self.register_buffer(name, w[name], persistent=False)


class Dbrx(nn.Module):
    """w13: [experts, 2*ffn, d], expert e's w1 rows then its v1 rows, so gate and up are one matmul.
    w2: [experts, ffn, d], used untransposed (h @ w2[e]) as in the checkpoint."""

    def __init__(self, cfg: DbrxConfig, outer: Dict[str, torch.Tensor], blocks: List[Dict[str, torch.Tensor]],
                 attn: str = "auto"):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("wte", outer["wte"], persistent=False)
        self.register_buffer("norm_f", outer["norm_f"], persistent=False)
        self.register_buffer("lm_head", outer["lm_head"], persistent=False)
        self.blocks = nn.ModuleList(Block(b) for b in blocks)
        if attn == "auto":
            attn = "sdpa" if HAS_SDPA else "manual"
        if attn == "sdpa" and not HAS_SDPA:
            raise RuntimeError(f"torch {torch.__version__} has no scaled_dot_product_attention")
        self.attn = attn
        # Set by set_cache: k/v [layers, batch, kv_heads, max_len, head_dim], RoPE tables [max_len, head_dim].
        for name in ("k_cache", "v_cache", "rope_cos", "rope_sin", "positions"):
            self.register_buffer(name, None, persistent=False)

    @property
    def device(self):
        return self.wte.device

    @property
    def dtype(self):
        return self.wte.dtype

    # -- construction ------------------------------------------------------------------------------------

    @classmethod
    def random(cls, cfg: DbrxConfig, device, dtype, seed: int = 0, attn: str = "auto") -> "Dbrx":
        """Weights drawn on the device in the compute dtype (no host copy of a 60 GB model): matrices
        N(0, 1/fan_in) so activations keep unit scale through every matmul, norms 1, embedding N(0, 1).
        Router logits then have unit spread, so routing is neither uniform nor collapsed."""
        torch.manual_seed(seed)
        d, f, e = cfg.d_model, cfg.ffn_hidden, cfg.num_experts

        def matrix(shape, fan_in):
            return torch.randn(shape, device=device, dtype=dtype).mul_(fan_in ** -0.5)

        outer = {"wte": torch.randn(cfg.vocab_size, d, device=device, dtype=dtype),
                 "norm_f": torch.ones(d, device=device, dtype=dtype),
                 "lm_head": matrix((cfg.vocab_size, d), d)}
        blocks = [{"norm_1": torch.ones(d, device=device, dtype=dtype),
                   "wqkv": matrix((d + 2 * cfg.kv_dim, d), d),
                   "out_proj": matrix((d, d), d),
                   "norm_2": torch.ones(d, device=device, dtype=dtype),
                   "router": matrix((e, d), d),
                   "w13": matrix((e, 2 * f, d), d),
                   "w2": matrix((e, f, d), f)} for _ in range(cfg.n_layers)]
        return cls(cfg, outer, blocks, attn)

    @classmethod
    def from_checkpoint(cls, path: str, device, dtype, attn: str = "auto") -> "Dbrx":
        with open(os.path.join(path, "config.json")) as fh:
            cfg = DbrxConfig.from_hf(json.load(fh))
        raw = read_checkpoint_dir(path)
        e, f, d = cfg.num_experts, cfg.ffn_hidden, cfg.d_model

        def take(name):
            return raw.pop(name).to(device=device, dtype=dtype)

        outer = {"wte": take("transformer.wte.weight"), "norm_f": take("transformer.norm_f.weight"),
                 "lm_head": take("lm_head.weight")}
        blocks = []
        for i in range(cfg.n_layers):
            p = f"transformer.blocks.{i}."
            w1 = take(p + "ffn.experts.mlp.w1").view(e, f, d)
            v1 = take(p + "ffn.experts.mlp.v1").view(e, f, d)
            blocks.append({"norm_1": take(p + "norm_attn_norm.norm_1.weight"),
                           "wqkv": take(p + "norm_attn_norm.attn.Wqkv.weight"),
                           "out_proj": take(p + "norm_attn_norm.attn.out_proj.weight"),
                           "norm_2": take(p + "norm_attn_norm.norm_2.weight"),
                           "router": take(p + "ffn.router.layer.weight"),
                           "w13": torch.cat([w1, v1], dim=1).contiguous(),
                           "w2": take(p + "ffn.experts.mlp.w2").view(e, f, d).contiguous()})
            del w1, v1
        return cls(cfg, outer, blocks, attn)

    def param_bytes(self) -> int:
        return sum(b.numel() * b.element_size() for name, b in self.named_buffers()
                   if not name.endswith("_cache") and name not in ("rope_cos", "rope_sin", "positions"))

    # -- KV cache and RoPE tables --------------------------------------------------------------------------

    def set_cache(self, batch: int, max_len: int):
        """Preallocates the static cache for `batch` sequences of up to `max_len` tokens (the previous one
        is released first, so two never coexist at the largest batch)."""
        cfg = self.cfg
        self.k_cache = self.v_cache = None
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        shape = (cfg.n_layers, batch, cfg.kv_heads, max_len, cfg.head_dim)
        self.register_buffer("k_cache", torch.zeros(shape, device=self.device, dtype=self.dtype), persistent=False)
        self.register_buffer("v_cache", torch.zeros(shape, device=self.device, dtype=self.dtype), persistent=False)
        hd = cfg.head_dim
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
        freqs = torch.outer(torch.arange(max_len, dtype=torch.float32), inv_freq)
        emb = torch.cat([freqs, freqs], dim=-1)
        # Tables are computed in fp32 and applied in the compute dtype, as transformers does.
        self.register_buffer("rope_cos", emb.cos().to(self.device, self.dtype), persistent=False)
        self.register_buffer("rope_sin", emb.sin().to(self.device, self.dtype), persistent=False)
        self.register_buffer("positions", torch.arange(max_len, device=self.device), persistent=False)

    def drop_cache(self):
        self.k_cache = self.v_cache = None
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    # -- pieces shared by every path --------------------------------------------------------------------------

    def _qkv(self, blk: Block, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor):
        # h: [N, d] normed; cos/sin: [N, head_dim] -> q [N, heads, hd], k and v [N, kv_heads, hd]
        cfg = self.cfg
        n = h.shape[0]
        qkv = F.linear(h, blk.wqkv)
        if cfg.clip_qkv is not None:
            qkv = qkv.clamp(min=-cfg.clip_qkv, max=cfg.clip_qkv)
        q, k, v = qkv.split([cfg.d_model, cfg.kv_dim, cfg.kv_dim], dim=-1)
        q = q.reshape(n, cfg.n_heads, cfg.head_dim)
        k = k.reshape(n, cfg.kv_heads, cfg.head_dim)
        v = v.reshape(n, cfg.kv_heads, cfg.head_dim)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        return _rope(q, cos, sin), _rope(k, cos, sin), v

    def _attend(self, q, k, v, mask=None, causal=False):
        # q: [B, heads', Lq, hd], k/v: [B, heads', Lk, hd]; mask: bool, True = may attend
        if self.attn == "sdpa":
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
        if causal:
            lq, lk = scores.shape[-2], scores.shape[-1]
            upper = torch.ones(lq, lk, dtype=torch.bool, device=q.device).triu(lk - lq + 1)
            scores = scores.masked_fill(upper, float("-inf"))
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)  # fp32 softmax, as transformers' eager path
        return torch.matmul(probs, v)

    def _route(self, blk: Block, h: torch.Tensor):
        # h: [N, d] -> weights [N, top_k] (compute dtype), expert ids [N, top_k]
        cfg = self.cfg
        probs = torch.softmax(F.linear(h, blk.router).float(), dim=-1)
        weights, experts = probs.topk(cfg.top_k, dim=-1)
        if cfg.norm_p is not None:
            weights = weights / weights.norm(p=cfg.norm_p, dim=-1, keepdim=True)
        return weights.to(h.dtype), experts

    def _moe_grouped(self, blk: Block, h: torch.Tensor, stats: Optional["RoutingStats"] = None):
        # h: [N, d] -> [N, d]. Each (row, slot) pair is sorted by expert so every touched expert reads its
        # weights once for all its rows; untouched experts cost nothing (what decode at small batch needs).
        cfg = self.cfg
        f = cfg.ffn_hidden
        weights, experts = self._route(blk, h)
        flat = experts.reshape(-1)
        order = torch.argsort(flat)
        rows = torch.div(order, cfg.top_k, rounding_mode="floor")
        # One host sync per layer: group sizes must be known on the host to slice the groups.
        counts = torch.bincount(flat, minlength=cfg.num_experts).tolist()
        xs = h.index_select(0, rows)
        ys = torch.empty_like(xs)
        start = 0
        for e, n in enumerate(counts):
            if n == 0:
                continue
            gate_up = F.linear(xs[start:start + n], blk.w13[e])
            act = F.silu(gate_up[:, :f]) * gate_up[:, f:]
            ys[start:start + n] = torch.matmul(act, blk.w2[e])
            start += n
        ys.mul_(weights.reshape(-1).index_select(0, order).unsqueeze(1))
        if stats is not None:
            stats.add(sum(1 for n in counts if n))
        return torch.zeros_like(h).index_add_(0, rows, ys)

    def _moe_dense(self, blk: Block, h: torch.Tensor):
        # h: [N, d] -> [N, d]. Static shapes: every expert on every row, then a gate of 0 for experts not
        # routed. Reads all expert weights, which decode at batch >= 16 touches anyway (15.8 of 16 expected);
        # the extra FLOPs stay under the memory time until batch ~256 on an H100.
        cfg = self.cfg
        n, e, f = h.shape[0], cfg.num_experts, cfg.ffn_hidden
        weights, experts = self._route(blk, h)
        gates = torch.zeros(n, e, device=h.device, dtype=h.dtype).scatter_(1, experts, weights)
        gate_up = F.linear(h, blk.w13.view(e * 2 * f, cfg.d_model)).view(n, e, 2, f)
        act = F.silu(gate_up[:, :, 0]) * gate_up[:, :, 1] * gates.unsqueeze(-1)
        return torch.matmul(act.reshape(n, e * f), blk.w2.view(e * f, cfg.d_model))

    def _norm(self, x, w):
        return F.layer_norm(x, (self.cfg.d_model,), w, None, 1e-5)

    # -- phases ----------------------------------------------------------------------------------------------

    def prefill(self, tokens: torch.Tensor, all_logits: bool = False, chunk_tokens: int = 8192,
                moe: str = "grouped") -> torch.Tensor:
        """tokens: [B, T], every sequence starting at position 0. Fills cache positions [0, T).
        Runs in chunks of whole sequences (at most chunk_tokens tokens) so the activations of a
        256 x 128 prefill stay small next to the weights. Returns logits [B, T, V] or [B, V] (last)."""
        b, t = tokens.shape
        per_chunk = max(1, chunk_tokens // t)
        outs = [self._prefill_chunk(tokens[i:i + per_chunk], i, all_logits, moe) for i in range(0, b, per_chunk)]
        return torch.cat(outs, dim=0)

    def _prefill_chunk(self, tokens, row0, all_logits, moe):
        cfg = self.cfg
        b, t = tokens.shape
        g = cfg.n_heads // cfg.kv_heads
        x = F.embedding(tokens, self.wte).reshape(b * t, cfg.d_model)
        cos = self.rope_cos[:t].repeat(b, 1)
        sin = self.rope_sin[:t].repeat(b, 1)
        for layer, blk in enumerate(self.blocks):
            q, k, v = self._qkv(blk, self._norm(x, blk.norm_1), cos, sin)
            q = q.view(b, t, cfg.n_heads, cfg.head_dim).transpose(1, 2)
            k = k.view(b, t, cfg.kv_heads, cfg.head_dim).transpose(1, 2)
            v = v.view(b, t, cfg.kv_heads, cfg.head_dim).transpose(1, 2)
            self.k_cache[layer, row0:row0 + b, :, :t] = k
            self.v_cache[layer, row0:row0 + b, :, :t] = v
            # Prefill is not timed per step; plain repeat_interleave keeps GQA portable to torch 1.13.
            o = self._attend(q, k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1), causal=True)
            x = x + F.linear(o.transpose(1, 2).reshape(b * t, cfg.d_model), blk.out_proj)
            h = self._norm(x, blk.norm_2)
            x = x + (self._moe_grouped(blk, h) if moe == "grouped" else self._moe_dense(blk, h))
        x = x.view(b, t, cfg.d_model)
        if not all_logits:
            x = x[:, -1]
        return F.linear(self._norm(x, self.norm_f), self.lm_head)

    def decode(self, tokens: torch.Tensor, pos: int, stats: Optional["RoutingStats"] = None) -> torch.Tensor:
        """Eager step. tokens: [B], the token at position `pos` of every sequence (all sequences are the
        same length, as in the benchmark). Attends over cache[:pos+1] only. Returns logits [B, V]."""
        cfg = self.cfg
        b = tokens.shape[0]
        g = cfg.n_heads // cfg.kv_heads
        x = F.embedding(tokens, self.wte)
        cos = self.rope_cos[pos:pos + 1].expand(b, -1)
        sin = self.rope_sin[pos:pos + 1].expand(b, -1)
        for layer, blk in enumerate(self.blocks):
            q, k, v = self._qkv(blk, self._norm(x, blk.norm_1), cos, sin)
            self.k_cache[layer, :, :, pos] = k
            self.v_cache[layer, :, :, pos] = v
            # GQA without copying the cache: a kv head's g query heads become g query rows against it.
            o = self._attend(q.view(b, cfg.kv_heads, g, cfg.head_dim),
                             self.k_cache[layer, :, :, :pos + 1], self.v_cache[layer, :, :, :pos + 1])
            x = x + F.linear(o.reshape(b, cfg.d_model), blk.out_proj)
            x = x + self._moe_grouped(blk, self._norm(x, blk.norm_2), stats)
        return F.linear(self._norm(x, self.norm_f), self.lm_head)

    def decode_static(self, tokens: torch.Tensor, pos: torch.Tensor):
        """Static-shape step for CUDA graphs and torch.compile: no host syncs, no data-dependent shapes.
        tokens: [B]; pos: [1] int64 on the device. Returns (next tokens [B], logits [B, V])."""
        cfg = self.cfg
        b = tokens.shape[0]
        g = cfg.n_heads // cfg.kv_heads
        x = F.embedding(tokens, self.wte)
        cos = self.rope_cos.index_select(0, pos).expand(b, -1)
        sin = self.rope_sin.index_select(0, pos).expand(b, -1)
        mask = (self.positions <= pos).view(1, 1, 1, -1)
        for layer, blk in enumerate(self.blocks):
            q, k, v = self._qkv(blk, self._norm(x, blk.norm_1), cos, sin)
            self.k_cache[layer].index_copy_(2, pos, k.unsqueeze(2))
            self.v_cache[layer].index_copy_(2, pos, v.unsqueeze(2))
            o = self._attend(q.view(b, cfg.kv_heads, g, cfg.head_dim), self.k_cache[layer], self.v_cache[layer],
                             mask=mask)
            x = x + F.linear(o.reshape(b, cfg.d_model), blk.out_proj)
            x = x + self._moe_dense(blk, self._norm(x, blk.norm_2))
        logits = F.linear(self._norm(x, self.norm_f), self.lm_head)
        return logits.argmax(dim=-1), logits


def _rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


class RoutingStats:
    """Distinct experts touched per layer per step, counted on the host from the group sizes the grouped
    MoE fetches anyway (so counting costs no extra sync)."""

    def __init__(self):
        self.total = 0
        self.samples = 0
        self.enabled = False

    def add(self, distinct: int):
        if self.enabled:
            self.total += distinct
            self.samples += 1

    def mean(self) -> Optional[float]:
        return self.total / self.samples if self.samples else None


# ---------------------------------------------------------------------------------------------------------
# Decode drivers: each returns a step function (tokens in, next tokens out) that keeps its own state.

class Clock:
    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def now(self) -> float:
        self.sync()
        return time.perf_counter()


def make_stepper(model: Dbrx, mode: str, first: torch.Tensor, start: int, stats: Optional[RoutingStats] = None):
    """Returns (reset, step): reset() puts the decode back at position `start` with token `first`;
    step() decodes one token for the whole batch and returns it ([B], on the device)."""
    device = model.device
    if mode == "eager":
        state = {}

        def reset():
            state["tok"], state["pos"] = first.clone(), start

        def step():
            state["tok"] = model.decode(state["tok"], state["pos"], stats).argmax(dim=-1)
            state["pos"] += 1
            return state["tok"]
        return reset, step

    tok = first.clone()
    pos = torch.tensor([start], device=device, dtype=torch.long)

    def reset_buffers():
        tok.copy_(first)
        pos.fill_(start)

    if mode == "static":
        def step():
            nxt, _ = model.decode_static(tok, pos)
            tok.copy_(nxt)
            pos.add_(1)
            return nxt
        return reset_buffers, step

    if mode == "graph":
        if device.type != "cuda":
            raise RuntimeError("CUDA graphs need --device cuda")
        reset_buffers()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):  # warm-up on a side stream, as capture requires; rewrites cache[start] only
                model.decode_static(tok, pos)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            out_tok, _ = model.decode_static(tok, pos)

        def step():
            graph.replay()
            tok.copy_(out_tok)
            pos.add_(1)
            return out_tok.clone()
        return reset_buffers, step

    if mode == "compile":
        if not HAS_COMPILE:
            raise RuntimeError(f"torch {torch.__version__} has no torch.compile")
        compile_mode = "reduce-overhead" if device.type == "cuda" else "default"
        try:
            import torch._dynamo as dynamo
        except ImportError:
            dynamo = None
        # One compiled graph per batch size (static shapes): allow more than the default handful.
        for limit in ("cache_size_limit", "recompile_limit"):
            if dynamo is not None and hasattr(dynamo.config, limit):
                setattr(dynamo.config, limit, max(64, getattr(dynamo.config, limit)))
        # Weights and the KV cache live at fixed addresses: said explicitly, the CUDA graphs neither copy
        # them in per replay nor refuse the in-place cache writes.
        mark_static = getattr(dynamo, "mark_static_address", None)
        if mark_static is not None:
            for buf in model.buffers():
                if buf is not None:
                    mark_static(buf)
        compiled = torch.compile(model.decode_static, mode=compile_mode, fullgraph=True, dynamic=False)
        mark = getattr(getattr(torch, "compiler", None), "cudagraph_mark_step_begin", None)
        state = {}

        def reset():
            state["tok"] = first.clone()
            state["pos"] = torch.tensor([start], device=device, dtype=torch.long)

        def step():
            if mark is not None:
                mark()
            nxt, _ = compiled(state["tok"], state["pos"])
            # Outputs of a reduce-overhead graph are overwritten by its next replay: keep copies.
            state["tok"] = nxt.clone()
            state["pos"] = state["pos"] + 1
            return state["tok"]
        return reset, step

    raise ValueError(f"unknown mode {mode}")


# ---------------------------------------------------------------------------------------------------------
# Fixture check and decode self-test.

def check_fixture(path: str, device, attn: str) -> bool:
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    model = Dbrx.from_checkpoint(path, device, torch.float32, attn)
    with open(os.path.join(path, "expected.json")) as fh:
        cases = json.load(fh)
    tol = 1e-3
    ok = True
    for n, case in enumerate(cases):
        prompt = case["prompt_ids"]
        greedy = case["greedy_ids"]
        t = len(prompt)
        model.set_cache(1, t + len(greedy))
        logits = model.prefill(torch.tensor([prompt], device=device), all_logits=True)[0].float()
        worst = 0.0
        ids_ok = True
        for pos, exp in enumerate(case["positions"]):
            row = logits[pos]
            exp_ids = torch.tensor(exp["top_ids"], device=device)
            exp_vals = torch.tensor(exp["top_logits"], device=device)
            ours_at_exp = row.index_select(0, exp_ids)
            ours_top = row.topk(len(exp_ids)).values
            worst = max(worst, (ours_at_exp - exp_vals).abs().max().item(), (ours_top - exp_vals).abs().max().item())
            # Ids may swap only where logits tie within tolerance; the logit checks above cover that.
            if row.argmax().item() != exp["top_ids"][0] and abs(row.max().item() - exp_vals[0].item()) > tol:
                ids_ok = False
        results = {}
        for mode in ("eager", "static"):
            reset, step = make_stepper(model, mode, logits[t - 1].argmax().view(1), t)
            reset()
            got = [int(logits[t - 1].argmax())] + [int(step()[0]) for _ in range(len(greedy) - 1)]
            results[mode] = got == greedy
        case_ok = worst <= tol and ids_ok and all(results.values())
        ok &= case_ok
        print(f"case {n}: prompt {t} tokens, max |top logit diff| {worst:.2e} (tol {tol:g}), "
              f"greedy eager {'ok' if results['eager'] else 'MISMATCH'}, "
              f"static {'ok' if results['static'] else 'MISMATCH'} -> {'ok' if case_ok else 'FAIL'}")
    print("PASS" if ok else "FAIL")
    return ok


def verify_decode(args, device, dtype) -> bool:
    """Every requested decode mode against a full recompute: a prefill over prompt + generated tokens must
    pick, at each position, the token the cached decode produced. fp32 must agree everywhere (up to exact
    ties). In bf16 a last-bit difference can flip a near-tied top-k routing and move the logits a lot, so
    there 95% of positions must agree, and the recompute uses the mode's own MoE form (grouped or dense)
    so that only shapes, not formulas, differ."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    cfg = config_from_args(args, layers=int(args.layers) if args.layers != "auto" else 2)
    model = Dbrx.random(cfg, device, dtype, seed=args.seed, attn=args.attn)
    b, t, n = args.verify_batch, args.input_len, args.output_len
    torch.manual_seed(args.seed + 1)
    prompts = torch.randint(0, cfg.vocab_size, (b, t), device=device)
    strict = dtype == torch.float32
    ok = True
    for mode in args.modes_list:
        model.set_cache(b, t + n)
        first = model.prefill(prompts).argmax(dim=-1)
        reset, step = make_stepper(model, mode, first, t)
        reset()
        if mode in ("graph", "compile"):
            for _ in range(3):
                step()
            reset()
        gen = torch.stack([first] + [step() for _ in range(n - 1)], dim=1)  # [B, n]
        full = torch.cat([prompts, gen[:, :-1]], dim=1)
        moe = "grouped" if mode == "eager" else "dense"
        ref = model.prefill(full, all_logits=True, moe=moe)[:, t - 1:].float()  # [B, n, V]
        picked = ref.gather(2, gen.unsqueeze(-1)).squeeze(-1)
        best = ref.max(dim=-1).values
        agree = (ref.argmax(dim=-1) == gen).float().mean().item()
        gap = (best - picked).max().item()
        if strict:
            mode_ok = gap <= 1e-3 * max(1.0, best.abs().max().item())
        else:
            mode_ok = agree >= 0.95
        ok &= mode_ok
        print(f"{mode:8s} batch {b}, {n} tokens, {args.dtype}: matches full recompute at {agree * 100:.1f}% of "
              f"positions, worst logit gap {gap:.3g} -> {'ok' if mode_ok else 'FAIL'}")
    print("PASS" if ok else "FAIL")
    return ok


# ---------------------------------------------------------------------------------------------------------
# Benchmark.

def measure_bandwidth(device, nbytes: Optional[int] = None, iters: Optional[int] = None) -> float:
    """GB/s of a device-to-device copy, counting bytes read plus bytes written."""
    if nbytes is None:
        nbytes = 2 << 30 if device.type == "cuda" else 256 << 20
    if iters is None:
        iters = 20 if device.type == "cuda" else 5
    src = torch.empty(nbytes // 4, device=device, dtype=torch.float32).uniform_()
    dst = torch.empty_like(src)
    clock = Clock(device)
    for _ in range(2):
        dst.copy_(src)
    t0 = clock.now()
    for _ in range(iters):
        dst.copy_(src)
    seconds = clock.now() - t0
    del src, dst
    return 2 * nbytes * iters / seconds / 1e9


def auto_layers(cfg: DbrxConfig, device, max_batch: int, max_len: int, elem: int, chunk_tokens: int,
                headroom: float = 0.10) -> int:
    """Most layers whose weights plus a max_batch x max_len KV cache fit, leaving `headroom` of the device
    memory and a workspace for the largest activations free."""
    if device.type != "cuda":
        return 2  # a smoke-test size; host memory is not what the benchmark is about
    free, total = torch.cuda.mem_get_info(device)
    d, f, e, v = cfg.d_model, cfg.ffn_hidden, cfg.num_experts, cfg.vocab_size
    prefill = chunk_tokens * (8 * d + 2 * cfg.kv_dim + cfg.top_k * (2 * d + 3 * f)) * elem
    decode = max_batch * (e * 3 * f + 8 * d) * elem + max_batch * v * (elem + 4)
    workspace = 2 * max(prefill, decode) + (512 << 20)
    per_layer = cfg.layer_elems() * elem + cfg.kv_bytes_per_layer(max_batch, max_len, elem)
    usable = free - headroom * total - cfg.outer_elems() * elem - workspace
    layers = int(usable // per_layer)
    if layers < 1:
        raise RuntimeError(f"not even one layer fits: {free / 2**30:.1f} GiB free")
    return layers


def describe_device(device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def run_benchmark(args, device, dtype) -> dict:
    elem = torch.empty((), dtype=dtype).element_size()
    max_len = args.input_len + args.output_len
    batch_sizes = args.batch_sizes_list
    if args.weights:
        with open(os.path.join(args.weights, "config.json")) as fh:
            cfg = DbrxConfig.from_hf(json.load(fh))
        layers, layers_auto = cfg.n_layers, False
    else:
        probe = config_from_args(args, layers=1)
        layers_auto = args.layers == "auto"
        layers = auto_layers(probe, device, max(batch_sizes), max_len, elem, args.prefill_chunk_tokens) \
            if layers_auto else int(args.layers)
        cfg = config_from_args(args, layers)

    print(f"device {describe_device(device)}, torch {torch.__version__}, dtype {args.dtype}")
    print(f"config d_model {cfg.d_model}, heads {cfg.n_heads}/{cfg.kv_heads} kv, ffn {cfg.ffn_hidden}, "
          f"experts {cfg.num_experts} top-{cfg.top_k}, vocab {cfg.vocab_size}, layers {layers}"
          f"{' (auto: fits batch %d x %d tokens of KV with %d%% headroom)' % (max(batch_sizes), max_len, 10) if layers_auto else ''}")
    print(f"parameter bytes {gib(cfg.param_elems() * elem)} ({cfg.param_elems() / 1e9:.2f} B params: "
          f"{gib(cfg.layer_elems() * elem)} per layer, of which experts {gib(cfg.num_experts * cfg.expert_elems() * elem)}; "
          f"embedding + lm_head {gib(cfg.outer_elems() * elem)}); "
          f"KV cache at batch {max(batch_sizes)}: {gib(layers * cfg.kv_bytes_per_layer(max(batch_sizes), max_len, elem))}")

    t0 = time.perf_counter()
    if args.weights:
        model = Dbrx.from_checkpoint(args.weights, device, dtype, attn=args.attn)
    else:
        model = Dbrx.random(cfg, device, dtype, seed=args.seed, attn=args.attn)
    Clock(device).sync()
    print(f"{args.weights or 'random weights'} on {device.type} in {time.perf_counter() - t0:.1f} s, "
          f"{gib(model.param_bytes())} allocated")

    if args.bandwidth_gbs:
        bandwidth, bw_source = args.bandwidth_gbs, "given (--bandwidth-gbs)"
    else:
        bandwidth, bw_source = measure_bandwidth(device), "measured (device-to-device copy, read + write)"
    print(f"HBM bandwidth {bandwidth:.0f} GB/s, {bw_source}")

    results = []
    for b in batch_sizes:
        results.append(bench_batch(model, args, device, b, bandwidth, elem))
        model.drop_cache()

    return {
        "tool": "bench/gpu/dbrx_torch.py",
        "conditions": {
            "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version(),
            "device": describe_device(device), "dtype": args.dtype, "attention": model.attn,
            "config": cfg.to_hf(), "layers": layers, "layers_auto": layers_auto,
            "input_len": args.input_len, "output_len": args.output_len, "warmup_steps": args.warmup_steps,
            "modes": args.modes_list, "seed": args.seed, "param_bytes": model.param_bytes(),
            "weights": args.weights or "random (N(0, 1/fan_in) matrices, N(0, 1) embedding, norms 1)",
            "bandwidth_gbs": bandwidth, "bandwidth_source": bw_source,
            "timed_steps": args.output_len,
            "note": "decode tokens/s = batch * timed steps / wall time of those steps (synchronized); "
                    "every sequence of a batch has the same length; random weights, greedy (argmax) decode",
        },
        "results": results,
    }


def bench_batch(model: Dbrx, args, device, b: int, bandwidth: float, elem: int) -> dict:
    cfg = model.cfg
    t, steps = args.input_len, args.output_len
    warmup = min(args.warmup_steps, steps)
    clock = Clock(device)
    model.set_cache(b, t + steps)
    gen = torch.Generator(device="cpu").manual_seed(args.seed + b)
    prompts = torch.randint(0, cfg.vocab_size, (b, t), generator=gen).to(device)

    model.prefill(prompts[:1, :8], chunk_tokens=args.prefill_chunk_tokens)  # first-call setup off the clock
    t0 = clock.now()
    first = model.prefill(prompts, chunk_tokens=args.prefill_chunk_tokens).argmax(dim=-1)
    prefill_s = clock.now() - t0

    row = {"batch": b, "prefill_ms": prefill_s * 1e3, "prefill_tokens_per_s": b * t / prefill_s, "modes": {}}
    stats = RoutingStats()
    reference = None
    for mode in args.modes_list:
        try:
            t_setup = clock.now()
            reset, step = make_stepper(model, mode, first, t, stats if mode == "eager" else None)
            reset()
            for _ in range(max(warmup, 3 if mode == "compile" else 0)):
                step()
            setup_s = clock.now() - t_setup
            reset()
            stats.enabled = mode == "eager"
            tokens = []
            t0 = clock.now()
            for _ in range(steps):
                tokens.append(step())
            seconds = clock.now() - t0
            stats.enabled = False
        except Exception as exc:  # an optional mode failing must not cost the others their figures
            print(f"  batch {b:4d} {mode:8s} FAILED: {type(exc).__name__}: {exc}")
            row["modes"][mode] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        seq = torch.stack(tokens, dim=1).cpu()
        entry = {"ms_per_step": seconds / steps * 1e3, "tokens_per_s": b * steps / seconds, "steps": steps,
                 "setup_and_warmup_s": setup_s}
        if reference is None:
            reference = seq
        else:
            # bf16 sums in another order can flip a near-tie and then the sequences part ways.
            entry["tokens_equal_to_first_mode"] = (seq == reference).float().mean().item()
        row["modes"][mode] = entry

    mean_seq = t + (steps + 1) / 2  # step i attends over t + i + 1 cached positions
    expected = expected_distinct_experts(cfg, b)
    measured = stats.mean()
    roof = {"bandwidth_gbs": bandwidth, "mean_kv_len": mean_seq, "expected_distinct_experts": expected,
            "measured_distinct_experts": measured,
            "bytes_expected_routing": step_bytes(cfg, b, mean_seq, expected, elem)}
    roof["tokens_per_s_expected_routing"] = b / (roof["bytes_expected_routing"]["total"] / (bandwidth * 1e9))
    if measured is not None:
        roof["bytes_measured_routing"] = step_bytes(cfg, b, mean_seq, measured, elem)
        roof["tokens_per_s_measured_routing"] = b / (roof["bytes_measured_routing"]["total"] / (bandwidth * 1e9))
    dense = step_bytes(cfg, b, t + steps, cfg.num_experts, elem)
    roof["bytes_static_modes"] = dense  # static/graph/compile read every expert and the whole cache
    row["roofline"] = roof

    best_roof = roof.get("tokens_per_s_measured_routing", roof["tokens_per_s_expected_routing"])
    print(f"batch {b:4d}: prefill {b}x{t} in {prefill_s * 1e3:.1f} ms; roofline {best_roof:,.0f} tok/s "
          f"({roof['bytes_expected_routing']['total'] / 1e9:.2f} GB/step at {expected:.2f} expected experts/layer"
          + (f", {roof['bytes_measured_routing']['total'] / 1e9:.2f} GB at {measured:.2f} measured" if measured else "")
          + ")")
    for mode, entry in row["modes"].items():
        if "error" in entry:
            continue
        agree = entry.get("tokens_equal_to_first_mode")
        print(f"  {mode:8s} {entry['ms_per_step']:8.2f} ms/step {entry['tokens_per_s']:10,.0f} tok/s "
              f"({entry['tokens_per_s'] / best_roof * 100:5.1f}% of roofline)"
              + (f", tokens equal to first mode {agree * 100:.0f}%" if agree is not None else ""))
        entry["fraction_of_roofline"] = entry["tokens_per_s"] / best_roof
    return row


# ---------------------------------------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check-fixture", metavar="DIR", help="verify a checkpoint dir against its expected.json")
    p.add_argument("--verify-decode", action="store_true", help="decode modes vs full recompute, small model")
    p.add_argument("--measure-bandwidth", action="store_true",
                   help="measure copy bandwidth; without --batch-sizes, measure and exit")
    p.add_argument("--bandwidth-gbs", type=float, help="use this bandwidth for the roofline instead of measuring")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", default="bfloat16", choices=sorted(DTYPES))
    p.add_argument("--attn", default="auto", choices=["auto", "sdpa", "manual"])
    add_model_args(p)
    p.add_argument("--random", action="store_true", help="random weights drawn on the device (the default)")
    p.add_argument("--weights", metavar="DIR", help="benchmark a safetensors checkpoint dir instead (its "
                                                    "config.json overrides the size flags)")
    p.add_argument("--batch-sizes", default=None, help="comma list, default 1,16,64,256")
    p.add_argument("--input-len", type=int, default=128)
    p.add_argument("--output-len", type=int, default=128)
    p.add_argument("--warmup-steps", type=int, default=4)
    p.add_argument("--prefill-chunk-tokens", type=int, default=8192)
    p.add_argument("--modes", default=None, help="comma list of eager,static,graph,compile (default eager, "
                                                 "plus graph with --cuda-graph and compile with --compile)")
    p.add_argument("--cuda-graph", action="store_true", help="add the graph mode")
    p.add_argument("--compile", action="store_true", help="add the compile mode")
    p.add_argument("--verify-batch", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    p.add_argument("--json", metavar="FILE", help="write every figure and the run's conditions here")
    args = p.parse_args(argv)

    if args.modes:
        modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    else:
        modes = ["eager"] + (["graph"] if args.cuda_graph else []) + (["compile"] if args.compile else [])
    for m in modes:
        if m not in ("eager", "static", "graph", "compile"):
            p.error(f"unknown mode {m}")
    args.modes_list = modes
    args.bandwidth_only = args.measure_bandwidth and args.batch_sizes is None
    args.batch_sizes_list = [int(x) for x in (args.batch_sizes or "1,16,64,256").split(",") if x.strip()]
    if args.d_model % args.n_heads or args.n_heads % args.kv_heads:
        p.error("d-model must divide by n-heads and n-heads by kv-heads")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_grad_enabled(False)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dtype = DTYPES[args.dtype]

    if args.check_fixture:
        return 0 if check_fixture(args.check_fixture, device, args.attn) else 1
    if args.verify_decode:
        return 0 if verify_decode(args, device, dtype) else 1
    if args.bandwidth_only:
        gbs = measure_bandwidth(device)
        print(f"{describe_device(device)}: copy bandwidth {gbs:.0f} GB/s (read + write)")
        write_json(args.json, {"device": describe_device(device), "torch": torch.__version__, "bandwidth_gbs": gbs})
        return 0

    write_json(args.json, run_benchmark(args, device, dtype))
    return 0


def write_json(path: Optional[str], report: dict) -> None:
    """Writes a run's report where --json asked (nothing without it)."""
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(report, fh, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
