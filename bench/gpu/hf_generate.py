#!/usr/bin/env python3
"""The decode benchmark through Hugging Face transformers: DbrxForCausalLM.generate, greedy, KV cache on.

Uses:
  --check-fixture DIR   from_pretrained(DIR) in fp32 with eager attention; logits and greedy ids against
                        DIR/expected.json. transformers' DBRX port once mixed up the MoE sizes (router and
                        experts built from ffn_hidden_size, GLU transposes inverted: PR #47671), which broke
                        every real checkpoint; run this first.
  (default)             random weights built directly on the GPU in bf16; per batch size a 1-token generate
                        (prefill) and an output-len generate; decode tok/s = B * (out - 1) / (t_full - t_prefill)

Before the benchmark a tiny CPU probe builds the same DbrxConfig at d_model != ffn_hidden_size and compares
transformers' logits with bench/gpu/dbrx_torch.py on identical weights. Where the installed version has the
size mix-up, the probe finds that the sizes given swapped (ffn_config.hidden_size = ffn, ffn_hidden_size =
d_model) compute true DBRX (same FLOPs and bytes, each expert's matrices stored transposed), and the benchmark
uses them; the JSON records which layout ran.

Runs where transformers >= 4.40 and torch 2.x are installed (not on the CPU machine these were written on).
"""

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The GPU machine has no network: never let transformers wait on the Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
import dbrx_torch as ref  # noqa: E402  (the reference model, its config and its memory planning)

try:
    import transformers
    from transformers import AutoModelForCausalLM, DbrxConfig, DbrxForCausalLM
except ImportError as exc:  # keep --help and py_compile usable where transformers is absent
    transformers = None
    _IMPORT_ERROR = exc


def _version(v: str):
    nums = [int(x) for x in re.findall(r"\d+", v)[:2]]
    return tuple(nums + [0] * (2 - len(nums)))


def dtype_kwargs(dtype) -> dict:
    # `dtype` replaced `torch_dtype` in transformers 4.56; older versions pass unknown keywords to the config
    # and would silently build in fp32, so the keyword is chosen by version, not by trial.
    return {"dtype": dtype} if _version(transformers.__version__) >= (4, 56) else {"torch_dtype": dtype}


def _set(sub, name, value):
    if isinstance(sub, dict):
        sub[name] = value
    else:
        setattr(sub, name, value)


def hf_config(cfg: ref.DbrxConfig, layout: str = "standard"):
    """DbrxConfig with the nested attn/ffn configs as dicts. layout "swapped" gives ffn_config.hidden_size
    the expert width and ffn_hidden_size the model width: what the mixed-up MoE modules need to compute
    true DBRX."""
    ffn_config = {"ffn_hidden_size": cfg.ffn_hidden, "moe_num_experts": cfg.num_experts,
                  "moe_top_k": cfg.top_k, "ffn_act_fn": {"name": "silu"}}
    if cfg.norm_p is not None:
        ffn_config["moe_normalize_expert_weights"] = cfg.norm_p
    hc = DbrxConfig(d_model=cfg.d_model, n_heads=cfg.n_heads, n_layers=cfg.n_layers, max_seq_len=cfg.max_seq_len,
                    vocab_size=cfg.vocab_size,
                    attn_config={"kv_n_heads": cfg.kv_heads, "clip_qkv": cfg.clip_qkv, "rope_theta": cfg.rope_theta},
                    ffn_config=ffn_config, use_cache=True, tie_word_embeddings=False)
    hidden, inner = (cfg.ffn_hidden, cfg.d_model) if layout == "swapped" else (cfg.d_model, cfg.ffn_hidden)
    # Set after construction: some versions' DbrxFFNConfig reject an unknown `hidden_size` keyword, others
    # default it to 6144 instead of d_model; the modules read whatever attribute is there.
    _set(hc.ffn_config, "hidden_size", hidden)
    _set(hc.ffn_config, "ffn_hidden_size", inner)
    return hc


def build_model(hc, dtype, device, attn_impl: str, experts_impl=None):
    """Random weights allocated and initialised on `device` in `dtype` (transformers' own init: normal(0,
    0.02), norms 1). The default dtype is set as well, so no keyword mismatch can fall back to fp32."""
    extra = {"attn_implementation": attn_impl}
    if experts_impl:
        extra["experts_implementation"] = experts_impl
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    errors = []
    try:
        # torch.device as a context (torch >= 2.0) allocates and initialises on the GPU directly.
        placement = contextlib.nullcontext() if torch.device(device).type == "cpu" else torch.device(device)
        with placement:
            for kwargs in (dict(extra, **dtype_kwargs(dtype)), extra):
                try:
                    model = AutoModelForCausalLM.from_config(hc, **kwargs)
                    break
                except TypeError as exc:
                    errors.append(f"from_config{sorted(kwargs)}: {exc}")
            else:
                hc._attn_implementation = attn_impl
                model = DbrxForCausalLM(hc)
    finally:
        torch.set_default_dtype(previous)
    for err in errors:
        print(f"note: {err}")
    param = next(model.parameters())
    if param.device.type != torch.device(device).type or param.dtype != dtype:
        raise RuntimeError(f"model built on {param.device} in {param.dtype}, wanted {device} in {dtype}")
    return model.eval()


