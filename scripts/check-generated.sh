#!/usr/bin/env bash
# Fail, with the diff, when generated/ is not what the spec and the pinned generator produce.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/generate-client.sh >/dev/null
drift="$(git status --porcelain -- generated/)"
if [ -n "$drift" ]; then
  echo "generated/ differs from what spec/qflow-customers.openapi.yaml produces:" >&2
  echo "$drift" >&2
  git --no-pager diff --stat -- generated/ >&2
  git --no-pager diff -- generated/ >&2
  echo "Run 'make generate' and commit generated/ with the spec change." >&2
  exit 1
fi
echo "generated/ matches the spec."
