#!/usr/bin/env bash
# Vendor third-party browser assets into landrights/static/vendor/ so nothing is fetched from a
# CDN at run time: Leaflet and leaflet.vectorgrid (from the npm registry, via `npm pack`).
# Idempotent: re-running replaces the vendored files with the same release.
# Usage: scripts/vendor-static.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LEAFLET_VERSION="1.9.4"
VECTORGRID_VERSION="1.3.0"
dest="landrights/static/vendor/leaflet"
vg_dest="landrights/static/vendor/vectorgrid"

command -v npm >/dev/null || { echo "vendor-static: npm is required (apt-get install npm)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "vendor-static: npm pack leaflet@${LEAFLET_VERSION}"
tarball=$(cd "$work" && npm pack --silent "leaflet@${LEAFLET_VERSION}" | tail -n 1)
tar -xzf "$work/$tarball" -C "$work"
pkg="$work/package"

got=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json" | head -n 1)
if [ "$got" != "$LEAFLET_VERSION" ]; then
  echo "vendor-static: expected leaflet ${LEAFLET_VERSION}, got '${got}'" >&2
  exit 1
fi
for f in dist/leaflet.js dist/leaflet.css LICENSE; do
  [ -f "$pkg/$f" ] || { echo "vendor-static: $f missing from the leaflet package" >&2; exit 1; }
done

rm -rf "$dest"
mkdir -p "$dest/images"
cp "$pkg/dist/leaflet.js" "$pkg/dist/leaflet.css" "$pkg/LICENSE" "$dest/"
cp "$pkg/dist/images/"* "$dest/images/"
echo "$LEAFLET_VERSION" > "$dest/VERSION"

echo "vendor-static: leaflet ${LEAFLET_VERSION} -> ${dest}/"

# leaflet.vectorgrid: the bundled build (it includes pbf and vector-tile). Its package carries no
# LICENSE file; the licence (Beerware) is stated in its README, which is copied as LICENSE.
echo "vendor-static: npm pack leaflet.vectorgrid@${VECTORGRID_VERSION}"
rm -rf "$pkg"
tarball=$(cd "$work" && npm pack --silent "leaflet.vectorgrid@${VECTORGRID_VERSION}" | tail -n 1)
tar -xzf "$work/$tarball" -C "$work"
got=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json" | head -n 1)
if [ "$got" != "$VECTORGRID_VERSION" ]; then
  echo "vendor-static: expected leaflet.vectorgrid ${VECTORGRID_VERSION}, got '${got}'" >&2
  exit 1
fi
bundle="$pkg/dist/Leaflet.VectorGrid.bundled.min.js"
[ -f "$bundle" ] || { echo "vendor-static: $bundle missing" >&2; exit 1; }
grep -q "BEER-WARE LICENSE" "$pkg/README.md" || { echo "vendor-static: licence text not found" >&2; exit 1; }
rm -rf "$vg_dest"
mkdir -p "$vg_dest"
cp "$bundle" "$vg_dest/"
{ echo "leaflet.vectorgrid ${VECTORGRID_VERSION} (https://github.com/Leaflet/Leaflet.VectorGrid)"
  echo "licence as stated in its package.json (\"Beerware\") and README:"
  echo
  sed -n '/BEER-WARE LICENSE/,/^-----/p' "$pkg/README.md"
  echo
  echo "The bundle includes pbf and vector-tile (BSD licence, Mapbox)."; } > "$vg_dest/LICENSE"
echo "$VECTORGRID_VERSION" > "$vg_dest/VERSION"
echo "vendor-static: leaflet.vectorgrid ${VECTORGRID_VERSION} -> ${vg_dest}/"

for d in "$dest" "$vg_dest"; do
  (cd "$d" && find . -type f | sort | while read -r f; do
    printf '  %-36s %8s bytes\n' "${d##*/}/${f#./}" "$(wc -c < "$f")"
  done)
done
