"""The code tables a parcel's attributes are written in, and the names people read for them: one
place that turns a code value ("013", "04") into its name (旱地, 四等地). Pure data and one function;
no session, no Flask (the Jinja filter `code_name` in landrights/web/views.py calls `name_of`).

Sources: NY/T 2539-2016 Appendix C as transcribed (R4.21–R4.24, R4.27–R4.29) and GB/T 21010 for
土地利用类型 (R4.31); each name is (Chinese, English). Where transcriptions disagree (⚠ in
docs/domain-rules.md) the 2016 transcription's name is shown and both codes are accepted."""
from __future__ import annotations

# 所有权性质 SYQXZ (R4.21)
OWNERSHIP = {
    "10": ("国有土地所有权", "state-owned land"),
    "30": ("集体土地所有权", "collectively owned land"),
    "31": ("村民小组", "villagers' group"),
    "32": ("村集体经济组织", "village collective economic organisation"),
    "33": ("乡集体经济组织", "township collective economic organisation"),
    "34": ("其他集体经济组织", "other collective economic organisation"),
}
# 地块类别 DKLB (R4.22): 24 (2016 transcription) and 99 (2014-era vendors) both mean "other"
PARCEL_CATEGORIES = {
    "10": ("承包地块", "contracted parcel"),
    "21": ("自留地", "private plot"),
    "22": ("机动地", "reserve land"),
    "23": ("开荒地", "reclaimed land"),
    "24": ("其他集体土地", "other collective land"),
    "99": ("其他集体土地", "other collective land"),
}
_GRADES = "一二三四五六七八九十"
# 地力等级 DLDJ (R4.23): 01 一等地 … 10 十等地
SOIL_GRADES = {f"{n:02d}": (f"{name}等地", f"grade {n} land") for n, name in enumerate(_GRADES, start=1)}
# 土地用途 TDYT (R4.24): 5 is 其他 in the 2016 transcription, 非农业用途 in a 2014 vendor table
LAND_USES = {
    "1": ("种植业", "crop farming"),
    "2": ("林业", "forestry"),
    "3": ("畜牧业", "animal husbandry"),
    "4": ("渔业", "fishery"),
    "5": ("其他", "other"),
}
# 土地利用类型 TDLYLX (R4.31): GB/T 21010-2007 three-digit classes as the surveys deliver them,
# and the GB/T 21010-2017 four-digit classes of farmland, gardens, woods, grass and water
LAND_USE_TYPES = {
    "011": ("水田", "paddy field"), "012": ("水浇地", "irrigated land"), "013": ("旱地", "dry land"),
    "021": ("果园", "orchard"), "022": ("茶园", "tea garden"), "023": ("其他园地", "other garden land"),
    "031": ("有林地", "forest land"), "032": ("灌木林地", "shrub land"),
    "033": ("其他林地", "other woodland"),
    "041": ("天然牧草地", "natural pasture"), "042": ("人工牧草地", "sown pasture"),
    "043": ("其他草地", "other grassland"),
    "072": ("农村宅基地", "rural homestead"), "104": ("农村道路", "rural road"),
    "111": ("河流水面", "river"), "112": ("湖泊水面", "lake"), "113": ("水库水面", "reservoir"),
    "114": ("坑塘水面", "pond"), "116": ("内陆滩涂", "inland flat"), "117": ("沟渠", "ditch"),
    "122": ("设施农用地", "land for farm facilities"), "123": ("田坎", "field bank"),
    "124": ("盐碱地", "saline land"), "125": ("沼泽地", "marsh"), "126": ("沙地", "sandy land"),
    "127": ("裸地", "bare land"),
    "0101": ("水田", "paddy field"), "0102": ("水浇地", "irrigated land"), "0103": ("旱地", "dry land"),
    "0201": ("果园", "orchard"), "0202": ("茶园", "tea garden"), "0204": ("其他园地", "other garden land"),
    "0301": ("乔木林地", "tree forest"), "0305": ("灌木林地", "shrub land"),
    "0307": ("其他林地", "other woodland"),
    "0401": ("天然牧草地", "natural pasture"), "0403": ("人工牧草地", "sown pasture"),
    "0404": ("其他草地", "other grassland"),
    "0702": ("农村宅基地", "rural homestead"), "1006": ("农村道路", "rural road"),
    "1104": ("坑塘水面", "pond"), "1107": ("沟渠", "ditch"),
    "1202": ("设施农用地", "land for farm facilities"), "1203": ("田坎", "field bank"),
}
# 是否 (R4.27), e.g. SFJBNT 是否基本农田
YES_NO = {"1": ("是", "yes"), "2": ("否", "no")}

TABLES = {"SYQXZ": OWNERSHIP, "DKLB": PARCEL_CATEGORIES, "DLDJ": SOIL_GRADES, "TDYT": LAND_USES,
          "TDLYLX": LAND_USE_TYPES, "SFJBNT": YES_NO}


def name_of(field: str, code: str | None, language: str = "zh") -> str:
    """Return the name of a code value of an NY/T 2539 field (DLDJ "04" -> 四等地, or "grade 4
    land" in English); the code itself when its table lacks it, "" when there is none."""
    if code is None or code == "":
        return ""
    names = TABLES[field].get(str(code))
    if names is None:
        return str(code)
    return names[1] if language == "en" else names[0]


# The DK (parcel) fields of NY/T 2539 (R4.18) by the names people read: the standard's column
# names (DKMC, SCMJ ...) are for files and code, not for pages
FIELD_NAMES = {
    "DKBM": ("地块代码", "parcel code"), "DKMC": ("地块名称", "parcel name"),
    "SYQXZ": ("所有权性质", "ownership"), "DKLB": ("地块类别", "parcel category"),
    "TDLYLX": ("土地利用类型", "land-use type"), "DLDJ": ("地力等级", "soil grade"),
    "TDYT": ("土地用途", "land use"), "SFJBNT": ("是否基本农田", "basic farmland"),
    "SCMJ": ("实测面积", "surveyed area"), "SCMJM": ("实测面积（亩）", "surveyed area (mu)"),
    "DKDZ": ("东至", "east neighbour"), "DKNZ": ("南至", "south neighbour"),
    "DKXZ": ("西至", "west neighbour"), "DKBZ": ("北至", "north neighbour"),
    "ZJRXM": ("指界人姓名", "boundary pointer's name"), "DKBZXX": ("地块备注", "parcel remark"),
}


def field_name(field: str, language: str = "zh") -> str:
    """Return the name people read for an NY/T 2539 parcel field (DKMC -> 地块名称)."""
    names = FIELD_NAMES.get(field.upper())
    if names is None:
        return field
    return names[1] if language == "en" else names[0]
