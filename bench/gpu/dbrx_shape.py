#!/usr/bin/env python3
"""The DBRX benchmark shape without torch: sizes, the bytes one decode step must read (the HBM roofline) and how many
layers fit a device. dbrx_torch.py builds its model from it; all.sh sizes the run and report.py computes the roofline
with it on machines that have no torch.

Usage: dbrx_shape.py layers --memory-mib MIB [--d-model ... (the peers' shape flags)] [--batch 64 --tokens 2048]
prints the most layers whose bf16 weights plus a KV cache for BATCH sequences of TOKENS fit MIB of device memory.
"""

import argparse
import sys
from dataclasses import dataclass
from typing import Optional


@dataclass
class DbrxConfig:
    d_model: int
    n_heads: int
    kv_heads: int
    n_layers: int
    vocab_size: int
    max_seq_len: int
    ffn_hidden: int
    num_experts: int
    top_k: int
    clip_qkv: Optional[float] = 8.0
    rope_theta: float = 500000.0
    norm_p: Optional[float] = 1.0  # moe_normalize_expert_weights; None leaves the top-k weights as they are

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @classmethod
    def from_hf(cls, hf: dict) -> "DbrxConfig":
        attn, ffn = hf.get("attn_config", {}), hf.get("ffn_config", {})
        return cls(
            d_model=hf["d_model"], n_heads=hf["n_heads"], kv_heads=attn.get("kv_n_heads", 1),
            n_layers=hf["n_layers"], vocab_size=hf["vocab_size"], max_seq_len=hf.get("max_seq_len", 2048),
            ffn_hidden=ffn["ffn_hidden_size"], num_experts=ffn["moe_num_experts"], top_k=ffn["moe_top_k"],
            clip_qkv=attn.get("clip_qkv"), rope_theta=attn.get("rope_theta", 10000.0),
            norm_p=ffn.get("moe_normalize_expert_weights", 1.0))

    def to_hf(self) -> dict:
        return {
            "d_model": self.d_model, "n_heads": self.n_heads, "n_layers": self.n_layers,
            "vocab_size": self.vocab_size, "max_seq_len": self.max_seq_len,
            "attn_config": {"kv_n_heads": self.kv_heads, "clip_qkv": self.clip_qkv, "rope_theta": self.rope_theta},
            "ffn_config": {"ffn_hidden_size": self.ffn_hidden, "moe_num_experts": self.num_experts,
                           "moe_top_k": self.top_k, "moe_normalize_expert_weights": self.norm_p},
        }

    # Sizes in elements, used for memory planning and the roofline.
    def attn_layer_elems(self) -> int:
        d = self.d_model
        return (d + 2 * self.kv_dim) * d + d * d + 2 * d + self.num_experts * d  # Wqkv, out_proj, norms, router

    def expert_elems(self) -> int:
        return 3 * self.ffn_hidden * self.d_model

    def layer_elems(self) -> int:
        return self.attn_layer_elems() + self.num_experts * self.expert_elems()

    def outer_elems(self) -> int:
        return 2 * self.vocab_size * self.d_model + self.d_model  # wte, lm_head, norm_f

    def param_elems(self) -> int:
        return self.n_layers * self.layer_elems() + self.outer_elems()

    def kv_bytes_per_layer(self, batch: int, max_len: int, elem_bytes: int) -> int:
        return 2 * batch * self.kv_heads * max_len * self.head_dim * elem_bytes


def expected_distinct_experts(cfg: DbrxConfig, batch: int) -> float:
    # Under uniform routing each token misses a given expert with probability (1 - k/E).
    return cfg.num_experts * (1 - (1 - cfg.top_k / cfg.num_experts) ** batch)


def step_bytes(cfg: DbrxConfig, batch: int, mean_seq: float, distinct: float, elem: int) -> dict:
    """HBM bytes one decode step must read: weights it touches plus the live KV cache."""
    parts = {
        "embedding_rows": batch * cfg.d_model * elem,
        "attention_weights": cfg.n_layers * cfg.attn_layer_elems() * elem,
        "experts": cfg.n_layers * distinct * cfg.expert_elems() * elem,
        "lm_head_and_final_norm": (cfg.vocab_size * cfg.d_model + cfg.d_model) * elem,
        "kv_cache": 2 * cfg.n_layers * batch * cfg.kv_heads * mean_seq * cfg.head_dim * elem,
    }
    parts["total"] = sum(parts.values())
    return parts


def roofline_tokens_per_second(cfg: DbrxConfig, batch: int, input_len: int, output_len: int, bandwidth_gbs: float,
                               elem: int = 2) -> float:
    """Decode tokens/s if every step read only what it must (uniform routing), at the mean KV length of the run."""
    mean_seq = input_len + (output_len + 1) / 2  # step i attends over input + i + 1 cached positions
    total = step_bytes(cfg, batch, mean_seq, expected_distinct_experts(cfg, batch), elem)["total"]
    return batch / (total / (bandwidth_gbs * 1e9))


# What the processes of a run need beyond weights and the KV cache: a CUDA context each (a gateway and two expert
# silos at most at once), activations of a prefill chunk and a batch's logits, and the allocators' slack.
RESERVE_BYTES = 9 << 30
HEADROOM = 0.08


def fit_layers(cfg: DbrxConfig, memory_bytes: int, batch: int, tokens: int, elem: int = 2) -> int:
    """Most layers whose weights plus a KV cache for `batch` sequences of `tokens` fit in `memory_bytes`, leaving
    HEADROOM of it and RESERVE_BYTES free."""
    per_layer = cfg.layer_elems() * elem + cfg.kv_bytes_per_layer(batch, tokens, elem)
    usable = memory_bytes * (1 - HEADROOM) - cfg.outer_elems() * elem - RESERVE_BYTES
    return max(0, int(usable // per_layer))


def add_model_args(p: argparse.ArgumentParser) -> None:
    """The benchmark model's shape (DBRX's width by default), the same flags in every script."""
    p.add_argument("--d-model", type=int, default=6144)
    p.add_argument("--n-heads", type=int, default=48)
    p.add_argument("--kv-heads", type=int, default=8)
    p.add_argument("--ffn", type=int, default=10752)
    p.add_argument("--experts", type=int, default=16)
    p.add_argument("--top-k", type=int, default=4)
    p.add_argument("--layers", default="auto", help="number of layers, or auto (what fits, 10%% headroom)")
    p.add_argument("--vocab", type=int, default=100352)
    p.add_argument("--clip-qkv", type=float, default=8.0)
    p.add_argument("--rope-theta", type=float, default=500000.0)
    p.add_argument("--norm-p", type=float, default=1.0, help="moe_normalize_expert_weights")


def config_from_args(args, layers: int) -> DbrxConfig:
    return DbrxConfig(d_model=args.d_model, n_heads=args.n_heads, kv_heads=args.kv_heads, n_layers=layers,
                      vocab_size=args.vocab,
                      max_seq_len=max(getattr(args, "input_len", 0) + getattr(args, "output_len", 0), 2048),
                      ffn_hidden=args.ffn, num_experts=args.experts, top_k=args.top_k,
                      clip_qkv=args.clip_qkv, rope_theta=args.rope_theta, norm_p=args.norm_p)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["layers"])
    p.add_argument("--memory-mib", type=int, required=True)
    add_model_args(p)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--tokens", type=int, default=2048)
    args = p.parse_args(argv)
    print(fit_layers(config_from_args(args, 1), args.memory_mib << 20, args.batch, args.tokens))
    return 0


if __name__ == "__main__":
    sys.exit(main())
