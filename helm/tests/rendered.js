// The objects of one rendered value set, with the questions assert.js asks of them. Each question throws an
// AssertionError naming the object and field when the answer is wrong.
"use strict";
const assert = require("node:assert/strict");
const { restrictedViolations } = require("./pod-security");

const podSpec = (workload) => (workload.kind === "Pod" ? workload.spec : workload.spec.template.spec);
const podLabels = (workload) => (workload.kind === "Pod" ? workload.metadata.labels : workload.spec.template.metadata.labels);
const container = (workload) => podSpec(workload).containers[0];

class Rendered {
  constructor(manifests) {
    this.objects = manifests.map((m) => m.object);
  }

  all(kind) {
    return this.objects.filter((o) => o.kind === kind);
  }

  one(kind, name) {
    const found = this.all(kind).filter((o) => o.metadata.name === name);
    assert.equal(found.length, 1, `one ${kind} named ${name}`);
    return found[0];
  }

  /** The ConfigMap every Rex pod reads its settings from. */
  settings() {
    const name = container(this.one("Deployment", "rex-gateway")).envFrom?.[0]?.configMapRef?.name;
    return this.one("ConfigMap", name).data;
  }

  setting(name) {
    return expectValue(`setting ${name}`, this.settings()[name]);
  }

  /** An environment variable of a workload's first container, as written in its env list. */
  env(workload, name) {
    return this.containerEnv(container(workload), `${workload.metadata.name} env ${name}`, name);
  }

  /** An environment variable of any container (an init container, say); where names it in a failure. */
  containerEnv(c, where, name) {
    const entry = (c.env ?? []).find((e) => e.name === name);
    return {
      equals: (value) => assert.equal(entry?.value, value, where),
      isAbsent: () => assert.equal(entry, undefined, `${where} is not set`),
      fromField: (path) => assert.equal(entry?.valueFrom?.fieldRef?.fieldPath, path, `${where} comes from ${path}`),
      fromSecret: (secret, key) => assert.deepEqual(entry?.valueFrom?.secretKeyRef, { name: secret, key }, `${where} comes from Secret ${secret}`),
    };
  }

  /** nvidia.com/gpu requested and limited, or undefined when the pod asks for none. */
  gpus(workload) {
    const resources = container(workload).resources ?? {};
    const requests = resources.requests?.["nvidia.com/gpu"];
    const limits = resources.limits?.["nvidia.com/gpu"];
    return requests === undefined && limits === undefined ? undefined : { requests, limits };
  }

  /** A volume mounted read-only at mountPath, with the given source. */
  mount(workload, volume, mountPath, source) {
    const where = `${workload.metadata.name} volume ${volume}`;
    const mounted = container(workload).volumeMounts?.find((m) => m.name === volume);
    assert.deepEqual(mounted && [mounted.mountPath, mounted.readOnly], [mountPath, true], `${where} mounted read-only at ${mountPath}`);
    const { name, ...actual } = podSpec(workload).volumes.find((v) => v.name === volume) ?? {};
    assert.deepEqual(actual, source, where);
  }

  modelVolume(workload, source) {
    this.mount(workload, "model", "/models", source);
  }

  service(name) {
    const service = this.one("Service", name);
    return { selects: (workload) => this.labelsMatch(service.spec.selector, podLabels(workload), `Service ${name} selects ${workload.metadata.name}`) };
  }

  labelsMatch(selector, labels, message) {
    assert.ok(Object.keys(selector ?? {}).length > 0, `${message}: a selector`);
    for (const [key, value] of Object.entries(selector)) assert.equal(labels?.[key], value, `${message}: label ${key}`);
  }

