#!/usr/bin/env bash
# Regenerate generated/ from the spec: an empty folder, the pinned generator, the committed config.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(cd "${VENV_BIN:-.venv/bin}" && pwd)"
# the generator runs ruff from PATH as its post-hook: make it the pinned one
export PATH="$BIN:$PATH"
rm -rf generated
"$BIN/openapi-python-client" generate \
  --path spec/qflow-customers.openapi.yaml \
  --config openapi-python-client.yaml \
  --meta uv \
  --custom-template-path scripts/client-templates \
  --output-path generated
rm -rf generated/.ruff_cache
