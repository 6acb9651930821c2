#!/usr/bin/env bash
# Fuzz the JSON API with schemathesis, every phase and check, in-process, for SECONDS per account
# (the township officer, the county administrator, anonymous) on a throwaway demo database:
#   scripts/fuzz-api.sh [SECONDS]            (default 300)
# Prints each distinct finding with a curl line to reproduce it; exits 1 if there is any.
# The test suite runs the same with a small derandomized budget (tests/security/test_api_fuzz.py).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
exec .venv/bin/python -m tests.security.fuzz --seconds "${1:-300}"
