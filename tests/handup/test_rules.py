"""Every cross-table rule of a hand-up package (issue 18 §2), each planted in an otherwise clean
package built from the sample (DBF or GeoPackage tables): the finding names the table, the key,
the rule and what to do; a critical one keeps its household out whole, a warning does not."""
import shapely
import sqlalchemy as sa

from tests.handup.conftest import import_package
from tests.handup.packages import changed_layer, corrected, sample_tables, write_package

A, B = "220421103004010001", "220421103004010002"


def _import(app, session, tmp_path, change, *, ownership="gpkg", layer=None):
    tables = corrected(sample_tables())
    change(tables)
    package = write_package(tmp_path / "package", tables, ownership=ownership, layer=layer)
    return import_package(app, session, package, tmp_path)[1]


def _only(report, rule):
    found = [f for f in report["findings"] if f["rule"] == rule]
    assert found, [f["rule"] for f in report["findings"]]
    return found


def _households(session, *codes):
    return session.scalar(sa.text("SELECT count(*) FROM households WHERE code = ANY(:c)"),
                          {"c": list(codes)})


def _row(tables, table, **match):
    return next(r for r in tables[table] if all(r.get(k) == v for k, v in match.items()))


def test_a_parcel_on_two_contracts(clean_app, clean_session, tmp_path):
    def plant(tables):
        link = dict(_row(tables, "CBDKXX", CBFBM=A))
        link.update(CBFBM=B, CBHTBM=B + "J", CBJYQZBM=B + "J")
        tables["CBDKXX"].append(link)

    report = _import(clean_app, clean_session, tmp_path, plant)
    found = _only(report, "handup_parcel_two_contracts")
    assert {(f["table"], f["household"], f["severity"]) for f in found} == {
        ("CBDKXX", A, "critical"), ("CBDKXX", B, "critical")}
    assert B + "J" in found[0]["message"] and A + "J" in found[0]["message"]
    assert _households(clean_session, A, B) == 0
    assert report["households_kept_out"] == 2 and report["counts"]["CBF"]["entered"] == 38


def test_a_parcel_on_a_live_contract_of_another_household(clean_app, clean_session, tmp_path):
    tables = corrected(sample_tables())
    import_package(clean_app, clean_session, write_package(tmp_path / "one", tables), tmp_path)
    link = dict(_row(tables, "CBDKXX", CBFBM=A))
    link.update(CBFBM=B, CBHTBM=B + "J", CBJYQZBM=B + "J")
    partial = {t: [r for r in rows if (r.get("CBFBM") or r.get("CBJYQZBM", "")[:18] or
                                       r.get("FBFBM")) in (B, B[:14])] for t, rows in tables.items()}
    partial["CBDKXX"].append(link)
    _, report = import_package(clean_app, clean_session, write_package(tmp_path / "two", partial),
                               tmp_path)
    found = _only(report, "handup_parcel_two_contracts")
    assert found[0]["household"] == B and A + "J" in found[0]["message"]


def test_a_person_in_a_registered_household_elsewhere(clean_app, clean_session, tmp_path):
    tables = corrected(sample_tables())
    import_package(clean_app, clean_session, write_package(tmp_path / "one", tables), tmp_path)
    moved = dict(_row(tables, "CBF_JTCY", CBFBM=A, YHZGX="10"))
    moved["CBFBM"] = B
    partial = {t: [r for r in rows if r.get("CBFBM", r.get("CBJYQZBM", "")[:18]) == B]
               for t, rows in tables.items()}
    partial["FBF"] = tables["FBF"]
    partial["CBF_JTCY"].append(moved)
    _, report = import_package(clean_app, clean_session, write_package(tmp_path / "two", partial),
                               tmp_path)
    found = _only(report, "handup_person_two_households")
    assert found[0]["household"] == B and A in found[0]["message"]
    assert found[0]["severity"] == "warning" and "哪一户" in found[0]["message"]
    assert report["households_kept_out"] == 0  # B enters as listed, the person its duplicate
    listed = clean_session.execute(sa.text(
        "SELECT h.code, p.id_conflict_of IS NOT NULL FROM persons p JOIN household_members m "
        "ON m.person_id = p.id AND m.valid_to IS NULL JOIN households h ON h.id = m.household_id "
        "WHERE p.id_number = :n ORDER BY h.code"), {"n": moved["CYZJHM"]}).all()
    assert listed == [(A, False), (B, True)]  # the person already registered keeps the number


