"""survey import and quality rules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 20:00:02.442431
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# --- hand-written: the seeded quality rules (data; a county switches them per moment) -----------
# Each SQL body runs over the import's temporary table survey_stage(row_no, parcel_code, ok, geom,
# surveyed_area_m2, east, south, west, north, ...) with :collective and :params (the rule's params
# as JSON) bound, and returns (row_no, parcel_code, params jsonb, location geometry).

TOL = "(CAST(:params AS jsonb) ->> '{}')::float"

RULES = [
    ("geom_valid", "parcel", "critical", "R4.18",
     "图形必须是有效、非空的面", "Geometry must be a valid, non-empty polygon",
     "图形无效：{reason}", "Invalid geometry: {reason}", "sql", """
SELECT row_no, parcel_code,
       jsonb_build_object('reason', CASE
           WHEN geom IS NULL OR ST_IsEmpty(geom) THEN 'empty geometry'
           WHEN GeometryType(geom) NOT IN ('POLYGON', 'MULTIPOLYGON') THEN 'not a polygon: ' || GeometryType(geom)
           ELSE ST_IsValidReason(geom) END),
       CASE WHEN geom IS NOT NULL AND NOT ST_IsEmpty(geom)
            THEN coalesce((ST_IsValidDetail(geom)).location, ST_PointOnSurface(geom)) END
FROM survey_stage WHERE NOT ok""", {}),
    ("area_positive", "parcel", "critical", "R4.18",
     "面积必须大于零", "Area must be greater than zero",
     "地块面积为 {area_m2} 平方米", "The parcel's area is {area_m2} m²", "sql", """
SELECT row_no, parcel_code, jsonb_build_object('area_m2', round(ST_Area(geom::geography)::numeric, 2)),
       ST_PointOnSurface(geom)
FROM survey_stage WHERE ok AND ST_Area(geom::geography) <= 0""", {}),
    ("code_format", "parcel", "critical", "R4.7",
     "地块代码为 19 位数字，以发包方编码开头", "Parcel code is 19 digits starting with the collective's code",
     "地块代码 {code} 不是以发包方 {collective} 开头的 19 位数字",
     "Parcel code {code} is not 19 digits starting with collective {collective}", "sql", """
SELECT row_no, parcel_code, jsonb_build_object('code', coalesce(parcel_code, ''), 'collective', CAST(:collective AS text)),
       NULL::geometry
FROM survey_stage
WHERE parcel_code IS NULL OR parcel_code !~ '^[0-9]{19}$' OR left(parcel_code, 14) <> :collective""", {}),
    ("code_unique_file", "parcel", "critical", "R4.7",
     "地块代码在文件中唯一", "Parcel code is unique in the file",
     "地块代码 {code} 在文件中出现 {count} 次", "Parcel code {code} occurs {count} times in the file",
     "sql", """
SELECT row_no, parcel_code, jsonb_build_object('code', parcel_code, 'count', n), NULL::geometry
FROM (SELECT row_no, parcel_code, count(*) OVER (PARTITION BY parcel_code) AS n
      FROM survey_stage WHERE parcel_code IS NOT NULL) s
WHERE n > 1""", {}),
    ("code_unique_registry", "parcel", "critical", "R4.7",
     "地块代码不得重用已注销地块的代码", "A parcel code may not reuse the code of a retired parcel",
     "地块代码 {code} 属于已注销的地块，分割或合并须使用新代码",
     "Parcel code {code} belongs to a retired parcel; splits and merges take new codes", "sql", """
SELECT s.row_no, s.parcel_code, jsonb_build_object('code', s.parcel_code), NULL::geometry
FROM survey_stage s
WHERE EXISTS (SELECT 1 FROM parcels p WHERE p.county_code = left(s.parcel_code, 6) AND p.code = s.parcel_code)
  AND NOT EXISTS (SELECT 1 FROM parcels p WHERE p.county_code = left(s.parcel_code, 6)
                  AND p.code = s.parcel_code AND p.valid_to IS NULL)""", {}),
    ("overlap_file", "parcel", "critical", "R4.18",
     "文件内地块不得重叠（超过容差）", "Parcels of the file may not overlap beyond the tolerance",
     "地块 {code} 与文件中的地块 {other_code} 重叠 {overlap_m2} 平方米",
     "Parcel {code} overlaps parcel {other_code} of the file by {overlap_m2} m²", "sql", f"""
