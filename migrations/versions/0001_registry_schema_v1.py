"""registry schema v1

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 19:10:20.002328
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


# --- hand-written: functions and triggers that autogenerate cannot see (STYLE.md) ---------------

# GB 11643-1999 citizen ID number: shape, a real birth date, and the ISO 7064 MOD 11-2 check.
ID_CARD_FUNCTION = r"""
CREATE FUNCTION lr_id_card_valid(num text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    weights int[] := ARRAY[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    total int := 0;
BEGIN
    IF num !~ '^[0-9]{17}[0-9X]$' THEN
        RETURN false;
    END IF;
    BEGIN
        PERFORM make_date(substr(num, 7, 4)::int, substr(num, 11, 2)::int, substr(num, 13, 2)::int);
    EXCEPTION WHEN others THEN
        RETURN false;
    END;
    FOR i IN 1..17 LOOP
        total := total + substr(num, i, 1)::int * weights[i];
    END LOOP;
    RETURN substr('10X98765432', total % 11 + 1, 1) = substr(num, 18, 1);
END $$;
"""

# Registered history is never rewritten (DESIGN.md, Registry): once registered_at is set, the
# only change allowed is closing the version (valid_to NULL -> a time); DELETE is refused.
# TG_ARGV names generated columns, which read as NULL in a BEFORE trigger.
HISTORY_FUNCTION = r"""
CREATE FUNCTION lr_protect_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.registered_at IS NULL THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
       AND (to_jsonb(NEW) - 'valid_to' - coalesce(TG_ARGV, '{}'))
         = (to_jsonb(OLD) - 'valid_to' - coalesce(TG_ARGV, '{}')) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'P0001',
        CONSTRAINT = TG_TABLE_NAME || '_history',
        TABLE = TG_TABLE_NAME,
        MESSAGE = format('%s id %s is a registered version: %s refused; close it (valid_to) '
                         'and add a new version instead', TG_TABLE_NAME, OLD.id, TG_OP);
END $$;
"""

# The parcels of a registered contract version are part of it and as immutable.
CONTRACT_PARCELS_FUNCTION = r"""
CREATE FUNCTION lr_protect_contract_parcels() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        ids := ARRAY[NEW.contract_id];
    ELSIF TG_OP = 'UPDATE' THEN
        ids := ARRAY[OLD.contract_id, NEW.contract_id];
    ELSE
        ids := ARRAY[OLD.contract_id];
    END IF;
    IF EXISTS (SELECT 1 FROM contracts c WHERE c.id = ANY(ids) AND c.registered_at IS NOT NULL) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'P0001',
            CONSTRAINT = 'contract_parcels_history',
            TABLE = 'contract_parcels',
            MESSAGE = format('the parcels of registered contract id %s cannot be changed (%s); '
                             'add a new contract version instead', ids[1], TG_OP);
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;
"""

# No two live parcels may overlap by more than the tolerance (settings.parcel_overlap_tolerance_m2,
# default 1 m², R4.15). Interiors are compared with ST_Relate '2********' (ST_Overlaps misses
# containment; && alone rejects neighbours, PERFORMANCE.md). Check-then-insert is made race-free by
# advisory locks on the 0.02-degree grid cells the new parcel's box touches, taken in order: two
# parcels that can overlap share a cell, so their writers queue, whichever collectives they are in.
# (A lock per collective alone would let two collectives' imports race along their common border.)
OVERLAP_FUNCTION = r"""
CREATE FUNCTION lr_parcels_no_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tolerance double precision;
    cell record;
    hit record;
BEGIN
    IF NEW.valid_to IS NOT NULL OR NEW.geom IS NULL
       OR NOT ST_IsValid(NEW.geom) OR ST_IsEmpty(NEW.geom) THEN
        RETURN NEW;  -- closed versions do not count; invalid geometry is refused by its CHECK
    END IF;
    FOR cell IN
        SELECT x, y
        FROM generate_series(floor(ST_XMin(NEW.geom) / 0.02)::int, floor(ST_XMax(NEW.geom) / 0.02)::int) x,
             generate_series(floor(ST_YMin(NEW.geom) / 0.02)::int, floor(ST_YMax(NEW.geom) / 0.02)::int) y
        ORDER BY x, y
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(format('lr_parcel_cell:%s:%s', cell.x, cell.y), 0));
    END LOOP;
    SELECT coalesce((SELECT value::double precision FROM settings
                     WHERE key = 'parcel_overlap_tolerance_m2'), 1.0) INTO tolerance;
    SELECT p.code, ST_Area(ST_Intersection(p.geom, NEW.geom)::geography) AS area INTO hit
    FROM parcels p
    WHERE p.valid_to IS NULL AND p.id <> NEW.id AND p.geom && NEW.geom
      AND ST_Relate(p.geom, NEW.geom, '2********')
    ORDER BY 2 DESC
    LIMIT 1;
    IF FOUND AND hit.area > tolerance THEN
        RAISE EXCEPTION USING
            ERRCODE = '23P01',
            CONSTRAINT = 'parcels_no_overlap',
            TABLE = 'parcels',
            MESSAGE = format('parcel %s overlaps live parcel %s by %s m² (tolerance %s m²)',
                             NEW.code, hit.code, round(hit.area::numeric, 2), tolerance),
            DETAIL = json_build_object('code', NEW.code, 'other_code', hit.code,
                                       'overlap_m2', round(hit.area::numeric, 2),
                                       'tolerance_m2', tolerance)::text;
    END IF;
    RETURN NEW;
END $$;
"""

VERSIONED_TABLES = {
    "household_members": "",
    "parcels": "'area_m2'",
    "contracts": "",
    "register_entries": "",
}


def _create_triggers() -> None:
    op.execute(HISTORY_FUNCTION)
    op.execute(CONTRACT_PARCELS_FUNCTION)
    op.execute(OVERLAP_FUNCTION)
    for table, ignored in VERSIONED_TABLES.items():
        op.execute(f"CREATE TRIGGER {table}_history BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION lr_protect_history({ignored})")
    op.execute("CREATE TRIGGER contract_parcels_history BEFORE INSERT OR UPDATE OR DELETE "
               "ON contract_parcels FOR EACH ROW EXECUTE FUNCTION lr_protect_contract_parcels()")
    op.execute("CREATE TRIGGER parcels_no_overlap BEFORE INSERT OR UPDATE OF geom, valid_to "
               "ON parcels FOR EACH ROW EXECUTE FUNCTION lr_parcels_no_overlap()")


def _drop_triggers() -> None:
    op.execute("DROP TRIGGER parcels_no_overlap ON parcels")
    op.execute("DROP TRIGGER contract_parcels_history ON contract_parcels")
    for table in VERSIONED_TABLES:
        op.execute(f"DROP TRIGGER {table}_history ON {table}")
    op.execute("DROP FUNCTION lr_parcels_no_overlap()")
    op.execute("DROP FUNCTION lr_protect_contract_parcels()")
    op.execute("DROP FUNCTION lr_protect_history()")


def _seed() -> None:
    roles = sa.table("roles", sa.column("code"), sa.column("name_zh"), sa.column("name_en"))
    op.bulk_insert(roles, [
        {"code": "farmer", "name_zh": "农户", "name_en": "Farmer household"},
        {"code": "township_officer", "name_zh": "乡镇农经站人员", "name_en": "Township officer"},
        {"code": "collective_clerk", "name_zh": "集体经济组织文书", "name_en": "Collective clerk"},
        {"code": "county_admin", "name_zh": "县级管理员", "name_en": "County administrator"},
        {"code": "transferee", "name_zh": "流入方", "name_en": "Transferee"},
    ])
    settings = sa.table("settings", sa.column("key"), sa.column("value"), sa.column("description"))
    op.bulk_insert(settings, [
        {"key": "parcel_overlap_tolerance_m2", "value": "1.0",
         "description": "两宗现势地块内部重叠超过此面积（m²）即拒绝 / live parcels may not overlap by more (R4.15)"},
    ])



def upgrade() -> None:
    op.execute(ID_CARD_FUNCTION)
    op.create_geospatial_table('admin_units',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('code', sa.String(length=14), nullable=False, comment='GB/T 2260 county + township 3 + village 3 + group 2'),
    sa.Column('level', sa.SmallInteger(), nullable=False, comment='1 county, 2 township, 3 village, 4 group'),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('parent_code', sa.String(length=14), nullable=True),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9]{6}([0-9]{3}([0-9]{3}([0-9]{2})?)?)?$'", name=op.f('ck_admin_units_code_shape')),
    sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f('ck_admin_units_county_shape')),
    sa.CheckConstraint('(level = 1 AND parent_code IS NULL) OR (level > 1 AND parent_code = left(code, (ARRAY[6, 9, 12, 14])[level - 1]))', name=op.f('ck_admin_units_parent_prefix')),
    sa.CheckConstraint('boundary IS NULL OR (ST_IsValid(boundary) AND NOT ST_IsEmpty(boundary))', name=op.f('ck_admin_units_boundary_valid')),
    sa.CheckConstraint('county_code = left(code, 6)', name=op.f('ck_admin_units_county_prefix')),
    sa.CheckConstraint('level BETWEEN 1 AND 4 AND length(code) = (ARRAY[6, 9, 12, 14])[level]', name=op.f('ck_admin_units_level_length')),
    sa.ForeignKeyConstraint(['county_code', 'parent_code'], ['admin_units.county_code', 'admin_units.code'], name=op.f('fk_admin_units_county_code_parent_code_admin_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_units')),
    sa.UniqueConstraint('county_code', 'code', name=op.f('uq_admin_units_county_code_code'))
    )
    op.create_geospatial_index('idx_admin_units_boundary', 'admin_units', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('persons',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False, comment='county that registered the person'),
    sa.Column('name', sa.String(length=50), nullable=False, comment='CYXM 成员姓名'),
    sa.Column('sex', sa.SmallInteger(), nullable=False, comment='CYXB 1 男 2 女'),
    sa.Column('id_type', sa.SmallInteger(), nullable=False, comment='CYZJLX 证件类型 (R4.26)'),
    sa.Column('id_number', sa.String(length=30), nullable=False, comment='CYZJHM 证件号码'),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True, comment='LXDH'),
    sa.Column('hukou_address', sa.String(length=200), nullable=True, comment='户籍地址'),
    sa.Column('residence_address', sa.String(length=200), nullable=True, comment='现居住地址'),
    sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f('ck_persons_county_shape')),
    sa.CheckConstraint('id_type <> 1 OR lr_id_card_valid(id_number)', name=op.f('ck_persons_id_card_checksum')),
    sa.CheckConstraint("CASE WHEN id_type = 1 AND id_number ~ '^[0-9]{17}' THEN sex = 2 - mod(substr(id_number, 17, 1)::int, 2) ELSE true END", name=op.f('ck_persons_id_card_sex')),
    sa.CheckConstraint('id_type IN (1, 2, 3, 4, 5, 9)', name=op.f('ck_persons_id_type_code')),
    sa.CheckConstraint('sex IN (1, 2)', name=op.f('ck_persons_sex_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('county_code', 'id_type', 'id_number', name=op.f('uq_persons_county_code_id_type_id_number'))
    )
    op.create_table('roles',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_roles'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('collectives',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('code', sa.String(length=14), nullable=False, comment='FBFBM 发包方编码'),
    sa.Column('name', sa.String(length=100), nullable=False, comment='FBFMC 发包方名称'),
    sa.Column('admin_code', sa.String(length=14), nullable=False, comment='village (group 00) or group unit'),
    sa.Column('responsible_name', sa.String(length=50), nullable=True, comment='FBFFZRXM 负责人姓名'),
    sa.Column('responsible_id_type', sa.SmallInteger(), nullable=True, comment='FZRZJLX'),
    sa.Column('responsible_id_number', sa.String(length=30), nullable=True, comment='FZRZJHM'),
    sa.Column('phone', sa.String(length=30), nullable=True, comment='LXDH 联系电话'),
    sa.Column('address', sa.String(length=200), nullable=True, comment='FBFDZ 发包方地址'),
    sa.Column('postcode', sa.String(length=6), nullable=True, comment='YZBM 邮政编码'),
    sa.CheckConstraint("admin_code = CASE WHEN right(code, 2) = '00' THEN left(code, 12) ELSE code END", name=op.f('ck_collectives_admin_code_matches')),
    sa.CheckConstraint("code ~ '^[0-9]{14}$'", name=op.f('ck_collectives_code_shape')),
    sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f('ck_collectives_county_shape')),
    sa.CheckConstraint('county_code = left(code, 6)', name=op.f('ck_collectives_county_prefix')),
    sa.CheckConstraint('responsible_id_type IS DISTINCT FROM 1 OR responsible_id_number IS NULL OR lr_id_card_valid(responsible_id_number)', name=op.f('ck_collectives_responsible_id_number')),
    sa.ForeignKeyConstraint(['county_code', 'admin_code'], ['admin_units.county_code', 'admin_units.code'], name=op.f('fk_collectives_county_code_admin_code_admin_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collectives')),
    sa.UniqueConstraint('county_code', 'code', name=op.f('uq_collectives_county_code_code'))
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=True),
    sa.Column('township_code', sa.String(length=9), nullable=True),
    sa.Column('collective_code', sa.String(length=14), nullable=True),
    sa.Column('household_code', sa.String(length=18), nullable=True),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("collective_code IS NULL OR collective_code ~ '^[0-9]{14}$'", name=op.f('ck_users_collective_shape')),
    sa.CheckConstraint("county_code IS NULL OR county_code ~ '^[0-9]{6}$'", name=op.f('ck_users_county_shape')),
    sa.CheckConstraint("household_code IS NULL OR household_code ~ '^[0-9]{18}$'", name=op.f('ck_users_household_shape')),
    sa.CheckConstraint("role <> 'collective_clerk' OR collective_code IS NOT NULL", name=op.f('ck_users_clerk_collective')),
    sa.CheckConstraint("role <> 'county_admin' OR county_code IS NOT NULL", name=op.f('ck_users_admin_county')),
    sa.CheckConstraint("role <> 'farmer' OR household_code IS NOT NULL", name=op.f('ck_users_farmer_household')),
    sa.CheckConstraint("role <> 'township_officer' OR township_code IS NOT NULL", name=op.f('ck_users_officer_township')),
    sa.CheckConstraint("township_code IS NULL OR township_code ~ '^[0-9]{9}$'", name=op.f('ck_users_township_shape')),
    sa.CheckConstraint("username ~ '^[A-Za-z0-9_.-]{3,64}$'", name=op.f('ck_users_username_shape')),
    sa.CheckConstraint('county_code IS NULL OR township_code IS NULL OR left(township_code, 6) = county_code', name=op.f('ck_users_township_in_county')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_users_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['role'], ['roles.code'], name=op.f('fk_users_role_roles'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    op.create_index('uq_users_username_lower', 'users', [sa.literal_column('lower(username)')], unique=True)
    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'], unique=False)
    op.create_table('change_events',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_code', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('document', sa.String(length=200), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_change_events_actor_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_events'))
    )
    op.create_index('ix_change_events_entity', 'change_events', ['county_code', 'entity', 'entity_code'], unique=False)
    op.create_table('households',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('code', sa.String(length=18), nullable=False, comment='CBFBM 承包方编码'),
    sa.Column('collective_code', sa.String(length=14), nullable=False, comment='FBFBM'),
    sa.Column('type', sa.SmallInteger(), nullable=False, comment='CBFLX 1 农户 2 个人 3 单位'),
    sa.Column('name', sa.String(length=100), nullable=False, comment='CBFMC 承包方名称 (户主)'),
    sa.Column('representative_id', sa.BigInteger(), nullable=True, comment='承包方代表'),
    sa.Column('address', sa.String(length=200), nullable=True, comment='CBFDZ'),
    sa.Column('postcode', sa.String(length=6), nullable=True, comment='YZBM'),
    sa.Column('phone', sa.String(length=30), nullable=True, comment='LXDH'),
    sa.Column('survey_date', sa.Date(), nullable=True, comment='CBFDCRQ 调查日期'),
    sa.Column('surveyor', sa.String(length=50), nullable=True, comment='CBFDCY 调查员'),
    sa.CheckConstraint("code ~ '^[0-9]{18}$'", name=op.f('ck_households_code_shape')),
    sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f('ck_households_county_shape')),
    sa.CheckConstraint('county_code = left(code, 6)', name=op.f('ck_households_county_prefix')),
    sa.CheckConstraint('left(code, 14) = collective_code', name=op.f('ck_households_collective_prefix')),
    sa.CheckConstraint('type IN (1, 2, 3)', name=op.f('ck_households_type_code')),
    sa.ForeignKeyConstraint(['county_code', 'collective_code'], ['collectives.county_code', 'collectives.code'], name=op.f('fk_households_county_code_collective_code_collectives'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['representative_id'], ['persons.id'], name=op.f('fk_households_representative_id_persons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households')),
    sa.UniqueConstraint('county_code', 'code', name=op.f('uq_households_county_code_code'))
    )
    op.create_geospatial_table('parcels',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('code', sa.String(length=19), nullable=False, comment='DKBM 地块代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('collective_code', sa.String(length=14), nullable=False, comment='FBFBM'),
    sa.Column('name', sa.String(length=100), nullable=True, comment='DKMC 地块名称'),
    sa.Column('ownership', sa.String(length=2), nullable=True, comment='SYQXZ 所有权性质 (R4.21)'),
    sa.Column('category', sa.String(length=2), nullable=True, comment='DKLB 地块类别 (R4.22)'),
    sa.Column('land_use_type', sa.String(length=4), nullable=True, comment='TDLYLX (R4.31)'),
    sa.Column('soil_grade', sa.String(length=2), nullable=True, comment='DLDJ 地力等级 (R4.23)'),
    sa.Column('land_use', sa.String(length=1), nullable=True, comment='TDYT 土地用途 (R4.24)'),
    sa.Column('is_basic_farmland', sa.Boolean(), nullable=True, comment='SFJBNT 是否基本农田'),
    sa.Column('east', sa.String(length=100), nullable=True, comment='DKDZ 东至'),
    sa.Column('south', sa.String(length=100), nullable=True, comment='DKNZ 南至'),
    sa.Column('west', sa.String(length=100), nullable=True, comment='DKXZ 西至'),
    sa.Column('north', sa.String(length=100), nullable=True, comment='DKBZ 北至'),
    sa.Column('pointer_name', sa.String(length=50), nullable=True, comment='ZJRXM 指界人姓名'),
    sa.Column('remark', sa.String(length=200), nullable=True, comment='DKBZXX 地块备注信息'),
    sa.Column('surveyed_area_m2', sa.Numeric(precision=16, scale=2), nullable=True, comment='SCMJ 实测面积 (m², plane area as delivered)'),
    sa.Column('surveyed_area_mu', sa.Numeric(precision=16, scale=2), nullable=True, comment='SCMJM 实测面积亩 (as delivered)'),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('area_m2', sa.Double(), sa.Computed('ST_Area(geom::geography)', persisted=True), nullable=False, comment='geodesic area in m², computed by the database'),
    sa.Column('status', sa.String(length=16), server_default='surveyed', nullable=False),
    sa.Column('extra', postgresql.JSONB(astext_type=sa.Text()), nullable=True, comment='attributes outside NY/T 2539, kept'),
    sa.Column('valid_from', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='end of this version; NULL = current'),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True, comment='set when this version entered the register; then immutable'),
    sa.CheckConstraint("category IS NULL OR category IN ('10', '21', '22', '23', '24', '99')", name=op.f('ck_parcels_category_code')),
    sa.CheckConstraint("code ~ '^[0-9]{19}$'", name=op.f('ck_parcels_code_shape')),
    sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f('ck_parcels_county_shape')),
    sa.CheckConstraint("land_use IS NULL OR land_use IN ('1', '2', '3', '4', '5')", name=op.f('ck_parcels_land_use_code')),
    sa.CheckConstraint("soil_grade IS NULL OR soil_grade ~ '^(0[1-9]|10)$'", name=op.f('ck_parcels_soil_grade_code')),
    sa.CheckConstraint("status IN ('surveyed', 'registered')", name=op.f('ck_parcels_status_known')),
    sa.CheckConstraint('ST_IsValid(geom) AND NOT ST_IsEmpty(geom)', name=op.f('ck_parcels_geom_valid')),
    sa.CheckConstraint('area_m2 > 0', name=op.f('ck_parcels_positive_area')),
    sa.CheckConstraint('county_code = left(code, 6)', name=op.f('ck_parcels_county_prefix')),
    sa.CheckConstraint('left(code, 14) = collective_code', name=op.f('ck_parcels_collective_prefix')),
    sa.CheckConstraint('surveyed_area_m2 IS NULL OR surveyed_area_m2 > 0', name=op.f('ck_parcels_surveyed_area_positive')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to > valid_from', name=op.f('ck_parcels_valid_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_parcels_version_positive')),
    sa.ForeignKeyConstraint(['county_code', 'collective_code'], ['collectives.county_code', 'collectives.code'], name=op.f('fk_parcels_county_code_collective_code_collectives'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parcels')),
    sa.UniqueConstraint('county_code', 'code', 'version', name=op.f('uq_parcels_county_code_code_version')),
    sa.UniqueConstraint('id', 'code', name=op.f('uq_parcels_id_code'))
    )
    op.create_geospatial_index('idx_parcels_geom', 'parcels', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('uq_parcels_live_code', 'parcels', ['county_code', 'code'], unique=True, postgresql_where=sa.text('valid_to IS NULL'))
    op.create_table('contracts',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('code', sa.String(length=19), nullable=False, comment='CBHTBM 承包合同编码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('household_code', sa.String(length=18), nullable=False, comment='CBFBM'),
    sa.Column('mode', sa.String(length=3), nullable=False, comment='CBFS 承包方式 (R4.25)'),
    sa.Column('term_start', sa.Date(), nullable=False, comment='CBQXQ 承包期限起'),
    sa.Column('term_end', sa.Date(), nullable=False, comment='CBQXZ 承包期限止'),
    sa.Column('signed_on', sa.Date(), nullable=True, comment='QDSJ 签订时间'),
    sa.Column('original_code', sa.String(length=19), nullable=True, comment='YCBHTBM 原承包合同编码'),
    sa.Column('status', sa.String(length=16), server_default='draft', nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='end of this version; NULL = current'),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True, comment='set when this version entered the register; then immutable'),
    sa.CheckConstraint("(right(code, 1) = 'J') = (mode = '110')", name=op.f('ck_contracts_suffix_matches_mode')),
    sa.CheckConstraint("code ~ '^[0-9]{18}[JQ]$'", name=op.f('ck_contracts_code_shape')),
    sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f('ck_contracts_county_shape')),
    sa.CheckConstraint("mode IN ('100', '110', '120', '200', '300')", name=op.f('ck_contracts_mode_code')),
    sa.CheckConstraint("status IN ('draft', 'registered', 'cancelled')", name=op.f('ck_contracts_status_known')),
    sa.CheckConstraint('county_code = left(code, 6)', name=op.f('ck_contracts_county_prefix')),
    sa.CheckConstraint('left(code, 18) = household_code', name=op.f('ck_contracts_household_prefix')),
    sa.CheckConstraint('term_end > term_start', name=op.f('ck_contracts_term_order')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to > valid_from', name=op.f('ck_contracts_valid_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_contracts_version_positive')),
    sa.ForeignKeyConstraint(['county_code', 'household_code'], ['households.county_code', 'households.code'], name=op.f('fk_contracts_county_code_household_code_households'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('county_code', 'code', 'version', name=op.f('uq_contracts_county_code_code_version')),
    sa.UniqueConstraint('id', 'code', name=op.f('uq_contracts_id_code'))
    )
    op.create_index('uq_contracts_live_code', 'contracts', ['county_code', 'code'], unique=True, postgresql_where=sa.text('valid_to IS NULL'))
    op.create_table('household_members',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('household_id', sa.BigInteger(), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('relation', sa.String(length=2), nullable=False, comment='YHZGX 与户主关系 (GB/T 4761)'),
    sa.Column('is_co_holder', sa.Boolean(), nullable=False, comment='SFGYR 是否共有人'),
    sa.Column('remark_code', sa.String(length=2), nullable=True, comment='CYBZ 成员备注 (R4.28)'),
    sa.Column('remark_text', sa.String(length=200), nullable=True, comment='CYBZSM 成员备注说明'),
    sa.Column('valid_from', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='end of this version; NULL = current'),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True, comment='set when this version entered the register; then immutable'),
    sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f('ck_household_members_county_shape')),
    sa.CheckConstraint("relation ~ '^[0-9]{2}$'", name=op.f('ck_household_members_relation_code')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to > valid_from', name=op.f('ck_household_members_valid_range')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_members_household_id_households'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_household_members_person_id_persons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_members'))
    )
    op.create_index(op.f('ix_household_members_household_id'), 'household_members', ['household_id'], unique=False)
    op.create_index('uq_household_members_live_person', 'household_members', ['person_id'], unique=True, postgresql_where=sa.text('valid_to IS NULL'))
    op.create_table('contract_parcels',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('contract_id', sa.BigInteger(), nullable=False),
    sa.Column('parcel_id', sa.BigInteger(), nullable=False),
    sa.Column('parcel_code', sa.String(length=19), nullable=False, comment='DKBM'),
    sa.Column('acquisition', sa.String(length=3), server_default='110', nullable=False, comment='CBJYQQDFS 取得方式'),
    sa.Column('contract_area_m2', sa.Numeric(precision=16, scale=2), nullable=True, comment='HTMJ 合同面积 (second-round ledger)'),
    sa.Column('confirmed_area_m2', sa.Numeric(precision=16, scale=2), nullable=False, comment='确权面积'),
    sa.CheckConstraint('confirmed_area_m2 > 0', name=op.f('ck_contract_parcels_confirmed_area_positive')),
    sa.CheckConstraint('contract_area_m2 IS NULL OR contract_area_m2 > 0', name=op.f('ck_contract_parcels_contract_area_positive')),
    sa.CheckConstraint('county_code = left(parcel_code, 6)', name=op.f('ck_contract_parcels_county_prefix')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_parcels_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['parcel_id', 'parcel_code'], ['parcels.id', 'parcels.code'], name=op.f('fk_contract_parcels_parcel_id_parcel_code_parcels'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_parcels')),
    sa.UniqueConstraint('contract_id', 'parcel_code', name=op.f('uq_contract_parcels_contract_id_parcel_code'))
    )
    op.create_index(op.f('ix_contract_parcels_parcel_id'), 'contract_parcels', ['parcel_id'], unique=False)
    op.create_table('register_entries',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('code', sa.String(length=19), nullable=False, comment='CBJYQZBM 登记簿编码 = 合同编码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('contract_id', sa.BigInteger(), nullable=False),
    sa.Column('registrar', sa.String(length=50), nullable=False, comment='登簿人'),
    sa.Column('note', sa.Text(), nullable=True, comment='登记簿附记'),
    sa.Column('document', sa.String(length=200), nullable=True, comment='权属来源资料'),
    sa.Column('valid_from', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='end of this version; NULL = current'),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True, comment='set when this version entered the register; then immutable'),
    sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f('ck_register_entries_county_shape')),
    sa.CheckConstraint('county_code = left(code, 6)', name=op.f('ck_register_entries_county_prefix')),
    sa.CheckConstraint('registered_at IS NOT NULL', name=op.f('ck_register_entries_registered')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to > valid_from', name=op.f('ck_register_entries_valid_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_register_entries_version_positive')),
    sa.ForeignKeyConstraint(['contract_id', 'code'], ['contracts.id', 'contracts.code'], name=op.f('fk_register_entries_contract_id_code_contracts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_entries')),
    sa.UniqueConstraint('county_code', 'code', 'version', name=op.f('uq_register_entries_county_code_code_version'))
    )
    op.create_index('uq_register_entries_live_code', 'register_entries', ['county_code', 'code'], unique=True, postgresql_where=sa.text('valid_to IS NULL'))
    _create_triggers()
    _seed()


def downgrade() -> None:
    _drop_triggers()
    op.drop_index('uq_register_entries_live_code', table_name='register_entries', postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_table('register_entries')
    op.drop_index(op.f('ix_contract_parcels_parcel_id'), table_name='contract_parcels')
    op.drop_table('contract_parcels')
    op.drop_index('uq_household_members_live_person', table_name='household_members', postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_index(op.f('ix_household_members_household_id'), table_name='household_members')
    op.drop_table('household_members')
    op.drop_index('uq_contracts_live_code', table_name='contracts', postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_table('contracts')
    op.drop_index('uq_parcels_live_code', table_name='parcels', postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_geospatial_index('idx_parcels_geom', table_name='parcels', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('parcels')
    op.drop_table('households')
    op.drop_index('ix_change_events_entity', table_name='change_events')
    op.drop_table('change_events')
    op.drop_index(op.f('ix_api_tokens_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_index('uq_users_username_lower', table_name='users')
    op.drop_table('users')
    op.drop_table('collectives')
    op.drop_table('settings')
    op.drop_table('roles')
    op.drop_table('persons')
    op.drop_geospatial_index('idx_admin_units_boundary', table_name='admin_units', postgresql_using='gist', column_name='boundary')
    op.drop_geospatial_table('admin_units')
    op.execute('DROP FUNCTION lr_id_card_valid(text)')
