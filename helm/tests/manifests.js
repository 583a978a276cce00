// Reads rendered manifest files (`helm template`, `kubectl kustomize`) into plain objects.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const YAML = require("yaml");

/** Every object of one file, as { set, label, object }: set is the file's name without .yaml. */
function loadManifests(file) {
  const set = path.basename(file, ".yaml");
  // uniqueKeys: a key written twice (a value set overriding a setting the template also writes) is an error.
  const documents = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { uniqueKeys: true });
  const objects = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join("; ")}`);
    const object = document.toJS();
    if (object === null || object === undefined) continue;
    // helm names the template in a "# Source:" comment, which the parser attaches to the document's first node.
    const source = /Source: (\S+)/.exec(document.contents?.commentBefore ?? "")?.[1];
    const label = `${set}: ${object.kind}/${object.metadata?.name}${source ? ` (${source})` : ""}`;
    objects.push({ set, label, object });
  }
  return objects;
}

module.exports = { loadManifests };
