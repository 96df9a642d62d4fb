#!/usr/bin/env bash
# Regenerate generated/ from the spec: an empty folder, the pinned generator, the committed config.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV_BIN:-.venv/bin}"
# the generator runs ruff from PATH as its post-hook: make it the pinned one
export PATH="$PWD/$BIN:$PATH"
rm -rf generated
"$BIN/openapi-python-client" generate \
  --path spec/qflow-customers.openapi.yaml \
  --config openapi-python-client.yaml \
  --meta uv \
  --output-path generated
rm -rf generated/.ruff_cache