def to_reference(model, cfg: ref.DbrxConfig, layout: str, device="cpu", dtype=torch.float32) -> ref.Dbrx:
    """The same weights in dbrx_torch's layout (w13 [E, 2F, d], w2 [E, F, d])."""
    sd = {k: v.detach().to(device=device, dtype=dtype) for k, v in model.state_dict().items()}
    e, f, d = cfg.num_experts, cfg.ffn_hidden, cfg.d_model

    def expert(name):
        w = sd[name]
        if layout == "swapped":  # stored [E * d, F]: each expert's matrix transposed
            return w.view(e, d, f).transpose(1, 2).contiguous()
        return w.view(e, f, d)

    outer = {"wte": sd["transformer.wte.weight"], "norm_f": sd["transformer.norm_f.weight"],
             "lm_head": sd["lm_head.weight"]}
    blocks = []
    for i in range(cfg.n_layers):
        p = f"transformer.blocks.{i}."
        blocks.append({"norm_1": sd[p + "norm_attn_norm.norm_1.weight"],
                       "wqkv": sd[p + "norm_attn_norm.attn.Wqkv.weight"],
                       "out_proj": sd[p + "norm_attn_norm.attn.out_proj.weight"],
                       "norm_2": sd[p + "norm_attn_norm.norm_2.weight"],
                       "router": sd[p + "ffn.router.layer.weight"],
                       "w13": torch.cat([expert(p + "ffn.experts.mlp.w1"), expert(p + "ffn.experts.mlp.v1")], dim=1),
                       "w2": expert(p + "ffn.experts.mlp.w2").contiguous()})
    return ref.Dbrx(cfg, outer, blocks, attn="manual")


def probe_layout(attn_impl: str) -> dict:
    """Which ffn_config layout makes this transformers compute DBRX: a 2-layer fp32 model on the CPU with
    d_model 64 != ffn 96, weights re-drawn at unit scale so a wrong layout cannot hide in small numbers."""
    tiny = ref.DbrxConfig(d_model=64, n_heads=4, kv_heads=2, n_layers=2, vocab_size=256, max_seq_len=64,
                          ffn_hidden=96, num_experts=4, top_k=2, clip_qkv=8.0, rope_theta=500000.0, norm_p=1.0)
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, tiny.vocab_size, (2, 10), generator=gen)
    report = {}
    for layout in ("standard", "swapped"):
        try:
            model = build_model(hf_config(tiny, layout), torch.float32, "cpu", attn_impl)
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if p.dim() == 1:
                        p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
                    else:
                        p.copy_(torch.randn(p.shape, generator=gen) * 0.15)
                got = model(input_ids=ids, use_cache=False).logits.float()
                reference = to_reference(model, tiny, layout)
                reference.set_cache(ids.shape[0], ids.shape[1])
                want = reference.prefill(ids, all_logits=True)
            diff = (got - want).abs().max().item()
            report[layout] = {"max_abs_diff": diff, "matches": diff < 1e-3}
        except Exception as exc:
            report[layout] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}", "matches": False}
    for layout in ("standard", "swapped"):
        if report[layout]["matches"]:
            report["use"] = layout
            break
    else:
        report["use"] = "standard" if "error" not in report["standard"] else "swapped"
    return report


# ---------------------------------------------------------------------------------------------------------