SELECT v.row_no, v.parcel_code,
       jsonb_build_object('code', v.parcel_code, 'other_code', v.other_code, 'overlap_m2', round(y.m2::numeric, 2)),
       x.g
FROM survey_stage a
JOIN survey_stage b ON a.row_no + 0 < b.row_no + 0 AND a.geom && b.geom AND a.ok AND b.ok  -- each pair once
     AND ST_Relate(a.geom, b.geom, '2********')
CROSS JOIN LATERAL (SELECT ST_Intersection(a.geom, b.geom) AS g) x
CROSS JOIN LATERAL (SELECT ST_Area(x.g::geography) AS m2) y
CROSS JOIN LATERAL (VALUES (a.row_no, a.parcel_code, b.parcel_code),
                           (b.row_no, b.parcel_code, a.parcel_code)) AS v(row_no, parcel_code, other_code)
WHERE y.m2 > {TOL.format('tolerance_m2')}""", {"tolerance_m2": 1.0}),
    ("overlap_registry", "parcel", "critical", "R4.18",
     "不得与登记簿中的现势地块重叠（超过容差）", "Parcels may not overlap live registered parcels beyond the tolerance",
     "地块 {code} 与现势地块 {other_code} 重叠 {overlap_m2} 平方米",
     "Parcel {code} overlaps the live parcel {other_code} by {overlap_m2} m²", "sql", f"""
SELECT s.row_no, s.parcel_code,
       jsonb_build_object('code', s.parcel_code, 'other_code', p.code, 'overlap_m2', round(y.m2::numeric, 2)),
       x.g
FROM survey_stage s
JOIN parcels p ON p.valid_to IS NULL AND p.geom && s.geom AND s.ok
     AND NOT EXISTS (SELECT 1 FROM survey_stage r WHERE r.parcel_code = p.code)
     AND ST_Relate(p.geom, s.geom, '2********')
CROSS JOIN LATERAL (SELECT ST_Intersection(p.geom, s.geom) AS g) x
CROSS JOIN LATERAL (SELECT ST_Area(x.g::geography) AS m2) y
WHERE y.m2 > {TOL.format('tolerance_m2')}""", {"tolerance_m2": 1.0}),
    ("sliver", "parcel", "warning", "R4.15",
     "细长碎片地块（平均宽度小于阈值）", "Sliver parcel (mean width below the threshold)",
     "地块 {code} 平均宽度仅 {width_m} 米，可能是碎片", "Parcel {code} is only {width_m} m wide on average: a sliver?",
     "sql", f"""
SELECT row_no, parcel_code, jsonb_build_object('code', parcel_code, 'width_m', round(w::numeric, 2)),
       ST_PointOnSurface(geom)
FROM (SELECT *, 2 * ST_Area(geom::geography) / nullif(ST_Perimeter(geom::geography), 0) AS w
      FROM survey_stage WHERE ok) s
WHERE w < {TOL.format('min_width_m')}""", {"min_width_m": 1.0}),
    ("gap", "parcel", "warning", "R4.15",
     "相邻地块之间的细小缝隙", "Narrow gap between neighbouring parcels",
     "地块 {code} 与 {other_code} 之间有 {gap_m} 米的缝隙", "A {gap_m} m gap lies between parcels {code} and {other_code}",
     "sql", f"""
SELECT a.row_no, a.parcel_code,
       jsonb_build_object('code', a.parcel_code, 'other_code', b.parcel_code, 'gap_m', round(d.m::numeric, 2)),
       ST_ShortestLine(a.geom, b.geom)
FROM survey_stage a
JOIN survey_stage b ON a.row_no + 0 < b.row_no + 0 AND a.ok AND b.ok  -- "+ 0": no primary-key bitmap
     AND a.geom && ST_Expand(b.geom, {TOL.format('max_gap_m')} / 80000.0)
     -- one planar distance sorts out touching neighbours (0) and far ones before the geodesic one
     AND ST_Distance(a.geom, b.geom) BETWEEN 1e-12 AND {TOL.format('max_gap_m')} / 80000.0
