#!/usr/bin/env bash
# Rewrite migrations/schema.sql: a throwaway PostGIS cluster, a new database migrated to head,
# pg_dump --schema-only normalised (landrights/schema_snapshot.py). Commit the result with the migration.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test >/dev/null
exec .venv/bin/python -m landrights.schema_snapshot "$@"
