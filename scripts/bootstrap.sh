#!/usr/bin/env bash
# Install what landrights needs, once, then return quickly on later calls:
#   Debian packages: PostgreSQL 15 + PostGIS 3, Noto CJK fonts, Pango/HarfBuzz for WeasyPrint's
#   PDFs, python3-venv, mdbtools (the Access database of a hand-up package) (and for the tests:
#   Chromium, poppler-utils to read PDFs, zbar-tools to decode QR codes, gdal-bin: GDAL's
#   ogrinfo/ogr2ogr read the exports and the OGC API); then the Python virtual environment .venv
#   with the project installed.
# Usage: scripts/bootstrap.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-run}"

packages=()
pg_ok=""
for bin in /usr/lib/postgresql/*/bin/initdb; do
  [ -x "$bin" ] || continue
  ver=$(basename "$(dirname "$(dirname "$bin")")")
  if [ "$ver" -ge 15 ] && [ -f "/usr/share/postgresql/$ver/extension/postgis.control" ]; then pg_ok=$ver; fi
done
[ -n "$pg_ok" ] || packages+=(postgresql-15 postgresql-15-postgis-3)
# (no `fc-list | grep -q`: under pipefail grep's early exit fails the pipeline)
if ! command -v fc-list >/dev/null || [ -z "$(fc-list ':family=Noto Sans CJK SC' family)" ]; then
  packages+=(fonts-noto-cjk)
fi
python3 -c "import ensurepip, venv" 2>/dev/null || packages+=(python3-venv)
# mdbtools: mdb-tables/mdb-export read the Access database of a county's hand-up package
command -v mdb-export >/dev/null || packages+=(mdbtools)
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
if command -v dpkg-query >/dev/null; then
  for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do
    installed "$pkg" || packages+=("$pkg")
  done
fi
if [ "$purpose" = test ]; then
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  command -v pdftotext >/dev/null || packages+=(poppler-utils)
  command -v ogrinfo >/dev/null || packages+=(gdal-bin)
  command -v zbarimg >/dev/null || packages+=(zbar-tools)
fi

if [ ${#packages[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null; then sudo="sudo"; else
        echo "landrights needs: apt-get install ${packages[*]}  (run it as root, then again)" >&2
        exit 1
      fi
    fi
    echo "安装系统软件包 / installing Debian packages: ${packages[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
  else
    echo "landrights needs PostgreSQL >= 15 with PostGIS >= 3.3, Noto CJK fonts and Python 3.11 venv." >&2
    echo "This is not Debian/Ubuntu: install them with your package manager, for example" >&2
    echo "  dnf install postgresql15-server postgis33_15 google-noto-sans-cjk-fonts python3.11" >&2
    echo "or set DATABASE_URL to a PostgreSQL server with PostGIS." >&2
    exit 1
  fi
fi

python=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python=$candidate; break
  fi
done
if [ -z "$python" ]; then
  echo "landrights needs Python 3.11 (Debian 12: apt-get install python3 python3-venv)" >&2
  exit 1
fi

stamp=.venv/.landrights-installed
if [ ! -x .venv/bin/python ] || [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "准备 Python 环境 / preparing .venv …" >&2
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -e '.[test]' >&2
  touch "$stamp"
fi
