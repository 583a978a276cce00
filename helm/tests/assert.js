// What each value set in helm/rex/ci/ (and the plain manifests in k8s/) must render: the objects, GPU requests,
// probes, the settings Rex reads from its environment, and the secrets and volumes behind them.
// Usage: node assert.js RENDERED.yaml... (one file per value set, named after it; k8s.yaml for k8s/).
"use strict";
const assert = require("node:assert/strict");
const { loadManifests } = require("./manifests");
const { workloads, Rendered } = require("./rendered");
const { fitsLaptopNode } = require("./node-fit");

const expectations = {
  default(r) {
    const { gateway, silo } = workloads(r);
    assert.equal(silo.spec.replicas, 2);
    r.env(silo, "REX_Devices").equals("cpu");
    // SIGTERM drains the silo for up to DrainTimeoutSeconds: the grace period must outlast it.
    r.env(silo, "REX_DrainTimeoutSeconds").equals("120");
    assert.equal(silo.spec.template.spec.terminationGracePeriodSeconds, 180);
    r.setting("REX_MinExpertSilos").equals("2");
    r.setting("REX_MaxConcurrentReplicaLoads").equals("4");
    r.setting("REX_Model").equals("");
    assert.equal(r.all("PersistentVolumeClaim").length, 0, "the built-in model needs no volume");
    for (const pod of [gateway, silo]) assert.equal(pod.spec.template.spec.initContainers, undefined, `${pod.metadata.name} downloads nothing`);
    // The defaults are a laptop's: the tiny model on CPU silos, on a 4-CPU 8 GiB kind node.
    fitsLaptopNode(r);
    for (const pod of [gateway, silo]) {
      assert.equal(r.gpus(pod), undefined, `${pod.metadata.name} asks for no GPU`);
      r.env(pod, "REX_RedisConnectionString").equals("rex-redis:6379,password=$(REDIS_PASSWORD)");
      r.env(pod, "REDIS_PASSWORD").fromSecret("rex-redis", "password");
      r.env(pod, "OTEL_EXPORTER_OTLP_ENDPOINT").isAbsent();
      r.env(pod, "REX_ApiKey").isAbsent();
      r.env(pod, "REX_ClusterTlsDirectory").isAbsent();
      assert.ok(!pod.spec.template.spec.volumes.some((v) => v.name === "cluster-tls"), `${pod.metadata.name} mounts no cluster credentials`);
    }
    const redis = r.one("Deployment", "rex-redis");
    // The bundled Redis takes no connection without the release's password, which never appears on a command line.
    assert.deepEqual(redis.spec.template.spec.containers[0].args.slice(-2), ["--requirepass", "$(REDIS_PASSWORD)"]);
    r.env(redis, "REDIS_PASSWORD").fromSecret("rex-redis", "password");
    assert.equal(Buffer.from(r.one("Secret", "rex-redis").data.password, "base64").toString().length, 32);
    // The data plane's secret is drawn at install, as Redis' password is.
    assert.equal(Buffer.from(r.one("Secret", "rex-data-plane").data["data-plane-secret"], "base64").toString().length, 48);
    for (const pod of [gateway, silo]) r.env(pod, "REX_DataPlaneSecret").fromSecret("rex-data-plane", "data-plane-secret");
    r.service("rex-redis").selects(r.one("Deployment", "rex-redis"));
    r.one("PodDisruptionBudget", "rex-silo");
    assert.deepEqual(r.all("Secret").map((s) => s.metadata.name).sort(), ["rex-data-plane", "rex-redis"], "no Secret but the drawn ones without a key to keep");
    assert.equal(r.all("HorizontalPodAutoscaler").length + r.all("ServiceMonitor").length, 0);
    const test = r.one("Pod", "rex-test-generate");
    assert.equal(test.metadata.annotations["helm.sh/hook"], "test");
    const script = test.spec.containers[0].args.join("\n");
    for (const call of ["/health", "/v1/completions"]) assert.match(script, new RegExp(call));
    r.env(test, "REX_URL").equals("http://rex-gateway:8000");
  },

  gpu(r) {
    const { gateway, silo } = workloads(r);
    assert.equal(silo.spec.replicas, 4);
    assert.deepEqual(r.gpus(silo), { requests: "2", limits: "2" });
    r.env(silo, "REX_Devices").equals("cuda:0,cuda:1");
    assert.equal(r.gpus(gateway), undefined, "the gateway runs on the CPU");
    r.env(gateway, "REX_GatewayDevice").equals("cpu");
    assert.equal(silo.spec.template.spec.runtimeClassName, "nvidia");
    assert.equal(silo.spec.template.spec.tolerations[0].key, "nvidia.com/gpu");
    r.setting("REX_Model").equals("/models/dbrx-instruct");
    r.setting("REX_DType").equals("bfloat16");
    r.setting("REX_ExpertReplicas").equals("2");
    r.setting("REX_MinExpertSilos").equals("4");
    // A real checkpoint keeps the big requests the laptop defaults leave out.
    for (const pod of [gateway, silo]) assert.deepEqual(pod.spec.template.spec.containers[0].resources.requests, { cpu: "2", memory: "8Gi", ...(pod === silo ? { "nvidia.com/gpu": "2" } : {}) });
    for (const pod of [gateway, silo]) {
      r.modelVolume(pod, { persistentVolumeClaim: { claimName: "rex-models", readOnly: true } });
      r.env(pod, "OTEL_EXPORTER_OTLP_ENDPOINT").equals("http://otel-collector.observability:4317");
    }
  },

  secure(r) {
    const { gateway, silo } = workloads(r);
    const secret = r.one("Secret", "rex");
    assert.equal(Buffer.from(secret.data["api-key"], "base64").toString(), "test-key");
    for (const pod of [gateway, silo]) r.env(pod, "REX_ApiKey").fromSecret("rex", "api-key");
    r.env(r.one("Pod", "rex-test-generate"), "REX_API_KEY").fromSecret("rex", "api-key");
    r.mount(gateway, "tls", "/etc/rex/tls", { secret: { secretName: "rex-tls" } });
    // Every gateway and silo presents the cluster's certificate and checks its peers' against its CA.
    for (const pod of [gateway, silo]) {
      r.mount(pod, "cluster-tls", "/etc/rex/cluster-tls", { secret: { secretName: "rex-cluster-tls" } });
      r.env(pod, "REX_ClusterTlsDirectory").equals("/etc/rex/cluster-tls");
    }
    r.env(gateway, "REX_TlsCertificatePath").equals("/etc/rex/tls/tls.crt");
    r.env(gateway, "REX_TlsKeyPath").equals("/etc/rex/tls/tls.key");
    const container = gateway.spec.template.spec.containers[0];
    for (const probe of ["startupProbe", "readinessProbe"]) assert.equal(container[probe].httpGet.scheme, "HTTPS", probe);
    r.env(r.one("Pod", "rex-test-generate"), "REX_URL").equals("https://rex-gateway:8000");
    r.modelVolume(silo, { hostPath: { path: "/srv/models", type: "Directory" } });
    r.setting("REX_Model").equals("/models/dbrx-tiny");
  },

  download(r) {
    const { gateway, silo } = workloads(r);
    fitsLaptopNode(r);
    const claim = r.one("PersistentVolumeClaim", "rex-models");
    assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
    assert.equal(claim.spec.storageClassName, "standard");
    assert.equal(claim.spec.resources.requests.storage, "2Gi");
    assert.equal(claim.metadata.annotations["helm.sh/resource-policy"], "keep", "uninstall keeps the downloaded model");
    // The containers that serve only read the model; the volume itself stays writable for the download.
    for (const pod of [gateway, silo]) r.modelVolume(pod, { persistentVolumeClaim: { claimName: "rex-models" } });
    r.setting("REX_Model").equals("/models/dbrx-tiny");
    // One downloader, in the pod that reads the weights first, with the gateway's image (it carries the rex command).
    assert.equal(silo.spec.template.spec.initContainers, undefined, "silos download nothing");
    const [download, ...others] = gateway.spec.template.spec.initContainers;
    assert.equal(others.length, 0, "one init container");
    assert.equal(download.image, gateway.spec.template.spec.containers[0].image);
    assert.deepEqual(download.command, ["dotnet", "/app/rex.dll", "model", "download", "rex-tests/dbrx-tiny", "--revision", "v1", "--dir", "/models/dbrx-tiny"]);
    r.containerEnv(download, "download-model env HF_ENDPOINT", "HF_ENDPOINT").equals("https://hf-mirror.example");
    r.containerEnv(download, "download-model env HF_TOKEN", "HF_TOKEN").fromSecret("hf-token", "token");
    assert.deepEqual(download.volumeMounts.find((m) => m.name === "model"), { name: "model", mountPath: "/models" }, "the download writes to /models");
    assert.equal(gateway.spec.template.spec.securityContext.fsGroupChangePolicy, "OnRootMismatch", "the images' user may write to the claim");
  },

  external(r) {
    const { gateway, silo } = workloads(r);
    assert.equal(r.all("Deployment").filter((d) => d.metadata.name === "rex-redis").length, 0, "no Redis in the release");
    const secret = r.one("Secret", "rex");
    assert.equal(Buffer.from(secret.data["redis-connection-string"], "base64").toString(), "redis.shared:6379,password=secret");
    assert.equal(secret.data["api-key"], undefined, "the key stays in the user's Secret");
    for (const pod of [gateway, silo]) {
      r.env(pod, "REX_RedisConnectionString").fromSecret("rex", "redis-connection-string");
      r.env(pod, "REX_ApiKey").fromSecret("rex-credentials", "token");
      r.env(pod, "REX_DataPlaneSecret").fromSecret("rex-credentials", "data-plane");
    }
    assert.deepEqual(r.all("Secret").map((s) => s.metadata.name), ["rex"], "the data plane's secret stays in the user's Secret");
    const hpa = r.one("HorizontalPodAutoscaler", "rex-gateway");
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "rex-gateway" });
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [2, 6]);
    assert.equal(gateway.spec.replicas, undefined, "the autoscaler owns the gateway's replicas");
    // Both scrape a metrics port, the gateways' on a Service of its own: the front door does not carry it.
    for (const [component, serviceName] of [["gateway", "rex-gateway-metrics"], ["silo", "rex-silo"]]) {
      const monitor = r.one("ServiceMonitor", `rex-${component}`);
      assert.equal(monitor.metadata.labels.release, "prometheus");
      assert.deepEqual(monitor.spec.endpoints.map((e) => [e.port, e.path]), [["metrics", "/metrics"]]);
      const service = r.one("Service", serviceName);
      r.labelsMatch(monitor.spec.selector.matchLabels, service.metadata.labels, `${monitor.metadata.name} selects ${service.metadata.name}`);
      assert.ok(service.spec.ports.some((p) => p.name === "metrics"), `${service.metadata.name} has port metrics`);
    }
  },

  k8s(r) {
    const { gateway, silo } = workloads(r);
    assert.deepEqual(r.gpus(silo), { requests: "1", limits: "1" });
    r.env(silo, "REX_Devices").equals("cuda:0");
    for (const pod of [gateway, silo]) {
      r.env(pod, "REX_RedisConnectionString").equals("rex-redis:6379,password=$(REDIS_PASSWORD)");
      r.env(pod, "REDIS_PASSWORD").fromSecret("rex-redis", "password");
    }
    const redis = r.one("Deployment", "rex-redis");
    r.env(redis, "REDIS_PASSWORD").fromSecret("rex-redis", "password");
    // Without a password Redis does not start at all: it would serve membership to anyone on the network.
    assert.match(redis.spec.template.spec.containers[0].args.join(" "), /-z "\$REDIS_PASSWORD".*exit 1.*--requirepass "\$REDIS_PASSWORD"/s);
    r.service("rex-redis").selects(redis);
    r.env(gateway, "REX_ApiKey").fromSecret("rex", "api-key");
    assert.deepEqual(r.one("PersistentVolumeClaim", "rex-models").spec.accessModes, ["ReadWriteOnce"]);
    for (const pod of [gateway, silo]) r.modelVolume(pod, { persistentVolumeClaim: { claimName: "rex-models", readOnly: true } });
  },
};

let passed = 0;
const failures = [];
const files = process.argv.slice(2);
for (const set of Object.keys(expectations)) {
  const file = files.find((f) => f.endsWith(`/${set}.yaml`) || f === `${set}.yaml`);
  if (!file) {
    failures.push(`${set}: nothing rendered`);
    continue;
  }
  const r = new Rendered(loadManifests(file));
  for (const [name, check] of [["every set", (x) => x.common()], [set, expectations[set]]]) {
    try {
      check(r);
      passed++;
    } catch (error) {
      failures.push(`${set} (${name}): ${error.message}`);
    }
  }
}
for (const file of files) {
  const set = file.replace(/^.*\//, "").replace(/\.yaml$/, "");
  if (!(set in expectations)) failures.push(`${set}: a value set without expectations in assert.js`);
}
for (const failure of failures) console.log(`FAIL ${failure}`);
console.log(`assertions: ${passed} passed, ${failures.length} failed`);
process.exitCode = failures.length === 0 ? 0 : 1;