  /** What every value set renders: the workloads, their probes, identity, settings, Services and budget. */
  common() {
    const { gateway, silo } = workloads(this);
    for (const [workload, role] of [[gateway, "gateway"], [silo, "expert"]]) {
      const c = container(workload);
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) assert.ok(c[probe], `${workload.metadata.name} has a ${probe}`);
      assert.ok(c.resources?.requests?.memory, `${workload.metadata.name} requests memory`);
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${workload.metadata.name} has a read-only root`);
      assert.ok(c.volumeMounts.some((m) => m.mountPath === "/tmp"), `${workload.metadata.name} has a writable /tmp`);
      this.env(workload, "REX_Roles").equals(role);
      this.env(workload, "REX_AdvertisedAddress").fromField("status.podIP");
      for (const mount of c.volumeMounts) assert.ok(podSpec(workload).volumes.some((v) => v.name === mount.name), `${workload.metadata.name} has volume ${mount.name}`);
    }
    this.env(silo, "REX_DataPlaneHost").fromField("status.podIP");
    assert.ok(container(silo).envFrom[0].configMapRef.name === container(gateway).envFrom[0].configMapRef.name, "one ConfigMap for all");
    this.setting("REX_Clustering").equals("redis");
    this.setting("REX_ApiHost").equals("0.0.0.0");
    assert.ok(this.settings().REX_RedisConnectionString || container(gateway).env.some((e) => e.name === "REX_RedisConnectionString"), "a Redis connection string");

    const gatewayService = this.one("Service", "rex-gateway");
    this.service("rex-gateway").selects(gateway);
    const portNames = container(gateway).ports.map((p) => p.name);
    assert.deepEqual(gatewayService.spec.ports.map((p) => p.targetPort), ["grpc", "http"]);
    for (const port of gatewayService.spec.ports) assert.ok(portNames.includes(port.targetPort), `gateway container port ${port.targetPort}`);
    // Scrapers reach the gateways' /metrics (no API key) on a ClusterIP Service of its own, never on the front door.
    const metricsService = this.one("Service", "rex-gateway-metrics");
    this.service("rex-gateway-metrics").selects(gateway);
    assert.notEqual(metricsService.spec.type, "LoadBalancer", "the metrics Service stays inside the cluster");
    assert.deepEqual(metricsService.spec.ports.map((p) => [p.name, p.targetPort]), [["metrics", "metrics"]]);
    const metricsPort = container(gateway).env.find((e) => e.name === "REX_MetricsPort")?.value ?? this.settings().REX_MetricsPort;
    assert.equal(String(container(gateway).ports.find((p) => p.name === "metrics")?.containerPort), metricsPort, "the gateway listens on its MetricsPort");

    const siloService = this.one("Service", silo.spec.serviceName);
    assert.equal(siloService.spec.clusterIP, "None", "the silo Service is headless");
    this.service(silo.spec.serviceName).selects(silo);
    this.labelsMatch(this.one("PodDisruptionBudget", "rex-silo").spec.selector.matchLabels, podLabels(silo), "the silo budget selects the silos");
    this.podsAreRestricted();
    this.internalPortsAdmitOnlyRex();
    this.secretsReachEveryRexContainer();
  }

  /** Every gateway and silo container gets the data plane's secret from a Secret (never a literal), and the bundled
   * Redis's password where the release runs one: a container without them is refused by its peers. */
  secretsReachEveryRexContainer() {
    const redis = this.all("Deployment").find((d) => d.metadata.name === "rex-redis");
    for (const workload of Object.values(workloads(this))) {
      for (const c of podSpec(workload).containers) {
        const secretOf = (name) => (c.env ?? []).find((e) => e.name === name)?.valueFrom?.secretKeyRef;
        const where = `${workload.metadata.name} container ${c.name}`;
        const dataPlane = secretOf("REX_DataPlaneSecret");
        assert.ok(dataPlane?.name && dataPlane?.key, `${where} env REX_DataPlaneSecret comes from a Secret`);
        const drawn = this.all("Secret").find((s) => s.metadata.name === dataPlane.name);
        if (drawn) assert.ok(dataPlane.key in (drawn.data ?? drawn.stringData ?? {}), `${where}: Secret ${dataPlane.name} has key ${dataPlane.key}`);
        if (!redis) continue;
        const redisPassword = container(redis).env.find((e) => e.name === "REDIS_PASSWORD").valueFrom.secretKeyRef;
        assert.deepEqual(secretOf("REDIS_PASSWORD"), redisPassword, `${where} env REDIS_PASSWORD comes from Redis' own Secret`);
        assert.match((c.env.find((e) => e.name === "REX_RedisConnectionString") ?? {}).value ?? "", /password=\$\(REDIS_PASSWORD\)/, `${where} connects to Redis with the password`);
      }
    }
  }

  /** Every pod the set renders (Rex's, Redis, the test) passes the restricted Pod Security Standard; a hostPath
   * volume the values ask for (a node's model folder) is the one exception, the operator's own choice. */
  podsAreRestricted() {
    const pods = [...this.all("Deployment"), ...this.all("StatefulSet"), ...this.all("Pod")];
    assert.ok(pods.length >= 3, "pods rendered");
    for (const workload of pods) {
      const broken = restrictedViolations(podSpec(workload)).filter((v) => !/is a hostPath$/.test(v));
      assert.deepEqual(broken, [], `${workload.kind} ${workload.metadata.name} meets the restricted Pod Security Standard`);
    }
  }

  /** A NetworkPolicy selects each gateway, silo and Redis pod, and its internal ports admit only gateways and silos. */
  internalPortsAdmitOnlyRex() {
    const { gateway, silo } = workloads(this);
    const redis = this.all("Deployment").find((d) => d.metadata.name === "rex-redis");
    const internal = { gateway: ["orleans-silo", "orleans-gateway"], silo: ["data-plane", "orleans-silo", "orleans-gateway"], redis: ["redis"] };
    const members = [podLabels(gateway), podLabels(silo)];
    for (const [name, workload] of [["gateway", gateway], ["silo", silo], ["redis", redis]]) {
      if (!workload) continue;
      const policies = this.all("NetworkPolicy").filter((p) => Object.entries(p.spec.podSelector.matchLabels ?? {})
        .every(([key, value]) => podLabels(workload)[key] === value));
      assert.equal(policies.length, 1, `one NetworkPolicy selects ${workload.metadata.name}`);
      const [policy] = policies;
      assert.deepEqual(policy.spec.policyTypes, ["Ingress"], `${policy.metadata.name} restricts ingress`);
      for (const port of container(workload).ports ?? []) assert.ok(policy.spec.ingress.some((rule) => (rule.ports ?? []).some((p) => p.port === port.name)),
        `${policy.metadata.name} admits someone on port ${port.name} (a port no rule names is dead)`);
      for (const port of internal[name]) {
        const rules = policy.spec.ingress.filter((rule) => (rule.ports ?? []).some((p) => p.port === port));
        assert.equal(rules.length, 1, `${policy.metadata.name}: one rule admits port ${port}`);
        const from = rules[0].from ?? [];
        assert.ok(from.length > 0, `${policy.metadata.name}: port ${port} is not open to everyone`);
        for (const peer of from) {
          assert.equal(peer.namespaceSelector ?? peer.ipBlock, undefined, `${policy.metadata.name}: port ${port} admits pods of this namespace only`);
          assert.ok(members.some((labels) => Object.entries(peer.podSelector?.matchLabels ?? { none: "" }).every(([k, v]) => labels[k] === v)),
            `${policy.metadata.name}: port ${port} admits ${JSON.stringify(peer.podSelector?.matchLabels)}, not a gateway or silo`);
        }
      }
    }
  }
}

function expectValue(where, actual) {
  return { equals: (value) => assert.equal(actual, value, where) };
}

function workloads(rendered) {
  return { gateway: rendered.one("Deployment", "rex-gateway"), silo: rendered.one("StatefulSet", "rex-silo") };
}

module.exports = { Rendered, workloads };
