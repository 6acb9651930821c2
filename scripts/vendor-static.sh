#!/usr/bin/env bash
# Vendor third-party browser assets into landrights/static/vendor/ so nothing is fetched from a
# CDN at run time. Today: Leaflet (from the npm registry, via `npm pack`).
# Idempotent: re-running replaces the vendored files with the same release.
# Usage: scripts/vendor-static.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LEAFLET_VERSION="1.9.4"
dest="landrights/static/vendor/leaflet"

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
(cd "$dest" && find . -type f | sort | while read -r f; do
  printf '  %-28s %8s bytes\n' "${f#./}" "$(wc -c < "$f")"
done)
