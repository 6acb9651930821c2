"""Backups that restore (issue 20 §2): `landrights backup OUT` and `landrights restore IN`.

A backup is one tar file: `manifest.json` first (format, time, app version, schema revision, row
counts per table, the SHA-256 and size of every part), then `database.dump` (pg_dump custom
format, taken in one exported snapshot together with the row counts), then `instance/…`: every
file of the instance folder except the embedded cluster (pgdata), temporary files (tmp), logs and
backups kept there. Evidence scans and signed papers live in the database (bytea), not in files.

It is written as `OUT.partial-<pid>-<token>/backup.tar` and renamed to OUT only when complete, so a
backup killed halfway leaves no file restore accepts; restore checks every part against the
manifest before it touches the database, and loads the dump in one transaction.

    archive.py   the file: what goes in, the manifest, writing it atomically, reading it back checked
    database.py  the database: snapshot + row counts + pg_dump; restore through psql in one transaction
    cli.py       the two commands
"""
