#!/usr/bin/env bash
# The README's first command: set up, build, and run a demo server with a live lesson.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec build/classbridge demo "$@"