def check_fixture(path: str, device) -> bool:
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, device {device}")
    probe = probe_layout("eager")
    print(f"layout probe (tiny random model vs dbrx_torch): {json.dumps(probe)}")
    try:
        loaded = DbrxForCausalLM.from_pretrained(path, attn_implementation="eager", output_loading_info=True,
                                                 **dtype_kwargs(torch.float32))
        model, info = loaded if isinstance(loaded, tuple) else (loaded, {})
    except Exception as exc:
        print(f"from_pretrained failed: {type(exc).__name__}: {exc}")
        print("FAIL")
        return False
    for key in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        if info.get(key):
            print(f"{key}: {list(info[key])[:8]}")
    model = model.to(device).eval()
    blk = model.transformer.blocks[0].ffn
    print(f"router {tuple(blk.router.layer.weight.shape)}, experts w1 {tuple(blk.experts.mlp.w1.shape)}, "
          f"dtype {next(model.parameters()).dtype}")
    with open(os.path.join(path, "expected.json")) as fh:
        cases = json.load(fh)
    tol = 1e-3
    ok = not any(info.get(k) for k in ("missing_keys", "mismatched_keys"))
    for n, case in enumerate(cases):
        prompt, greedy = case["prompt_ids"], case["greedy_ids"]
        ids = torch.tensor([prompt], device=device)
        try:
            with torch.no_grad():
                out = model(input_ids=ids, use_cache=True)
                logits = out.logits[0].float()
                worst = 0.0
                for pos, exp in enumerate(case["positions"]):
                    row = logits[pos]
                    exp_ids = torch.tensor(exp["top_ids"], device=device)
                    exp_vals = torch.tensor(exp["top_logits"], device=device)
                    worst = max(worst, (row.index_select(0, exp_ids) - exp_vals).abs().max().item(),
                                (row.topk(len(exp_ids)).values - exp_vals).abs().max().item())
                # Greedy through the model's own cache, then through generate.
                past, nxt = out.past_key_values, int(logits[-1].argmax())
                manual = [nxt]
                for _ in range(len(greedy) - 1):
                    step = model(input_ids=torch.tensor([[nxt]], device=device), past_key_values=past,
                                 use_cache=True)
                    past, nxt = step.past_key_values, int(step.logits[0, -1].argmax())
                    manual.append(nxt)
                generated = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=len(greedy),
                                           do_sample=False, num_beams=1,
                                           pad_token_id=model.generation_config.pad_token_id or 0)
                via_generate = generated[0, len(prompt):].tolist()
        except Exception as exc:
            print(f"case {n}: {type(exc).__name__}: {exc}")
            ok = False
            continue
        case_ok = worst <= tol and manual == greedy and via_generate == greedy
        ok &= case_ok
        print(f"case {n}: prompt {len(prompt)} tokens, max |top logit diff| {worst:.2e} (tol {tol:g}), "
              f"greedy via cache {'ok' if manual == greedy else 'MISMATCH'}, "
              f"via generate {'ok' if via_generate == greedy else 'MISMATCH'} -> {'ok' if case_ok else 'FAIL'}")
    print("PASS" if ok else "FAIL")
    return ok


# ---------------------------------------------------------------------------------------------------------

def timed_generate(model, ids, new_tokens: int, clock: ref.Clock):
    kwargs = dict(attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                  do_sample=False, num_beams=1, use_cache=True, pad_token_id=0)
    t0 = clock.now()
    out = model.generate(ids, **kwargs)
    seconds = clock.now() - t0
    if out.shape[1] != ids.shape[1] + new_tokens:
        raise RuntimeError(f"generate returned {out.shape[1] - ids.shape[1]} new tokens, wanted {new_tokens}")
    return seconds, out