CROSS JOIN LATERAL (SELECT ST_Distance(a.geom::geography, b.geom::geography) AS m) d
WHERE d.m < {TOL.format('max_gap_m')}""", {"max_gap_m": 0.5}),
    ("area_vs_scmj", "parcel", "warning", "R4.14",
     "计算面积与实测面积（SCMJ）相差超过容差", "Computed area differs from the surveyed area (SCMJ) beyond the tolerance",
     "地块 {code} 计算面积 {area_m2} 平方米，实测面积 {scmj} 平方米，相差 {diff_pct}%",
     "Parcel {code}: computed {area_m2} m², surveyed {scmj} m², {diff_pct} % apart", "sql", f"""
SELECT row_no, parcel_code,
       jsonb_build_object('code', parcel_code, 'area_m2', round(a::numeric, 2), 'scmj', surveyed_area_m2,
                          'diff_pct', round((100 * abs(a - surveyed_area_m2) / surveyed_area_m2)::numeric, 2)),
       ST_PointOnSurface(geom)
FROM (SELECT *, ST_Area(geom::geography) AS a FROM survey_stage WHERE ok AND surveyed_area_m2 > 0) s
WHERE abs(a - surveyed_area_m2) > surveyed_area_m2 * {TOL.format('tolerance_pct')} / 100""",
     {"tolerance_pct": 1.0}),
    ("four_neighbours", "parcel", "warning", "R4.18",
     "四至至少填写三项", "At least three of the four neighbours are filled",
     "地块 {code} 四至只填写了 {filled} 项", "Parcel {code} has only {filled} of four neighbours",
     "sql", """
SELECT row_no, parcel_code, jsonb_build_object('code', parcel_code, 'filled', n), NULL::geometry
FROM (SELECT *, (east IS NOT NULL)::int + (south IS NOT NULL)::int + (west IS NOT NULL)::int
                + (north IS NOT NULL)::int AS n FROM survey_stage) s
WHERE n < 3""", {}),
    ("inside_boundary", "parcel", "critical", "R4.5",
     "地块须位于发包方界线之内（已知界线时）", "A parcel lies inside its collective's boundary, where one is known",
     "地块 {code} 有 {outside_m2} 平方米在发包方界线之外", "Parcel {code} has {outside_m2} m² outside the collective's boundary",
     "sql", f"""
