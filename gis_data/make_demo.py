"""Regenerate the demo village (fictional) into gis_data/demo/.

东丰县大阳镇永安村 with three villager groups (村民小组): households, members, parcels,
second-round contracts and admin boundaries. Deterministic: a fixed seed, stdlib ``random``,
shapely and pyproj only. Run from the repository root:

    .venv/bin/python gis_data/make_demo.py

Geometry is built in CGCS2000 / 3-degree Gauss-Krüger zone 42 (EPSG:4551, metres) on a grid of
shared vertices, so neighbouring parcels use identical coordinates along their common edges (no
T-junctions), then every vertex is transformed once to CGCS2000 lon/lat (EPSG:4490).
"""
from __future__ import annotations

import csv
import json
import math
import random
from bisect import bisect_left
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.strtree import STRtree

SEED = 20160518
OUT = Path(__file__).resolve().parent / "demo"
CENTRE_LONLAT = (125.45, 42.73)  # the village's centre
ROTATION_DEG = 3.5  # the field grid is turned slightly off north, as real field roads are
ROAD = 6.0  # field road between blocks (m)
DITCH = 4.0  # ditch between the two blocks of group 3 (m)
M2_PER_MU = 10000 / 15

COUNTY = ("220421", "东丰县")
TOWNSHIP = ("220421101", "大阳镇")
VILLAGE = ("220421101201", "永安村")
GROUPS = [("01", "一组"), ("02", "二组"), ("03", "三组")]
PREFIX = "吉林省辽源市东丰县"
POSTCODE = "136300"
TOWN_ADDRESSES = ["东丰镇建设社区幸福小区3号楼2单元301室", "东丰镇东城社区和平小区5号楼1单元502室"]
CITY_ADDRESSES = [
    "吉林省长春市朝阳区红旗街道（务工租住）", "吉林省长春市绿园区西新镇（务工租住）",
    "吉林省长春市宽城区团山街道（务工租住）", "吉林省辽源市龙山区东吉街道（务工租住）",
    "吉林省辽源市西安区仙城街道（务工租住）", "吉林省长春市二道区吉林街道（务工租住）",
]
STUDENT_ADDRESSES = ["吉林省长春市南关区（高校在读，住校）", "吉林省长春市净月区（高校在读，住校）"]

# --------------------------------------------------------------------------------------------
# Layout, in local metres (u east, v north) before rotation. A band is one field (地片) of
# strips side by side; consecutive bands of a block share their boundary line.
# band: (field name, depth m, kind, land use type, soil grade base, basic farmland share)
# sides: what lies beyond the block on each side when no parcel does.
# --------------------------------------------------------------------------------------------
BLOCKS = [
    {"group": "03", "u": (0.0, 420.0), "v0": 0.0,
     "bands": [("河套地", 110, "paddy", "011", 3, 1.0), ("南洼地", 180, "strip", "013", 4, 0.95),
               ("西坡", 200, "strip", "013", 5, 0.8)],
     "sides": {"W": "荒地", "E": "沟渠", "S": "沟渠", "N": "道路"}},
    {"group": "03", "u": (420.0 + DITCH, 1040.0), "v0": 0.0,
     "bands": [("南大地", 240, "strip", "013", 4, 1.0), ("前甸子", 250, "strip", "013", 4, 0.95)],
     "sides": {"W": "沟渠", "E": "道路", "S": "沟渠", "N": "道路"}},
    {"group": "01", "u": (0.0, 500.0), "v0": 490.0 + ROAD,
     "bands": [("长条地", 330, "narrow", "013", 4, 1.0), ("西岗", 190, "strip", "013", 5, 0.9),
               ("北岗子", 200, "strip", "013", 6, 0.5)],
     "sides": {"W": "林带", "E": "道路", "S": "道路", "N": "林带"}},
    {"group": "02", "u": (500.0 + ROAD, 1040.0), "v0": 490.0 + ROAD,
     "bands": [("东大地", 185, "strip", "013", 3, 1.0), ("二道沟", 175, "strip", "013", 4, 0.95),
               ("东岗", 180, "strip", "013", 5, 0.85), ("后大排", 180, "strip", "013", 5, 0.7)],
     "sides": {"W": "道路", "E": "道路", "S": "道路", "N": "林带"}},
]
WIDTH = {"strip": (17.0, 37.0), "narrow": (16.0, 27.0), "paddy": (50.0, 80.0)}  # before the skew
SKEW = 1.0  # a split line may lean by up to ±SKEW m between its two ends
SNAP = 1.5  # split points closer than this on a shared line become one vertex
SLOPE = 0.012  # interior band lines tilt by up to this (m per m)