def test_the_same_number_twice_in_one_household_keeps_it_out(clean_app, clean_session, tmp_path):
    def plant(tables):
        twin = dict(_row(tables, "CBF_JTCY", CBFBM=A, YHZGX="02"))
        twin["CYXM"] = "赵二"
        tables["CBF_JTCY"].append(twin)

    report = _import(clean_app, clean_session, tmp_path, plant)
    found = _only(report, "handup_duplicate")
    assert {(f["table"], f["household"], f["severity"]) for f in found} == {
        ("CBF_JTCY", A, "critical")}
    assert _households(clean_session, A) == 0


def test_a_member_count_that_disagrees_is_a_warning(clean_app, clean_session, tmp_path):
    report = _import(clean_app, clean_session, tmp_path,
                     lambda t: _row(t, "CBF", CBFBM=A).update(CBFCYSL=9))
    found = [f for f in _only(report, "handup_member_count") if f["key"] == A]
    assert found[0]["severity"] == "warning" and "9" in found[0]["message"]
    assert _households(clean_session, A) == 1


def test_contract_totals_that_disagree_are_a_warning(clean_app, clean_session, tmp_path):
    def plant(tables):
        _row(tables, "CBHT", CBHTBM=A + "J").update(HTZMJ=99999.0, CBDKZS=7)

    report = _import(clean_app, clean_session, tmp_path, plant)
    found = [f for f in _only(report, "handup_contract_totals") if f["key"] == A + "J"]
    assert found[0]["table"] == "CBHT" and found[0]["severity"] == "warning"
    assert "99999" in found[0]["message"] and "7" in found[0]["message"]
    assert _households(clean_session, A) == 1


def test_records_with_nothing_behind_them(clean_app, clean_session, tmp_path):
    ghost = "220421103004019999J"

    def plant(tables):
        tables["CBJYQZ"].append({"CBJYQZBM": ghost, "FZJG": "东丰县人民政府", "FZRQ": "2017-04-01"})
        tables["CBJYQZDJB"].append({"CBJYQZBM": "220421103004019998J", "FBFBM": A[:14],
                                    "CBFBM": "220421103004019998", "DJSJ": "2017-03-15"})
        tables["CBHT"].append({**_row(tables, "CBHT", CBHTBM=A + "J"),
                               "CBHTBM": "220421103004019997J", "CBFBM": "220421103004019997"})
        tables["CBJYQZ_QZBF"].append({"CBJYQZBM": "220421103004019996J", "BFYY": "遗失",
                                      "BFRQ": "2020-01-01"})

    report = _import(clean_app, clean_session, tmp_path, plant)
    found = {(f["table"], f["key"]) for f in _only(report, "handup_nothing_behind")}
    assert found == {("CBJYQZ", ghost), ("CBJYQZDJB", "220421103004019998J"),
                     ("CBHT", "220421103004019997J"), ("CBJYQZ_QZBF", "220421103004019996J")}
    assert report["counts"]["CBJYQZ"]["kept_out"] == 1
    assert clean_session.scalar(sa.text("SELECT count(*) FROM certificates WHERE code = :c"),
                                {"c": ghost}) == 0


def test_codes_that_do_not_nest(clean_app, clean_session, tmp_path):
    def plant(tables):
        _row(tables, "CBHT", CBHTBM=A + "J")["CBFBM"] = B  # contract A's code, household B
        link = _row(tables, "CBDKXX", CBFBM="220421103004020003")
        link["DKBM"] = "2204211030040100005"  # a parcel of group 01 in a contract of group 02

    report = _import(clean_app, clean_session, tmp_path, plant)
    found = {(f["table"], f["household"]) for f in _only(report, "handup_codes_nest")}
    assert ("CBHT", A) in found and ("CBDKXX", "220421103004020003") in found
    assert _households(clean_session, A, "220421103004020003") == 0


def test_values_outside_the_code_tables_and_the_ranges(clean_app, clean_session, tmp_path):
    households = ["220421103004010003", "220421103004010004", "220421103004010005",
                  "220421103004010008"]

    def plant(tables):
        _row(tables, "CBF_JTCY", CBFBM=households[0])["CYXB"] = "3"
        _row(tables, "CBHT", CBFBM=households[1])["CBFS"] = "999"
        _row(tables, "CBHT", CBFBM=households[2]).update(CBQXQ="2028-12-31", CBQXZ="1999-01-01")
        _row(tables, "CBDKXX", CBFBM=households[3])["HTMJ"] = 0.0

    report = _import(clean_app, clean_session, tmp_path, plant)
    assert _only(report, "handup_code_tables")[0]["household"] == households[0]
    assert {f["household"] for f in _only(report, "handup_code_tables")} == set(households[:2])
    assert _only(report, "handup_contract_term")[0]["household"] == households[2]
    assert _only(report, "handup_confirmed_area")[0]["household"] == households[3]
    assert _households(clean_session, *households) == 0


