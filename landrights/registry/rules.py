"""Pure rules of the registry: code shapes, ID numbers, masking. No session, no Flask."""
from __future__ import annotations

import re
from datetime import date

from landrights.accounts.permissions import Actor, sees_personal_data
from landrights.registry import codes

# GB 11643-1999 citizen ID number: 6 region + 8 birth date + 3 sequence + 1 check (R4.26 type 1)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

ADMIN_LEVEL_LENGTH = {1: 6, 2: 9, 3: 12, 4: 14}  # county, township, village, group (R4.5)
# the shapes of the codes (collective, household, parcel, contract): landrights.patterns

ID_TYPES = {1: "居民身份证", 2: "军官证", 3: "机构代码证", 4: "户口簿", 5: "护照", 9: "其他"}  # R4.26
# R4.26: the shape of each other type's number (1 is checked by GB 11643); none holds a space.
# Mirrors the CHECK ck_persons_id_number_shape (registry.models.ID_NUMBER_SHAPE_SQL).
ID_NUMBER_SHAPES = {
    2: re.compile(r"^[0-9A-Za-z\u4e00-\u9fff-]{4,30}$"),  # 军官证, e.g. 南字第2019012号
    3: re.compile(r"^([0-9A-Z]{8}-?[0-9X]|[0-9A-HJ-NPQRTUWXY]{18})$"),  # GB 11714 code or GB 32100 USCC
    4: re.compile(r"^[0-9A-Za-z-]{4,30}$"),  # 户口簿
    5: re.compile(r"^[0-9A-Za-z]{5,20}$"),  # 护照
    9: re.compile(r"^\S{2,30}$"),  # 其他
}
HOUSEHOLD_TYPES = {1: "农户", 2: "个人", 3: "单位"}  # CBFLX, R4.27
CONTRACT_MODES = {"100": "承包", "110": "家庭承包", "120": "其他方式承包", "200": "转让", "300": "互换"}


def id_check_char(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_problem(number: str) -> str | None:
    """Return why a citizen ID number is invalid (GB 11643), or None if it is valid."""
    if not _ID_SHAPE.match(number or ""):
        return "shape"
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "birth_date"
    if id_check_char(number[:17]) != number[17]:
        return "checksum"
    return None


def other_id_number_problem(id_type: int, number: str) -> str | None:
    """Return why the number of an identity document other than the resident ID card does not have
    its type's shape ("blank" or "shape"), or None (R4.26)."""
    if not (number or "").strip():
        return "blank"
    return None if ID_NUMBER_SHAPES[id_type].fullmatch(number) else "shape"


def sex_from_id_number(number: str) -> int:
    """Return 1 (male) or 2 (female) from the 17th digit of an ID number (GB 11643)."""
    return 1 if int(number[16]) % 2 else 2


def contract_code_for(household_code: str, mode: str) -> str:
    """Return the contract code: household code + J (family, 110) or Q (other modes) (R4.8)."""
    return household_code + ("J" if mode == "110" else "Q")


def mask_id_number(number: str | None) -> str | None:
    """Mask an ID number for public lists: keep the first 6 and the last 4 characters."""
    if not number:
        return number
    if len(number) <= 8:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str | None) -> str | None:
    """Mask a phone number: keep the first 3 and the last 4 digits."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def shown_id_number(actor: Actor, household_code: str | None, number: str | None) -> str | None:
    """Return an ID number as the actor may see it: in full where its job needs it
    (sees_personal_data), masked everywhere else: pages, the API, printed certificates."""
    full = household_code is not None and sees_personal_data(actor, household_code)
    return number if full else mask_id_number(number)


def shown_phone(actor: Actor, household_code: str | None, phone: str | None) -> str | None:
    """Return a phone number as the actor may see it, by the same rule as ID numbers."""
    full = household_code is not None and sees_personal_data(actor, household_code)
    return phone if full else mask_phone(phone)


# NY/T 2539 DK attribute names -> parcel fields (R4.18); the standard's names, any case, on input.
DK_FIELDS = {
    "DKMC": "name", "SYQXZ": "ownership", "DKLB": "category", "TDLYLX": "land_use_type",
    "DLDJ": "soil_grade", "TDYT": "land_use", "SFJBNT": "is_basic_farmland", "DKDZ": "east",
    "DKNZ": "south", "DKXZ": "west", "DKBZ": "north", "ZJRXM": "pointer_name",
    "DKBZXX": "remark", "SCMJ": "surveyed_area_m2", "SCMJM": "surveyed_area_mu",
}


def yes_no(value) -> bool | None:
    """Read an NY/T 2539 是否 code (1 是, 2 否, R4.27) or a boolean."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip() in ("1", "是", "true", "True")


# GB/T 4761-2008 family relations (与户主关系 YHZGX, R4.29), the codes a household roster uses
RELATIONS = {
    "01": "本人", "02": "户主", "10": "配偶", "11": "夫", "12": "妻", "20": "子", "21": "独生子",
    "22": "长子", "23": "次子", "24": "三子", "27": "养子或继子", "28": "女婿", "30": "女",
    "31": "独生女", "32": "长女", "33": "次女", "34": "三女", "37": "养女或继女", "38": "儿媳",
    "40": "孙子女", "41": "孙子", "42": "孙女", "43": "外孙子", "44": "外孙女", "50": "父母",
    "51": "父亲", "52": "母亲", "53": "公公", "54": "婆婆", "55": "岳父", "56": "岳母",
    "60": "祖父母", "61": "祖父", "62": "祖母", "70": "兄弟姐妹", "71": "兄", "73": "弟",
    "75": "姐姐", "77": "妹妹", "80": "其他亲属", "99": "非亲属",
}
# 成员备注 CYBZ, NY/T 2539-2016 transcription (R4.28)
MEMBER_REMARKS = {"1": "外嫁女", "2": "入赘男", "3": "在校大学生", "4": "现役军人", "5": "服刑人员",
                  "6": "常住人口", "7": "外出务工人员", "8": "其他"}
# 地力等级 DLDJ (R4.23): 01 一等地 ... 10 十等地, shown by name on contracts and certificates
SOIL_GRADES = {code: names[0] for code, names in codes.SOIL_GRADES.items()}
# 土地用途 TDYT (R4.24), shown by name on notices and parcel pages (the names: registry/codes.py)
LAND_USES = {code: names[0] for code, names in codes.LAND_USES.items()}


def code_label(table: dict[str, str], code: str | None) -> str:
    """Return the name of a code-table value as people read it (户主, not "02 户主"; issue 19),
    or the bare code if the table lacks it."""
    if not code:
        return ""
    return table.get(code, code)
