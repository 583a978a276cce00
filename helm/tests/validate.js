// Validates rendered manifests against the Kubernetes API, offline, with the schemas the kubernetes-models
// package generates from Kubernetes' OpenAPI spec. Two passes, because the OpenAPI schemas allow unknown fields:
//   1. its ajv validators: types, required fields, enums and formats of every field;
//   2. TypeScript, against the same package's interfaces: each object written as a typed literal, so a field
//      the API does not have (misspelt, or indented under the wrong parent) is an error. The API server would
//      drop it or refuse it, depending on its field validation.
// Usage: node validate.js RENDERED.yaml... (run with node_modules beside the working directory; see test-chart.sh).
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { loadManifests } = require("./manifests");

// Custom resources the chart renders that kubernetes-models does not know; assert.js checks their shape.
const customKinds = new Set(["monitoring.coreos.com/v1/ServiceMonitor"]);

const objects = process.argv.slice(2).flatMap(loadManifests);
const failures = [];
const typed = [];
for (const { label, object } of objects) {
  const type = `${object.apiVersion}/${object.kind}`;
  if (customKinds.has(type)) continue;
  let model;
  try {
    model = require(`kubernetes-models/${type}`)[object.kind];
  } catch {
    failures.push(`${label}: ${type} is not a Kubernetes API type`);
    continue;
  }
  try {
    new model(object).validate();
  } catch (error) {
    failures.push(`${label}: ${error.message}`);
  }
  typed.push({ label, object, type });
}

// One typed constant per object; lines maps each line of the file back to the object written there.
const lines = [];
const source = [];
typed.forEach(({ label, object, type }, i) => {
  const text = [`import type { I${object.kind} as T${i} } from "kubernetes-models/${type}";`,
    `export const o${i}: T${i} = ${JSON.stringify(object, null, 2)};`].join("\n");
  lines.push(...text.split("\n").map(() => label));
  source.push(text);
});
fs.writeFileSync("manifests.ts", source.join("\n") + "\n");
try {
  const tsc = path.join(path.dirname(require.resolve("typescript/package.json")), "bin", "tsc");
  execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--pretty", "false", "manifests.ts"],
    { encoding: "utf8", stdio: "pipe" });
} catch (error) {
  for (const line of `${error.stdout}`.split("\n").filter(Boolean)) {
    const at = /^manifests\.ts\((\d+),\d+\): (.*)$/.exec(line);
    failures.push(at ? `${lines[Number(at[1]) - 1]}: ${at[2]}` : line);
  }
  if (failures.length === 0) failures.push(`tsc failed: ${error.stderr || error.message}`);
}

for (const failure of failures) console.log(`FAIL ${failure}`);
console.log(`schemas: ${objects.length} objects, ${failures.length} problems`);
process.exitCode = failures.length === 0 ? 0 : 1;