def test_people_the_registry_cannot_hold(clean_app, clean_session, tmp_path):
    households = ["220421103004010003", "220421103004010004", "220421103004010005"]

    def plant(tables):
        member = _row(tables, "CBF_JTCY", CBFBM=households[0], YHZGX="02")
        member["CYXB"] = "2" if member["CYXB"] == "1" else "1"  # sex against the ID number
        _row(tables, "CBF_JTCY", CBFBM=households[1], YHZGX="02")["CYXM"] = None
        tables["CBF"].append(dict(_row(tables, "CBF", CBFBM=households[2])))  # twice

    report = _import(clean_app, clean_session, tmp_path, plant)
    assert _only(report, "handup_id_sex")[0]["household"] == households[0]
    assert _only(report, "handup_member_identity")[0]["household"] == households[1]
    assert {f["household"] for f in _only(report, "handup_duplicate")} == {households[2]}
    assert _households(clean_session, *households) == 0


def test_codes_without_their_shape(clean_app, clean_session, tmp_path):
    def plant(tables):
        _row(tables, "CBDKXX", CBFBM=A)["DKBM"] = "22042110300401000X1"
        _row(tables, "CBF_JTCY", CBFBM=B)["CBFBM"] = "2204211030040100"

    report = _import(clean_app, clean_session, tmp_path, plant)
    found = _only(report, "handup_code_shape")
    assert {(f["table"], f["household"]) for f in found} == {("CBDKXX", A), ("CBF_JTCY", None)}
    assert all(f["key"].startswith("row ") for f in found)  # the file's text is not echoed
    assert "22042110300401000X1" not in str(report)


def test_missing_dates_and_registrations_are_warnings(clean_app, clean_session, tmp_path):
    def plant(tables):
        _row(tables, "CBJYQZDJB", CBJYQZBM=A + "J")["DJSJ"] = None
        tables["CBJYQZDJB"].remove(_row(tables, "CBJYQZDJB", CBJYQZBM=B + "J"))
        tables["CBJYQZ"].remove(_row(tables, "CBJYQZ", CBJYQZBM=B + "J"))
        _row(tables, "FBF", FBFBM=A[:14])["FZRZJHM"] = "220421196203041033"

    report = _import(clean_app, clean_session, tmp_path, plant)
    assert _only(report, "handup_date_missing")[0]["key"] == A + "J"
    assert _only(report, "handup_contract_unregistered")[0]["key"] == B + "J"
    assert _only(report, "handup_fbf_responsible_id")[0]["key"] == A[:14]
    statuses = dict(clean_session.execute(sa.text(
        "SELECT code, status FROM contracts WHERE code IN (:a, :b)"),
        {"a": A + "J", "b": B + "J"}).all())
    assert statuses == {A + "J": "registered", B + "J": "draft"}
    assert clean_session.scalar(sa.text(
        "SELECT responsible_id_number FROM collectives WHERE code = :c"), {"c": A[:14]}) is None


def test_parcels_of_the_layer_that_overlap_or_are_invalid(clean_app, clean_session, tmp_path):
    def change(codes, geoms):
        first = codes.index("2204211030040100001")
        geoms[codes.index("2204211030040100004")] = shapely.affinity.translate(
            geoms[first], 5, 5)  # onto parcel 1 (household A's)
        x, y = shapely.get_coordinates(geoms[codes.index("2204211030040200001")])[0]
        geoms[codes.index("2204211030040200001")] = shapely.Polygon(
            [(x, y), (x + 50, y + 50), (x + 50, y), (x, y + 50)])  # a bow-tie

    layer = changed_layer(tmp_path / "layer", change)
    report = _import(clean_app, clean_session, tmp_path, lambda t: None, ownership="dbf",
                     layer=layer)
    overlap = _only(report, "handup_dk_overlap")
    assert {f["key"] for f in overlap} == {"2204211030040100001", "2204211030040100004"}
    assert _only(report, "handup_dk_geometry")[0]["key"] == "2204211030040200001"
    refused = {f["household"] for f in _only(report, "handup_parcel_refused")}
    assert refused == {A, B, "220421103004020001"}
    assert _households(clean_session, A, B, "220421103004020001") == 0
    assert report["counts"]["DK"]["kept_out"] >= 3
