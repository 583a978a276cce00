#!/usr/bin/env bash
# One layer's dispatch round trip over the real expert data plane (the gateway's SiloChannel to a silo's
# DataPlaneServer hosting the 16 experts of layer 0, on loopback) against a bare gRPC echo of the same bytes, at
# 1, 2, 4, ... 512 rows; prints the table, then all figures as one JSON document.
# Usage: bench/transport.sh [--hidden 4096] [--max-rows 512] [--round-trips 200]
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet build src/Cli -c Release -v quiet -nologo >/dev/null
host="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "host: $host"
report=$(dotnet src/Cli/bin/Release/net10.0/rex.dll bench transport --json "$@" 2>/dev/null)

python3 - "$host" "$report" <<'PY'
import json, sys
host, report = sys.argv[1], json.loads(sys.argv[2])
c = report["conditions"]
print(f"{c['model']}: d_model {c['hidden_size']}, {c['d_type']}, {c['num_experts']} experts of layer 0 on one CPU executor, "
      f"top-{c['top_k']} routing spread evenly; torch threads {c['torch_threads']}; up to {c['max_round_trips']} round trips "
      f"or {c['max_seconds_per_row_count']:.0f} s per row count after {c['warmup_round_trips']} warm-up")
print("round trip, microseconds: echo = bare gRPC echo of the ExpertBatch's bytes; data plane = rows to bytes, ExpertBatch out, "
      "silo computes, ExpertPartial back, bytes to tensor;\ncompute = what the silo reports; transport = data plane less compute")
print(f"\n{'rows':>5} {'bytes':>8} {'n':>4} | {'echo p50':>8} {'p99':>7} | {'data plane p50':>14} {'p99':>7} | "
      f"{'compute p50':>11} {'p99':>7} | {'transport p50':>13} {'p99':>7} | {'transport/echo':>14}")
for r in report["row_counts"]:
    e, d, k, t = (r[f] for f in ("echo_micros", "data_plane_micros", "compute_micros", "transport_micros"))
    print(f"{r['rows']:>5} {r['request_bytes']:>8} {r['round_trips']:>4} | {e['p50']:>8.0f} {e['p99']:>7.0f} | {d['p50']:>14.0f} {d['p99']:>7.0f} | "
          f"{k['p50']:>11.0f} {k['p99']:>7.0f} | {t['p50']:>13.0f} {t['p99']:>7.0f} | {r['transport_over_echo']:>14.2f}")
print()
print(json.dumps({"host": host, **report}))
PY
