#!/usr/bin/env bash
# Regenerate into a temporary folder and compare it with generated/: exit 0 when they are the same
# (committed or not), 1 with a readable diff when they differ, 2 when the client cannot be generated.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! scripts/generate-client.sh "$tmp/generated" >"$tmp/log" 2>&1; then
  cat "$tmp/log" >&2
  exit 2
fi
if diff -ruN --exclude=__pycache__ --exclude=.ruff_cache generated "$tmp/generated" >"$tmp/diff"; then
  echo "generated/ matches the spec."
  exit 0
fi
{
  echo "generated/ differs from what spec/qflow-customers.openapi.yaml produces (- generated/, + the spec):"
  diff -rqN --exclude=__pycache__ --exclude=.ruff_cache generated "$tmp/generated" |
    sed -e "s#^Files \(.*\) and $tmp/generated/.* differ#  \1#" || true
  # file headers without timestamps, named generated/ and regenerated/
  sed -E -e "s#$tmp/generated#regenerated#g" -e '/^diff -ruN /d' -e 's#^(---|\+\+\+) ([^\t]*)\t.*#\1 \2#' "$tmp/diff"
  echo "Run 'make generate' and commit generated/ with the spec change; never edit generated/ by hand."
} >&2
exit 1