SURNAMES = ("王" * 9 + "李" * 8 + "张" * 8 + "刘" * 7 + "赵" * 5 + "孙" * 5 + "于" * 4 + "杨" * 4
            + "陈" * 3 + "高" * 3 + "徐" * 2 + "马" * 2 + "郭" * 2 + "姜" * 2 + "曲" * 2 + "董" * 2
            + "吴周宋韩崔付田孟尹邢范隋")
GIVEN = {  # (male, female) given names by generation; one-character ones too
    "old": ("福才 德贵 长山 玉林 喜发 庆祥 树林 有财 海山 成文 玉宝 富春 振山 景和 凤山 国臣 万福 连生 "
            "宝山 春林 德义 殿臣 永福 广才 福 林 山 贵 财 发",
            "淑珍 秀兰 桂芝 玉凤 凤英 桂兰 淑芬 秀英 玉珍 淑华 秀芝 桂荣 凤琴 玉霞 淑清 秀云 桂香 素梅 "
            "玉兰 凤芝 淑琴 英 兰 珍 芬 霞"),
    "mid": ("建国 建军 志刚 志强 海涛 永刚 立新 长春 振华 东升 春生 明辉 国峰 宏伟 建华 海波 立军 志勇 "
            "大鹏 国庆 晓东 洪涛 金龙 庆春 伟 强 军 刚 勇 斌 涛 峰 辉 波",
            "丽娟 红梅 艳秋 春燕 秀丽 晓红 丽华 海燕 艳红 玉梅 秀娟 丽萍 冬梅 春华 雪梅 晓丽 凤霞 丽敏 "
            "艳华 淑艳 丽 红 艳 燕 萍 梅 娟 静 敏 霞"),
    "young": ("浩然 宇航 子轩 博文 鹏飞 俊杰 天宇 梓豪 明轩 浩宇 思远 嘉豪 子豪 泽宇 锦程 一鸣 晨阳 "
              "家豪 宇轩 文博 磊 鑫 帅 超 旭 阳 昊 森 睿 航",
              "欣怡 雨涵 佳琪 梓涵 诗琪 婉婷 思雨 可馨 雨欣 梦瑶 佳怡 晓雪 紫涵 一诺 欣妍 语桐 若曦 静怡 "
              "佳慧 雪婷 琪 婷 悦 妍 萌 瑶 彤 璐 爽 丹"),
}
SURVEYORS = {"01": "孙立军", "02": "赵红梅", "03": "孙立军"}
SURVEY_START = {"01": date(2016, 5, 9), "02": date(2016, 5, 23), "03": date(2016, 6, 6)}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check(first17: str) -> str:
    """GB 11643 check character."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


# ============================================================================================
# Geometry
# ============================================================================================
class Mesh:
    """Vertices shared by index; each line (block, line number) keeps its vertices sorted by u."""

    def __init__(self):
        self.xy: list[tuple[float, float]] = []  # local (u, v)
        self.lines: dict[tuple[int, int], dict[float, int]] = {}

    def vertex(self, line: tuple[int, int], u: float, v_of) -> int:
        on = self.lines.setdefault(line, {})
        if u not in on:
            on[u] = len(self.xy)
            self.xy.append((u, v_of(u)))
        return on[u]

    def between(self, line: tuple[int, int], u0: float, u1: float) -> list[int]:
        """Indexes of the vertices on line with u0 <= u <= u1, west to east."""
        on = self.lines[line]
        keys = sorted(on)
        return [on[u] for u in keys[bisect_left(keys, u0):] if u <= u1]


def widths(rng: random.Random, total: float, lo: float, hi: float) -> list[float]:
    """Random widths within [lo, hi] that add up to total."""
    n = max(1, round(total / ((lo + hi) / 2)))
    while True:
        ws = [rng.uniform(lo, hi) for _ in range(n)]
        scale = total / sum(ws)
        ws = [w * scale for w in ws]
        if all(lo <= w <= hi for w in ws):
            return ws


def band_lines(rng: random.Random, block: dict) -> list:
    """Functions v(u) for the lines of a block: bottom and top straight, interior ones tilted."""
    u0, u1 = block["u"]
    mid = (u0 + u1) / 2
    levels = [block["v0"]]
    for band in block["bands"]:
        levels.append(levels[-1] + band[1])
    lines = []
    for i, level in enumerate(levels):
        slope = 0.0 if i in (0, len(levels) - 1) else rng.uniform(-SLOPE, SLOPE)
        lines.append(lambda u, lv=level, s=slope: lv + s * (u - mid))
    return lines


def snap(u: float, existing: dict[float, int]) -> float:
    """Reuse an existing split point on the same line when one is within SNAP metres."""
    near = [e for e in existing if abs(e - u) < SNAP]
    return min(near, key=lambda e: abs(e - u)) if near else u


def build_fields(rng: random.Random) -> tuple[Mesh, list[dict]]:
    """Lay out every block, band and strip; return the mesh and the strips (vertex rings)."""
    mesh, strips = Mesh(), []
    for b, block in enumerate(BLOCKS):
        u0, u1 = block["u"]
        lines = band_lines(rng, block)
        splits = []  # per band: [(u bottom, u top)] including both block edges
        for k, band in enumerate(block["bands"]):
            lo, hi = WIDTH[band[2]]
            cuts, pos = [(u0, u0)], u0
            for w in widths(rng, u1 - u0, lo, hi)[:-1]:
                pos += w
                lean = rng.uniform(-SKEW, SKEW)
                bottom = snap(pos + lean, mesh.lines.get((b, k), {}))
                cuts.append((bottom, pos - lean))
            cuts.append((u1, u1))
            for ub, _ in cuts:
                mesh.vertex((b, k), ub, lines[k])
            for _, ut in cuts:
                mesh.vertex((b, k + 1), ut, lines[k + 1])
            splits.append(cuts)
        for k, cuts in enumerate(splits):
            for j in range(len(cuts) - 1):
                (bl, tl), (br, tr) = cuts[j], cuts[j + 1]
                ring = mesh.between((b, k), bl, br) + mesh.between((b, k + 1), tl, tr)[::-1]
                strips.append({"block": b, "band": k, "pos": j, "last": j == len(cuts) - 2,
                               "bottom": (bl, br), "top": (tl, tr), "ring": ring})
    return mesh, strips


def place(mesh: Mesh) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Rotate and move the local grid into EPSG:4551; transform every vertex once to EPSG:4490."""
    to_gk = Transformer.from_crs(4490, 4551, always_xy=True)
    cx, cy = to_gk.transform(*CENTRE_LONLAT)
    us = [u for u, _ in mesh.xy]
    vs = [v for _, v in mesh.xy]
    mu, mv = (min(us) + max(us)) / 2, (min(vs) + max(vs)) / 2
    ox, oy = round(cx), round(cy)
    c, s = math.cos(math.radians(ROTATION_DEG)), math.sin(math.radians(ROTATION_DEG))
    gk = [(ox + c * (u - mu) - s * (v - mv), oy + s * (u - mu) + c * (v - mv)) for u, v in mesh.xy]
    to_ll = Transformer.from_crs(4551, 4490, always_xy=True)
    lon, lat = to_ll.transform([p[0] for p in gk], [p[1] for p in gk])
    return gk, list(zip(lon, lat, strict=True))


