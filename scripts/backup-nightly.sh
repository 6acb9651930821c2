#!/bin/sh
# Nightly backup (docs/operations.md, Backups): `landrights backup` into DIR as
# landrights-<UTC time>.tar, then keep only the newest KEEP of them (default 14). Old backups are
# removed only after the new one is complete, so a failed night never leaves fewer copies.
#   scripts/backup-nightly.sh DIR [KEEP]
# Runs with the service's environment (LANDRIGHTS_INSTANCE, DATABASE_URL, ...); LANDRIGHTS names
# the command (default: landrights on PATH).
set -eu
dir=${1:?usage: backup-nightly.sh DIR [KEEP]}
keep=${2:-14}
case $keep in '' | *[!0-9]* | 0) echo "KEEP must be a whole number of 1 or more, not '$keep'" >&2; exit 2 ;; esac
landrights=${LANDRIGHTS:-landrights}
out="$dir/landrights-$(date -u +%Y%m%dT%H%M%SZ).tar"
"$landrights" backup "$out"
# the checksum of the whole file, kept in the journal: compare it before trusting an old copy
sha256sum "$out"
# complete backups only have this name (an interrupted one is a *.partial-* folder, which the
# next backup removes); the names sort by time
ls -1 "$dir" | grep -E '^landrights-[0-9]{8}T[0-9]{6}Z\.tar$' | sort -r | tail -n +"$((keep + 1))" |
    while read -r old; do
        rm -f -- "$dir/$old"
        echo "removed the old backup $dir/$old"
    done
