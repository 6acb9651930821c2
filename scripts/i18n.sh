#!/usr/bin/env bash
# Refresh the message catalogs after changing user-visible text:
#   extract -> update zh/en .po -> (translate the new entries in landrights/translations/zh) -> compile.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin
$py/pybabel extract -F babel.cfg -k _l -o landrights/translations/messages.pot . >/dev/null 2>&1
$py/pybabel update -i landrights/translations/messages.pot -d landrights/translations --no-fuzzy-matching >/dev/null 2>&1
$py/pybabel compile -d landrights/translations --statistics
