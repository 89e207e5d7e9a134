#!/usr/bin/env bash
# Run every benchmark, from the workspace root. Extra arguments (e.g. --repeat 3) go to each script.
set -euo pipefail
cd "$(dirname "$0")/.."

for name in startup pipeline floor scale; do
    echo "=== bench/${name}.py"
    uv run --all-packages python "bench/${name}.py" "$@"
    echo
done