def run_benchmark(args, device, dtype) -> dict:
    elem = torch.empty((), dtype=dtype).element_size()
    max_len = args.input_len + args.output_len
    probe_cfg = ref.config_from_args(args, layers=1)
    layers_auto = args.layers == "auto"
    layers = ref.auto_layers(probe_cfg, device, max(args.batch_sizes_list), max_len, elem, 8192) \
        if layers_auto else int(args.layers)
    cfg = ref.config_from_args(args, layers)

    print(f"transformers {transformers.__version__}, torch {torch.__version__}, device {ref.describe_device(device)}")
    probe = probe_layout(args.attn_implementation)
    print(f"layout probe (tiny random model vs dbrx_torch): {json.dumps(probe)}")
    layout = probe["use"]
    if not probe[layout]["matches"]:
        msg = "transformers' DBRX does not match the reference in either layout (speed figures still valid; " \
              "numerics are not): see --check-fixture"
        if args.strict:
            raise SystemExit(msg)
        print(f"WARNING: {msg}")
    if layout == "swapped":
        print("note: this transformers has the DBRX MoE size mix-up; benchmarking with the sizes given swapped, "
              "which computes true DBRX")

    print(f"config d_model {cfg.d_model}, heads {cfg.n_heads}/{cfg.kv_heads} kv, ffn {cfg.ffn_hidden}, experts "
          f"{cfg.num_experts} top-{cfg.top_k}, vocab {cfg.vocab_size}, layers {layers}{' (auto)' if layers_auto else ''}; "
          f"parameter bytes {ref.gib(cfg.param_elems() * elem)}")
    t0 = time.perf_counter()
    model = build_model(hf_config(cfg, layout), dtype, device, args.attn_implementation, args.experts_implementation)
    model.generation_config.eos_token_id = None  # random weights: no token may end a sequence early
    ref.Clock(device).sync()
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    print(f"built on {device.type} in {time.perf_counter() - t0:.1f} s, {ref.gib(param_bytes)} of parameters, "
          f"attention {model.config._attn_implementation}")

    clock = ref.Clock(device)
    results = []
    for b in args.batch_sizes_list:
        gen = torch.Generator(device="cpu").manual_seed(args.seed + b)
        ids = torch.randint(0, cfg.vocab_size, (b, args.input_len), generator=gen).to(device)
        try:
            timed_generate(model, ids, 2, clock)  # warm-up: kernels, allocator, generate's first-call setup
            prefill = [timed_generate(model, ids, 1, clock)[0] for _ in range(args.repeats)]
            full = [timed_generate(model, ids, args.output_len, clock)[0] for _ in range(args.repeats)]
        except Exception as exc:
            print(f"batch {b:4d}: FAILED: {type(exc).__name__}: {exc}")
            results.append({"batch": b, "error": f"{type(exc).__name__}: {exc}"})
            if device.type == "cuda":
                torch.cuda.empty_cache()
            continue
        t_prefill, t_full = statistics.median(prefill), statistics.median(full)
        decode_s = t_full - t_prefill
        steps = args.output_len - 1
        row = {"batch": b, "prefill_s": prefill, "full_generate_s": full,
               "prefill_ms": t_prefill * 1e3, "full_generate_ms": t_full * 1e3,
               "decode_ms_per_step": decode_s / steps * 1e3, "decode_tokens_per_s": b * steps / decode_s,
               "end_to_end_tokens_per_s": b * args.output_len / t_full}
        if device.type == "cuda":
            row["peak_memory_bytes"] = torch.cuda.max_memory_allocated(device)
            torch.cuda.reset_peak_memory_stats(device)
            torch.cuda.empty_cache()
        results.append(row)
        print(f"batch {b:4d}: prefill {t_prefill * 1e3:8.1f} ms, generate {args.output_len} in {t_full * 1e3:9.1f} ms, "
              f"decode {row['decode_ms_per_step']:7.2f} ms/step {row['decode_tokens_per_s']:10,.0f} tok/s")

    return {
        "tool": "bench/gpu/hf_generate.py",
        "conditions": {
            "transformers": transformers.__version__, "torch": torch.__version__, "cuda": torch.version.cuda,
            "python": platform.python_version(), "device": ref.describe_device(device), "dtype": args.dtype,
            "attn_implementation": model.config._attn_implementation,
            "experts_implementation": getattr(model.config, "_experts_implementation", None),
            "config": cfg.to_hf(), "layers": layers, "layers_auto": layers_auto,
            "input_len": args.input_len, "output_len": args.output_len, "repeats": args.repeats,
            "param_bytes": param_bytes, "layout_probe": probe, "ffn_layout": layout,
            "init": "transformers' own: normal(0, 0.02) matrices and embedding, norms 1, on the device",
            "note": "generate(greedy, min_new_tokens = max_new_tokens = output_len, use_cache=True); "
                    "decode tokens/s = batch * (output_len - 1) / (t_full - t_prefill), medians over repeats; "
                    "prefill = generate of 1 new token",
        },
        "results": results,
    }


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check-fixture", metavar="DIR")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", default="bfloat16", choices=sorted(ref.DTYPES))
    p.add_argument("--attn-implementation", default="sdpa", choices=["sdpa", "eager", "flash_attention_2"])
    p.add_argument("--experts-implementation", default=None,
                   help="passed to from_config where the installed transformers knows it (left unset by default)")
    ref.add_model_args(p)
    p.add_argument("--batch-sizes", default="1,16,64,256")
    p.add_argument("--input-len", type=int, default=128)
    p.add_argument("--output-len", type=int, default=128)
    p.add_argument("--repeats", type=int, default=1, help="timed generates per figure (median)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--strict", action="store_true", help="stop when transformers does not match the reference")
    p.add_argument("--json", metavar="FILE")
    args = p.parse_args(argv)
    args.batch_sizes_list = [int(x) for x in args.batch_sizes.split(",") if x.strip()]
    if args.output_len < 2:
        p.error("--output-len must be at least 2 (decode is timed as full minus prefill)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if transformers is None:
        print(f"transformers is not importable: {_IMPORT_ERROR}")
        return 2
    torch.set_grad_enabled(False)
    device = torch.device(args.device)
    if args.check_fixture:
        return 0 if check_fixture(args.check_fixture, device) else 1
    ref.write_json(args.json, run_benchmark(args, device, ref.DTYPES[args.dtype]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