# ============================================================================================
# People
# ============================================================================================
class People:
    """Unique names and ID numbers."""

    def __init__(self, rng: random.Random):
        self.rng, self.ids, self.heads = rng, set(), set()

    def name(self, surname: str, sex: int, born: int) -> str:
        gen = "old" if born < 1962 else "mid" if born < 1990 else "young"
        return surname + self.rng.choice(GIVEN[gen][sex - 1].split())

    def id_number(self, born: date, sex: int) -> str:
        while True:
            seq = self.rng.randrange(0, 1000)
            if seq % 2 != sex % 2:  # 17th digit odd = male
                continue
            first17 = f"{COUNTY[0]}{born:%Y%m%d}{seq:03d}"
            number = first17 + id_check(first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def person(self, surname: str, sex: int, year: int, relation: str) -> dict:
        born = date(year, 1, 1) + timedelta(days=self.rng.randrange(365))
        return {"name": self.name(surname, sex, year), "sex": sex, "birth": born,
                "id": self.id_number(born, sex), "relation": relation,
                "remark_code": "", "remark_text": "", "residence": None, "phone": ""}

    def surname(self, avoid: str = "") -> str:
        while True:
            s = self.rng.choice(SURNAMES)
            if s != avoid:
                return s


def child_codes(sexes: list[int]) -> list[str]:
    """GB/T 4761 codes for children in birth order: 21/31 only child, 22.. sons, 32.. daughters."""
    if len(sexes) == 1:
        return ["21" if sexes[0] == 1 else "31"]
    sons = daughters = 0
    codes = []
    for sex in sexes:
        if sex == 1:
            sons += 1
            codes.append(str(21 + sons))
        else:
            daughters += 1
            codes.append(str(31 + daughters))
    return codes


def _head(people: People) -> tuple[dict, bool]:
    """The 户主, with a name no other 户主 in the village has; and whether widowed."""
    rng = people.rng
    year = rng.randint(1946, 1984)
    widowed = rng.random() < 0.08
    sex = 2 if widowed and rng.random() < 0.7 else 1
    surname = people.surname()
    while True:
        head = people.person(surname, sex, year, "02")
        if head["name"] not in people.heads:
            people.heads.add(head["name"])
            return head, widowed
        people.ids.discard(head["id"])


def _children(people: People, surname: str, mother_year: int, members: list[dict]) -> None:
    """Children still in the household; a married son brings his wife (38) and children (41/42)."""
    rng = people.rng
    n = rng.choice([1, 2, 2, 3] if mother_year < 1962 else [1, 1, 2, 2] if mother_year < 1978
                   else [1, 1, 1, 2])
    years, y = [], mother_year + rng.randint(21, 27)
    for _ in range(n):
        if y <= 2015:
            years.append(y)
        y += rng.randint(2, 6)
    sexes = [rng.choice([1, 2]) for _ in years]
    for year, sex, code in zip(years, sexes, child_codes(sexes), strict=True):
        if sex == 2 and year < 1994 and rng.random() < 0.8:
            continue  # married out: registered in her husband's household
        if (sex == 1 and year < 1990 and rng.random() < 0.35) or len(members) >= 6:
            continue  # a son with his own household
        members.append(people.person(surname, sex, year, code))
        if sex == 1 and year <= 1990 and len(members) < 6:
            members.append(people.person(people.surname(surname), 2, year + rng.randint(0, 3), "38"))
            g = year + rng.randint(24, 30)
            while g <= 2015 and len(members) < 6 and rng.random() < 0.85:
                gsex = rng.choice([1, 2])
                members.append(people.person(surname, gsex, g, "41" if gsex == 1 else "42"))
                g += rng.randint(3, 8)


def family(people: People) -> list[dict]:
    """One household of 2-6: 户主 first, then spouse, children, in-laws, grandchildren, parents."""
    rng = people.rng
    head, widowed = _head(people)
    head_year, surname = head["birth"].year, head["name"][0]
    members = [head]
    mother_year = head_year
    if head["sex"] == 2:  # a widow: the children carry their late father's surname
        surname = people.surname(surname)
    if not widowed:
        spouse_year = head_year + rng.choice([-1, 0, 1, 2, 2, 3, 3, 4, 5])
        members.append(people.person(people.surname(surname), 2, spouse_year, "10"))
        mother_year = spouse_year
    _children(people, surname, mother_year, members)
    if head_year >= 1962 and rng.random() < 0.35 and len(members) < 6:
        py = head_year - rng.randint(23, 30)
        if rng.random() < 0.4 and len(members) < 5 and head["sex"] == 1:
            members.append(people.person(surname, 1, py - rng.randint(0, 3), "51"))
        members.append(people.person(people.surname(surname), 2, py, "52"))
    if len(members) == 1:  # a widow(er) whose children left: the youngest son stayed at home
        members.append(people.person(surname, 1, head_year + rng.randint(24, 30), "20"))
    return members


# ============================================================================================
# Build everything
# ============================================================================================
def assign(rng: random.Random, strips: list[dict], adjacency: dict[int, set[int]],
           households: list[str]) -> dict[int, str]:
    """Give each strip to a household: 3-6 each, no household next to itself, spread over fields."""
    n, h = len(strips), len(households)
    counts = [3] * h
    for _ in range(n - 3 * h):
        counts[rng.choice([i for i in range(h) if counts[i] < 6])] += 1
    labels = [households[i] for i in range(h) for _ in range(counts[i])]
    rng.shuffle(labels)
    ids = [s["id"] for s in strips]
    owner = dict(zip(ids, labels, strict=True))

    band_of: dict[tuple[int, int], list[int]] = {}
    for s in strips:
        band_of.setdefault(s["bandkey"], []).append(s["id"])
    same_band = {s["id"]: [o for o in band_of[s["bandkey"]] if o != s["id"]] for s in strips}

    def cost(sid: int) -> int:
        same = sum(owner[o] == owner[sid] for o in adjacency[sid])
        band = sum(owner[o] == owner[sid] for o in same_band[sid])
        return 10 * same + max(0, band - 1)

    for _ in range(40000):
        bad = [sid for sid in ids if cost(sid) >= 10]
        if not bad and _ > 2000:
            break
        a = rng.choice(bad) if bad else rng.choice(ids)
        b = rng.choice(ids)
        before = cost(a) + cost(b)
        owner[a], owner[b] = owner[b], owner[a]
        if cost(a) + cost(b) > before:
            owner[a], owner[b] = owner[b], owner[a]
    assert all(owner[a] != owner[b] for a in ids for b in adjacency[a]), "self-adjacent parcels"
    return owner


def adjacency_of(strips: list[dict]) -> dict[int, dict[str, list[tuple[float, int]]]]:
    """Per strip and side (E/S/W/N): the strips touching it with the shared length along the line."""
    by_band: dict[tuple[int, int], list[dict]] = {}
    for s in strips:
        by_band.setdefault((s["block"], s["band"]), []).append(s)
    sides = {}
    for s in strips:
        row = by_band[(s["block"], s["band"])]
        side = {"E": [], "S": [], "W": [], "N": []}
        if s["pos"] > 0:
            side["W"].append((1.0, row[s["pos"] - 1]["id"]))
        if not s["last"]:
            side["E"].append((1.0, row[s["pos"] + 1]["id"]))
        for other in by_band.get((s["block"], s["band"] - 1), []):
            shared = min(s["bottom"][1], other["top"][1]) - max(s["bottom"][0], other["top"][0])
            if shared > 0.01:
                side["S"].append((shared, other["id"]))
        for other in by_band.get((s["block"], s["band"] + 1), []):
            shared = min(s["top"][1], other["bottom"][1]) - max(s["top"][0], other["bottom"][0])
            if shared > 0.01:
                side["N"].append((shared, other["id"]))
        sides[s["id"]] = side
    return sides


def build_people(rng: random.Random, n_households: dict[str, int]) -> tuple[list[dict], People]:
    people = People(rng)
    households = []
    for g, gname in GROUPS:
        collective = VILLAGE[0] + g
        address = f"{PREFIX}{TOWNSHIP[1]}{VILLAGE[1]}{gname}"
        day = SURVEY_START[g]
        for i in range(n_households[g]):
            members = family(people)
            for m in members:
                m["hukou"] = m["residence"] = address
            households.append({"code": f"{collective}{i + 1:04d}", "collective": collective,
                               "group": g, "members": members, "address": address,
                               "survey_date": day + timedelta(days=i // 4), "surveyor": SURVEYORS[g]})
    return households, people


def mark_remarks(rng: random.Random, households: list[dict]) -> dict:
    """Settled-in-town household, migrant workers, students, one soldier; phones."""
    phones = rng.sample(range(1000, 10000), 200)
    for h in households:
        h["phone"] = f"1390000{phones.pop():04d}"
        h["members"][0]["phone"] = h["phone"]
    settled = next(h for h in households if h["group"] == "02" and len(h["members"]) >= 3
                   and h["code"].endswith(("0006", "0007", "0008", "0009")))
    town = f"{PREFIX}{TOWN_ADDRESSES[0]}"
    settled["address"] = town
    for m in settled["members"]:
        m.update(hukou=town, residence=town, remark_code="8", remark_text="2019年进城落户")
    others = [m for h in households if h is not settled for m in h["members"]]
    soldier = min((m for m in others if m["sex"] == 1 and m["relation"][0] in "24"),
                  key=lambda m: abs(m["birth"].year - 2003))
    soldier.update(remark_code="4", remark_text="现役军人", residence="部队服役")
    students = sorted((m for m in others if m is not soldier and m["relation"][0] in "234"),
                      key=lambda m: (abs(m["birth"].year - 2005), m["id"]))[:2]
    for m, where in zip(students, STUDENT_ADDRESSES, strict=False):
        m.update(remark_code="3", remark_text="在校大学生", residence=where)
    pool = [m for m in others if not m["remark_code"] and m["relation"] != "02"
            and 1972 <= m["birth"].year <= 2000]
    for m in rng.sample(sorted(pool, key=lambda m: m["id"]), 12):
        where = rng.choice(CITY_ADDRESSES)
        city = "长春市" if "长春市" in where else "辽源市"
        m.update(remark_code="7", remark_text=f"在{city}务工", residence=where,
                 phone=f"1390000{phones.pop():04d}")
    return settled


def parcel_records(rng, strips, owner, sides, heads, block_sides) -> list[dict]:
    """NY/T 2539 attributes for every strip; codes per collective, field by field, west to east."""
    seq: dict[str, int] = {}
    records = []
    for s in strips:
        block = BLOCKS[s["block"]]
        fname, _, kind, tdlylx, grade, jbnt = block["bands"][s["band"]]
        collective = VILLAGE[0] + block["group"]
        seq[collective] = seq.get(collective, 0) + 1
        holder = heads[owner[s["id"]]]
        four = {}
        for side in "ESWN":
            others = [(length, o) for length, o in sides[s["id"]][side] if owner[o] != owner[s["id"]]]
            four[side] = heads[owner[max(others)[1]]] if others else block_sides[s["block"]][side]
        area = round(s["poly"].area, 2)
        g = min(10, max(1, grade + rng.choice([-1, 0, 0, 0, 1]) if kind != "paddy" else grade))
        records.append({
            "DKBM": f"{collective}{seq[collective]:05d}", "DKMC": f"{fname}{s['pos'] + 1}",
            "SYQXZ": "31", "DKLB": "10", "TDLYLX": tdlylx, "DLDJ": f"{g:02d}", "TDYT": "1",
            "SFJBNT": "1" if rng.random() < jbnt else "2", "SCMJ": area,
            "SCMJM": round(area * 15 / 10000, 2), "DKDZ": four["E"], "DKNZ": four["S"],
            "DKXZ": four["W"], "DKBZ": four["N"], "ZJRXM": holder, "DKBZXX": "",
            "CBFBM": owner[s["id"]], "_strip": s})
    return records


def ledger_area(rng: random.Random, scmj: float) -> float:
    """HTMJ: the second-round ledger figure, kept in mu to one decimal; within ±8 % of SCMJ."""
    while True:
        mu = round(scmj / M2_PER_MU * rng.uniform(0.93, 1.03), 1)
        m2 = round(mu * M2_PER_MU, 2)
        if abs(m2 - scmj) <= 0.08 * scmj and m2 > 0:
            return m2


def boundaries(records: list[dict]) -> dict[str, Polygon]:
    """Group boundaries (closed over inner roads, 2.5 m beyond the parcels) and the village's."""
    out = {}
    mitre = {"join_style": "mitre", "mitre_limit": 3.0}
    for g, _ in GROUPS:
        union = shapely.unary_union([r["_strip"]["poly"] for r in records if r["CBFBM"][12:14] == g])
        closed = union.buffer(3.5, **mitre).buffer(-3.5, **mitre)
        out[g] = closed.buffer(2.5, **mitre).simplify(0.2)
    village = shapely.unary_union(list(out.values())).buffer(3.5, **mitre).buffer(-3.5, **mitre)
    out["village"] = village.buffer(2.0, **mitre).simplify(0.2)
    return out


def as_multi(geom) -> MultiPolygon:
    return geom if geom.geom_type == "MultiPolygon" else MultiPolygon([geom])


# ============================================================================================
# Output
# ============================================================================================
def write_csv(name: str, header: list[str], rows: list[list]) -> None:
    with open(OUT / name, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_features(name: str, features: list[dict]) -> None:
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text = ('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n")
    (OUT / name).write_text(text, encoding="utf-8")


def main() -> None:
    rng = random.Random(SEED)
    mesh, strips = build_fields(rng)
    gk, ll = place(mesh)
    for i, s in enumerate(strips):
        s["id"] = i
        s["bandkey"] = (s["block"], s["band"])
        s["poly"] = Polygon([gk[v] for v in s["ring"]])
        s["poly_ll"] = Polygon([ll[v] for v in s["ring"]])
    sides = adjacency_of(strips)
    touching = {sid: {o for side in sd.values() for _, o in side} for sid, sd in sides.items()}

    n_strips = {g: sum(1 for s in strips if BLOCKS[s["block"]]["group"] == g) for g, _ in GROUPS}
    n_households = {g: round(n / 4.0) for g, n in n_strips.items()}
    households, people = build_people(rng, n_households)
    settled = mark_remarks(rng, households)

    owner = {}
    for g, _ in GROUPS:
        codes = [h["code"] for h in households if h["group"] == g]
        mine = [s for s in strips if BLOCKS[s["block"]]["group"] == g]
        owner.update(assign(rng, mine, touching, codes))
    heads = {h["code"]: h["members"][0]["name"] for h in households}
    block_sides = [b["sides"] for b in BLOCKS]
    records = parcel_records(rng, strips, owner, sides, heads, block_sides)
    records.sort(key=lambda r: r["DKBM"])
    bounds = boundaries(records)

    OUT.mkdir(parents=True, exist_ok=True)
    write_outputs(rng, households, records, bounds)
    summary = self_check(records, settled)
    print(summary)


def write_outputs(rng, households, records, bounds) -> None:
    t = Transformer.from_crs(4551, 4490, always_xy=True)

    def ll(geom):
        return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))

    units = [{"code": COUNTY[0], "name": COUNTY[1], "level": 1, "geom": None},
             {"code": TOWNSHIP[0], "name": TOWNSHIP[1], "level": 2, "geom": None},
             {"code": VILLAGE[0], "name": VILLAGE[1], "level": 3, "geom": bounds["village"]}]
    units += [{"code": VILLAGE[0] + g, "name": n, "level": 4, "geom": bounds[g]} for g, n in GROUPS]
    write_features("admin_units.geojson", [
        {"type": "Feature", "properties": {"code": u["code"], "name": u["name"], "level": u["level"]},
         "geometry": None if u["geom"] is None else mapping(as_multi(ll(u["geom"])))} for u in units])

    write_features("parcels.geojson", [
        {"type": "Feature", "properties": {k: v for k, v in r.items() if not k.startswith("_")},
         "geometry": mapping(MultiPolygon([r["_strip"]["poly_ll"]]))} for r in records])

    leaders = {}
    for g, _ in GROUPS:
        cands = [h for h in households if h["group"] == g and h["members"][0]["sex"] == 1
                 and 1958 <= h["members"][0]["birth"].year <= 1976 and not h["members"][0]["remark_code"]]
        leaders[g] = cands[len(cands) // 2]
    write_csv("collectives.csv", ["code", "name", "responsible_name", "responsible_id_type",
                                  "responsible_id_number", "phone", "address", "postcode"],
              [[VILLAGE[0] + g, f"{COUNTY[1]}{TOWNSHIP[1]}{VILLAGE[1]}{gname}",
                leaders[g]["members"][0]["name"], 1, leaders[g]["members"][0]["id"],
                leaders[g]["phone"], f"{PREFIX}{TOWNSHIP[1]}{VILLAGE[1]}{gname}", POSTCODE]
               for g, gname in GROUPS])
    write_csv("households.csv", ["code", "collective_code", "type", "name", "representative_id_number",
                                 "address", "postcode", "phone", "survey_date", "surveyor"],
              [[h["code"], h["collective"], 1, h["members"][0]["name"], h["members"][0]["id"],
                h["address"], POSTCODE, h["phone"], h["survey_date"].isoformat(), h["surveyor"]]
               for h in households])
    write_csv("members.csv", ["household_code", "name", "sex", "id_type", "id_number", "birth_date",
                              "relation", "is_co_holder", "remark_code", "remark_text",
                              "hukou_address", "residence_address", "phone"],
              [[h["code"], m["name"], m["sex"], 1, m["id"], m["birth"].isoformat(), m["relation"], 1,
                m["remark_code"], m["remark_text"], m["hukou"], m["residence"], m["phone"]]
               for h in households for m in h["members"]])

    contracts, links = [], []
    for h in households:
        mine = [r for r in records if r["CBFBM"] == h["code"]]
        areas = [ledger_area(rng, r["SCMJ"]) for r in mine]
        code = h["code"] + "J"
        signed = date(1998, 12, 20) + timedelta(days=rng.choice([-3, -2, -1, 0, 0, 0, 1, 2]))
        contracts.append([code, h["code"], h["collective"], "110", "1999-01-01", "2028-12-31",
                          signed.isoformat(), f"{round(sum(areas), 2):.2f}"])
        links += [[code, r["DKBM"], f"{a:.2f}", f"{r['SCMJ']:.2f}"] for r, a in zip(mine, areas, strict=True)]
    write_csv("contracts.csv", ["code", "household_code", "collective_code", "mode", "term_start",
                                "term_end", "signed_on", "total_area_m2"], contracts)
    write_csv("contract_parcels.csv", ["contract_code", "parcel_code", "contract_area_m2",
                                       "confirmed_area_m2"], links)


# ============================================================================================
# Self-check: read the written files back and verify them
# ============================================================================================
def _read_csv(name: str) -> list[dict]:
    with open(OUT / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _check_codes(cols, hhs, parcels) -> None:
    coll_codes = {c["code"] for c in cols}
    assert all(len(c) == 14 and c.startswith(VILLAGE[0]) and c.isdigit() for c in coll_codes)
    assert all(len(h["code"]) == 18 and h["code"][:14] == h["collective_code"] in coll_codes for h in hhs)
    hh_codes = {h["code"] for h in hhs}
    assert 54 <= len(hhs) <= 60, len(hhs)
    for f in parcels:
        p = f["properties"]
        assert len(p["DKBM"]) == 19 and p["DKBM"].isdigit() and p["DKBM"][:14] in coll_codes
        assert p["CBFBM"] in hh_codes and p["CBFBM"][:14] == p["DKBM"][:14]
        assert sum(bool(p[k]) for k in ("DKDZ", "DKNZ", "DKXZ", "DKBZ")) >= 3, p["DKBM"]
        assert p["SCMJM"] == round(p["SCMJ"] * 15 / 10000, 2)
    assert len({f["properties"]["DKBM"] for f in parcels}) == len(parcels) >= 210


def _check_people(cols, hhs, mems, settled_code: str) -> None:
    for m in mems:
        n = m["id_number"]
        assert len(n) == 18 and n[:6] == COUNTY[0] and id_check(n[:17]) == n[17], n
        assert n[6:14] == m["birth_date"].replace("-", "")
        assert int(m["sex"]) == (1 if int(n[16]) % 2 else 2)
    assert all(id_check(c["responsible_id_number"][:17]) == c["responsible_id_number"][17] for c in cols)
    assert len({m["id_number"] for m in mems}) == len(mems), "duplicate ID numbers"
    for h in hhs:
        mine = [m for m in mems if m["household_code"] == h["code"]]
        assert 2 <= len(mine) <= 6 and [m["relation"] for m in mine].count("02") == 1
        assert next(m for m in mine if m["relation"] == "02")["id_number"] == h["representative_id_number"]
    settled = [m for m in mems if "进城落户" in m["remark_text"]]
    assert {m["household_code"] for m in settled} == {settled_code}
    assert len(settled) == sum(m["household_code"] == settled_code for m in mems)


def _check_geometry(records, parcels, units) -> tuple[float, list]:
    """Valid, > 100 m², no overlaps in EPSG:4551; admin boundaries nest and do not overlap."""
    polys = [r["_strip"]["poly"] for r in records]
    assert all(p.is_valid and p.area > 100 for p in polys)
    lonlat = [shape(f["geometry"]) for f in parcels]
    assert all(g.is_valid and g.geom_type == "MultiPolygon" for g in lonlat)
    tree = STRtree(polys)
    worst = 0.0
    for i, j in zip(*tree.query(polys, predicate="intersects"), strict=True):
        if i < j:
            worst = max(worst, polys[i].intersection(polys[j]).area)
    assert worst <= 0.01, worst
    geoms = {u["properties"]["code"]: shape(u["geometry"]) for u in units if u["geometry"]}
    groups = [geoms[VILLAGE[0] + g] for g, _ in GROUPS]
    assert all(g.is_valid for g in geoms.values())
    assert all(geoms[VILLAGE[0]].contains(g) for g in groups)
    assert all(not a.intersects(b) for i, a in enumerate(groups) for b in groups[i + 1:])
    for f, g in zip(parcels, lonlat, strict=True):
        assert geoms[f["properties"]["DKBM"][:14]].contains(g)
    return worst, lonlat


def _check_contracts(hhs, cons, links, parcels) -> None:
    hh_codes = {h["code"] for h in hhs}
    by_contract: dict[str, int] = {}
    for link in links:
        by_contract[link["contract_code"]] = by_contract.get(link["contract_code"], 0) + 1
        assert abs(float(link["contract_area_m2"]) / float(link["confirmed_area_m2"]) - 1) <= 0.08
    assert {c["household_code"] for c in cons} == hh_codes and len(cons) == len(hhs)
    assert all(c["code"] == c["household_code"] + "J" and by_contract.get(c["code"], 0) >= 1 for c in cons)
    per_hh: dict[str, int] = {}
    for f in parcels:
        per_hh[f["properties"]["CBFBM"]] = per_hh.get(f["properties"]["CBFBM"], 0) + 1
    assert all(3 <= per_hh.get(c, 0) <= 6 for c in hh_codes)
    assert len(links) == len(parcels) == len({link["parcel_code"] for link in links})


def self_check(records, settled) -> str:
    """Read the written files back, assert the demo's rules, and return a summary."""
    cols, hhs, mems = _read_csv("collectives.csv"), _read_csv("households.csv"), _read_csv("members.csv")
    cons, links = _read_csv("contracts.csv"), _read_csv("contract_parcels.csv")
    parcels = json.loads((OUT / "parcels.geojson").read_text(encoding="utf-8"))["features"]
    units = json.loads((OUT / "admin_units.geojson").read_text(encoding="utf-8"))["features"]
    _check_codes(cols, hhs, parcels)
    _check_people(cols, hhs, mems, settled["code"])
    worst, lonlat = _check_geometry(records, parcels, units)
    _check_contracts(hhs, cons, links, parcels)

    total = sum(f["properties"]["SCMJ"] for f in parcels)
    x0, y0, x1, y1 = shapely.unary_union(lonlat).bounds
    remarks: dict[str, int] = {}
    for m in mems:
        if m["remark_code"]:
            remarks[m["remark_code"]] = remarks.get(m["remark_code"], 0) + 1
    per_group = ", ".join(
        f"{name} {sum(h['collective_code'].endswith(g) for h in hhs)} households "
        f"{sum(f['properties']['DKBM'][12:14] == g for f in parcels)} parcels" for g, name in GROUPS)
    return (f"self-check passed\n"
            f"households {len(hhs)}, persons {len(mems)}, parcels {len(parcels)}, "
            f"total {total / M2_PER_MU:.2f} mu ({total:.2f} m²)\n"
            f"per group: {per_group}\n"
            f"remark codes {dict(sorted(remarks.items()))}; settled in town: {settled['code']} "
            f"({settled['members'][0]['name']})\n"
            f"parcel extent lon {x0:.6f}..{x1:.6f}, lat {y0:.6f}..{y1:.6f}; "
            f"largest overlap {worst:.2e} m²")


if __name__ == "__main__":
    main()
