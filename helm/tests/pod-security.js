// Kubernetes' restricted Pod Security Standard (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
// as the admission controller applies it to a pod spec: what would make a namespace labelled
// pod-security.kubernetes.io/enforce=restricted refuse the pod. Plus a read-only root filesystem, which Rex asks of
// its own pods beyond the standard.
"use strict";

/** Every rule of the restricted profile the pod spec breaks, as sentences; [] when it would be admitted. */
function restrictedViolations(spec) {
  const found = [];
  const containers = [...(spec.initContainers ?? []), ...spec.containers];
  const pod = spec.securityContext ?? {};
  for (const field of ["hostNetwork", "hostPID", "hostIPC"]) if (spec[field]) found.push(`${field} is set`);
  for (const volume of spec.volumes ?? []) if (volume.hostPath) found.push(`volume ${volume.name} is a hostPath`);
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged) found.push(`${where} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) found.push(`${where} does not set allowPrivilegeEscalation: false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) found.push(`${where} does not drop ALL capabilities`);
    for (const added of sc.capabilities?.add ?? []) if (added !== "NET_BIND_SERVICE") found.push(`${where} adds capability ${added}`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) found.push(`${where} may run as root (runAsNonRoot)`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) found.push(`${where} runs as uid 0`);
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") found.push(`${where} has no RuntimeDefault or Localhost seccomp profile`);
    for (const port of c.ports ?? []) if (port.hostPort) found.push(`${where} uses hostPort ${port.hostPort}`);
    if (sc.readOnlyRootFilesystem !== true) found.push(`${where} has a writable root filesystem`);
  }
  return found;
}

module.exports = { restrictedViolations };