SELECT s.row_no, s.parcel_code, jsonb_build_object('code', s.parcel_code, 'outside_m2', round(y.m2::numeric, 2)), x.g
FROM survey_stage s
JOIN collectives c ON c.code = :collective
JOIN admin_units u ON u.code = c.admin_code AND u.boundary IS NOT NULL
CROSS JOIN LATERAL (SELECT ST_Difference(s.geom, u.boundary) AS g) x
CROSS JOIN LATERAL (SELECT ST_Area(x.g::geography) AS m2) y
WHERE s.ok AND NOT ST_CoveredBy(s.geom, u.boundary) AND y.m2 > {TOL.format('tolerance_m2')}""",
     {"tolerance_m2": 1.0}),
    ("text_encoding", "parcel", "critical", "R4.18",
     "文字不得乱码（编码识别错误）", "Text must not be garbled (wrong encoding)",
     "地块 {code} 的字段 {field} 文字乱码：{value}", "Parcel {code}: field {field} is garbled: {value}",
     "python", "text_encoding", {}),
    ("code_tables", "parcel", "critical", "R4.21",
     "属性值须在 NY/T 2539 代码表之内", "Attribute values come from the NY/T 2539 code tables",
     "地块 {code} 的字段 {field} 取值 {value} 不在代码表中",
     "Parcel {code}: field {field} has {value}, which is not in its code table", "python",
     "code_tables", {}),
]


def _seed_rules() -> None:

    table = sa.table("quality_rules", *(sa.column(c) for c in (
        "id", "moment", "target", "severity", "rule_ref", "description_zh", "description_en",
        "message_zh", "message_en", "kind", "body")), sa.column("params", postgresql.JSONB))
    op.bulk_insert(table, [
        {"id": r[0], "moment": "import", "target": r[1], "severity": r[2], "rule_ref": r[3],
         "description_zh": r[4], "description_en": r[5], "message_zh": r[6], "message_en": r[7],
         "kind": r[8], "body": r[9].strip(), "params": r[10]} for r in RULES])


def upgrade() -> None:
    op.create_table('quality_rules',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('moment', sa.String(length=20), nullable=False, comment='when it runs: import, confirmation'),
    sa.Column('target', sa.String(length=20), nullable=False, comment='parcel or file'),
    sa.Column('severity', sa.String(length=10), nullable=False, comment='critical keeps the parcel out'),
    sa.Column('description_zh', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('message_zh', sa.Text(), nullable=False, comment='finding text, {placeholders} from params'),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False, comment='SELECT row_no, parcel_code, params, location over survey_stage; or a Python rule name'),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False, comment='tolerances the body reads as :params'),
    sa.Column('rule_ref', sa.String(length=40), nullable=True, comment='domain-rules.md id'),
    sa.CheckConstraint("kind IN ('sql', 'python')", name=op.f('ck_quality_rules_kind_known')),
    sa.CheckConstraint("moment IN ('import', 'confirmation')", name=op.f('ck_quality_rules_moment_known')),
    sa.CheckConstraint("severity IN ('critical', 'warning')", name=op.f('ck_quality_rules_severity_known')),
    sa.PrimaryKeyConstraint('id', 'moment', name=op.f('pk_quality_rules'))
    )
    op.create_table('quality_rule_switches',
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('rule_id', sa.String(length=40), nullable=False),
    sa.Column('moment', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('changed_by', sa.BigInteger(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f('ck_quality_rule_switches_county_shape')),
    sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_quality_rule_switches_changed_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rule_id', 'moment'], ['quality_rules.id', 'quality_rules.moment'], name=op.f('fk_quality_rule_switches_rule_id_moment_quality_rules'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('county_code', 'rule_id', 'moment', name=op.f('pk_quality_rule_switches'))
    )
    op.create_table('survey_imports',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('collective_code', sa.String(length=14), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_format', sa.String(length=20), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=True),
    sa.Column('source_crs', sa.String(length=20), nullable=False),
    sa.Column('all_or_nothing', sa.Boolean(), nullable=False),
    sa.Column('features', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rejected', sa.Integer(), server_default='0', nullable=False),
    sa.Column('classes', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False, comment='new / missing / geometry_changed / ...'),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('county_code = left(collective_code, 6)', name=op.f('ck_survey_imports_county_prefix')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_survey_imports_actor_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_imports'))
    )
    op.create_index('ix_survey_imports_county_collective', 'survey_imports', ['county_code', 'collective_code'], unique=False)
    op.create_geospatial_table('survey_findings',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('import_id', sa.BigInteger(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=True, comment='feature number in the file, 1-based'),
    sa.Column('parcel_code', sa.String(length=40), nullable=True),
    sa.Column('rule_id', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('location', Geometry(srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.CheckConstraint("severity IN ('critical', 'warning', 'info')", name=op.f('ck_survey_findings_severity_known')),
    sa.ForeignKeyConstraint(['import_id'], ['survey_imports.id'], name=op.f('fk_survey_findings_import_id_survey_imports'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_findings'))
    )
    op.create_geospatial_index('idx_survey_findings_location', 'survey_findings', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_survey_findings_import_id'), 'survey_findings', ['import_id'], unique=False)
    _seed_rules()


def downgrade() -> None:
    op.drop_index(op.f('ix_survey_findings_import_id'), table_name='survey_findings')
    op.drop_geospatial_index('idx_survey_findings_location', table_name='survey_findings', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('survey_findings')
    op.drop_index('ix_survey_imports_county_collective', table_name='survey_imports')
    op.drop_table('survey_imports')
    op.drop_table('quality_rule_switches')
    op.drop_table('quality_rules')
