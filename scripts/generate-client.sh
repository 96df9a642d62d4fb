#!/usr/bin/env bash
# Regenerate the client from the spec: an empty folder, the pinned generator, the committed config and
# template overrides. Writes generated/ (or the folder given as $1) and prints what it did in a few lines;
# the generator's accepted warnings are summarised, any other output is printed in full.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(cd "${VENV_BIN:-.venv/bin}" && pwd)"
OUT="${1:-generated}"
# the generator runs ruff from PATH as its post-hook: make it the pinned one
export PATH="$BIN:$PATH"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
rm -rf "$OUT"
if ! "$BIN/openapi-python-client" generate \
  --path spec/qflow-customers.openapi.yaml \
  --config openapi-python-client.yaml \
  --meta uv \
  --custom-template-path scripts/client-templates \
  --output-path "$OUT" >"$log" 2>&1; then
  cat "$log" >&2
  echo "generate: openapi-python-client could not generate the client from spec/qflow-customers.openapi.yaml" >&2
  exit 1
fi
rm -rf "$OUT/.ruff_cache"
"$BIN/python" scripts/generator_output.py "$OUT" <"$log"
# the version check of spec-diff against the last commit: a warning, never a failure (a spec in the
# middle of an edit may not have its version raised yet)
if [ "$OUT" = generated ] && git rev-parse -q --verify HEAD:spec/qflow-customers.openapi.yaml >/dev/null 2>&1; then
  "$BIN/qflow-contracts" spec-diff HEAD spec/qflow-customers.openapi.yaml --format json --fail-on never 2>/dev/null |
    "$BIN/python" scripts/version_warning.py || true
fi
