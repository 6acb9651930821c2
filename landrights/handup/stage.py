"""Stage the ownership tables: one temporary table per NY/T table (fields.STAGE), filled by binary
COPY a batch at a time, then indexed on the codes the rules and the entry join on."""
from __future__ import annotations

from sqlalchemy.orm import Session

from landrights.handup import fields
from landrights.handup.package import Ownership, read_table

# the codes each staging table is joined on
_INDEXES = {
    "hu_fbf": ("fbfbm",), "hu_cbf": ("cbfbm",), "hu_jtcy": ("cbfbm", "cyzjhm"),
    "hu_cbht": ("cbhtbm", "cbfbm"), "hu_cbdkxx": ("dkbm", "cbhtbm", "cbfbm"),
    "hu_djb": ("cbjyqzbm",), "hu_qz": ("cbjyqzbm",), "hu_bf": ("cbjyqzbm",),
    "hu_hf": ("cbjyqzbm",), "hu_zx": ("cbjyqzbm",),
}


def stage_ownership(session: Session, owner: Ownership) -> dict[str, int]:
    """COPY every NY/T table of the package into its staging table; return rows read per table
    (a table the package lacks is staged empty)."""
    conn = session.connection()
    read = {}
    for table, stage in fields.STAGE.items():
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage}")
        conn.exec_driver_sql(fields.ddl(table))
        read[table] = _copy(session, owner, table)
    for stage, names in _INDEXES.items():
        for name in names:
            conn.exec_driver_sql(f"CREATE INDEX ON {stage} ({name})")
        conn.exec_driver_sql(f"ANALYZE {stage}")
    return read


def _copy(session: Session, owner: Ownership, table: str) -> int:
    cursor = session.connection().connection.driver_connection.cursor()
    names = fields.columns(table)
    n = 0
    with cursor.copy(f"COPY {fields.STAGE[table]} ({', '.join(names)}) FROM STDIN "
                     "(FORMAT BINARY)") as copy:
        copy.set_types(fields.copy_types(table))
        for batch in read_table(owner, table):
            staged = fields.stage_columns(table, n + 1, batch)
            for row in zip(*staged, strict=True):
                copy.write_row(row)
            n += len(staged[0])
    return n
