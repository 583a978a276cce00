// What the pods of a rendered release ask of a node in total, against a laptop's kind node: Kubernetes schedules by
// requests, and a laptop has no memory to give beyond the containers' limits.
"use strict";
const assert = require("node:assert/strict");

// A kind node on a laptop (Docker Desktop's usual 4 CPUs and 8 GiB), less what kind's own pods request: the API
// server 250m, controller manager 200m, scheduler 100m, etcd 100m and 100Mi, two CoreDNS 100m and 70Mi each,
// kindnet 100m and 50Mi.
const laptopNode = { cpu: 4, memory: 8 * 2 ** 30 };
const kindSystem = { cpu: 0.95, memory: 290 * 2 ** 20 };

const suffixes = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A Kubernetes quantity ("250m", "2", "512Mi", "1G") as a number of cores or bytes. */
function quantity(text) {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(text));
  assert.ok(match && (match[2] === "" || match[2] in suffixes), `a Kubernetes quantity: ${text}`);
  return Number(match[1]) * (match[2] === "" ? 1 : suffixes[match[2]]);
}

/** One pod's cpu and memory of one kind (requests or limits): its containers together, or its largest init container. */
function podNeeds(spec, kind) {
  const sum = (containers, resource) => containers.reduce((total, c) => total + quantity(c.resources?.[kind]?.[resource] ?? 0), 0);
  const largest = (resource) => Math.max(0, ...(spec.initContainers ?? []).map((c) => sum([c], resource)));
  return Object.fromEntries(["cpu", "memory"].map((r) => [r, Math.max(sum(spec.containers, r), largest(r))]));
}

/** Every pod the release runs at once (workloads at their replicas, the autoscaler's minimum, the test pod). */
function releaseNeeds(rendered, kind) {
  const total = { cpu: 0, memory: 0 };
  const autoscaled = new Map(rendered.all("HorizontalPodAutoscaler").map((h) => [h.spec.scaleTargetRef.name, h.spec.minReplicas]));
  for (const workload of [...rendered.all("Deployment"), ...rendered.all("StatefulSet"), ...rendered.all("Pod")]) {
    const replicas = workload.kind === "Pod" ? 1 : (workload.spec.replicas ?? autoscaled.get(workload.metadata.name) ?? 1);
    const needs = podNeeds(workload.kind === "Pod" ? workload.spec : workload.spec.template.spec, kind);
    total.cpu += replicas * needs.cpu;
    total.memory += replicas * needs.memory;
  }
  return total;
}

/** The release's requests fit a laptop's kind node beside kind's own pods, and so do its memory limits. */
function fitsLaptopNode(rendered) {
  const requested = releaseNeeds(rendered, "requests");
  const limited = releaseNeeds(rendered, "limits");
  const gib = (bytes) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  assert.ok(requested.cpu + kindSystem.cpu <= laptopNode.cpu, `the pods request ${requested.cpu} CPUs: more than a 4-CPU kind node leaves`);
  assert.ok(requested.memory + kindSystem.memory <= laptopNode.memory, `the pods request ${gib(requested.memory)}: more than an 8 GiB kind node leaves`);
  assert.ok(limited.memory + kindSystem.memory <= laptopNode.memory, `the pods may grow to ${gib(limited.memory)}: more than an 8 GiB kind node leaves`);
}

module.exports = { fitsLaptopNode };
