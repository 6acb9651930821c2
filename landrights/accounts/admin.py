"""The county administrator's account use cases (issue 20 §1): list and find accounts, create one,
change its role and area, and create township officers and clerks from a CSV file with a report
per row. An account made here has no password: its person sets one with the code of an
activation letter (accounts.activation). Deactivation and lifting locks are in accounts.services.

Who may do what: the system, or a county administrator within its county; nobody gives a role
above their own; nobody changes their own role or area, nor deactivates themself."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from landrights import patterns
from landrights.accounts import changes, rules
from landrights.accounts.models import ROLES, User
from landrights.accounts.permissions import (
    Actor,
    can_give_area,
    is_household_account,
    is_system,
    require_administer_accounts,
)
from landrights.accounts.services import administered
from landrights.errors import Conflict, DomainError, Forbidden, ValidationFailed
from landrights.registry.models import AdminUnit, Collective, Household
from landrights.registry.queries import Page

# the roles a county administrator gives on its pages; transferees register in the market
ADMIN_ROLES = ("county_admin", "township_officer", "collective_clerk", "farmer")
FILE_ROLES = ("township_officer", "collective_clerk")  # what a CSV file creates
FILE_MAX_ROWS = 2000


def list_accounts(session: Session, actor: Actor, *, q: str | None = None, role: str | None = None,
                  limit: int = 50, offset: int = 0) -> Page:
    """List the accounts the actor administers, by user name, found by part of the user name or
    name, or by the start of the area code.

    Raises:
        Forbidden: not an account administrator.
    """
    require_administer_accounts(actor)
    where = []
    if not is_system(actor):  # a county administrator: its county's
        county = actor.county_code
        where.append(sa.or_(User.county_code == county, User.township_code.startswith(county),
                            User.collective_code.startswith(county),
                            User.household_code.startswith(county)))
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(sa.or_(User.username.ilike(like), User.display_name.ilike(like),
                            *[c.startswith(q, autoescape=True) for c in
                              (User.township_code, User.collective_code, User.household_code)]))
    if role in ROLES:
        where.append(User.role == role)
    total = session.scalar(sa.select(sa.func.count()).select_from(User).where(*where))
    items = list(session.scalars(sa.select(User).where(*where).order_by(User.username)
                                 .limit(limit).offset(offset)))
    return Page(items=items, total=total, limit=limit, offset=offset)


def create_account(session: Session, actor: Actor, *, username: str, display_name: str, role: str,
                   area_code: str) -> User:
    """Create an account with a role and its area, without a password: print its activation
    letter next (accounts.activation.issue_letter).

    Raises:
        Forbidden: not an account administrator, a role above the actor's own, an area outside its
            county. ValidationFailed: the user name, name, role or area code (naming the field).
        Conflict: the user name is taken.
    """
    require_administer_accounts(actor)
    username, display_name = (username or "").strip(), (display_name or "").strip()
    _check_username(session, username, role)
    if not display_name or len(display_name) > 100:
        raise ValidationFailed(_l("Give the name of the person (at most 100 characters)."),
                               field="display_name")
    column = _check_role(actor, role)
    area_code = _check_area(session, actor, role, column, area_code)
    user = User(username=username, display_name=display_name, role=role,
                password_hash=rules.NO_PASSWORD, **{column: area_code})
    _add(session, user)
    changes.record(session, actor, user, "created")
    return user


def edit_account(session: Session, actor: Actor, username: str, *, role: str, area_code: str) -> User:
    """Change an account's role and area (its other area columns are cleared).

    Raises:
        Forbidden: not its administrator, its own account, a role above the actor's own (the
            account's or the new one), an area outside its county. ValidationFailed: the role or
            area code. Conflict: a household's account would become an official's or back.
    """
    require_administer_accounts(actor)
    user = administered(session, actor, username)
    if user.id == actor.user_id:
        raise Forbidden(_l("You cannot change your own role or area: ask another administrator."),
                        field="role")
    if not rules.may_grant(actor.role, user.role):
        raise Forbidden(_l("Nobody may change an account whose role is above their own."), field="role")
    column = _check_role(actor, role)
    if (role == "farmer") != is_household_account(user):
        raise Conflict(_l("A household's account stays a household's, and an official's stays an "
                          "official's: create a new account instead."), field="role")
    area_code = _check_area(session, actor, role, column, area_code)
    before = changes.snapshot(user)
    if (before.role, before.area) == (role, area_code):
        return user
    user.role = role
    for other in rules.AREA_LENGTHS:
        setattr(user, other, None)
    setattr(user, column, area_code)
    _add(session, user)
    changes.record(session, actor, user, "edited", before)
    return user


def _add(session: Session, user: User) -> None:
    """Write the account inside a savepoint: a refusal by the database leaves the caller's
    transaction (a file's other rows) as it was."""
    from landrights.registry.constraints import translate

    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except DBAPIError as exc:
        raise translate(exc) from exc


def _check_username(session: Session, username: str, role: str) -> None:
    patterns.USERNAME.check(username, "username")
    if role != "farmer" and len(username) == 18 and username.isdigit():
        raise ValidationFailed(_l("User names of 18 digits are kept for the households' accounts "
                                  "(their household code)."), field="username")
    taken = session.scalar(sa.select(User.id).where(sa.func.lower(User.username) == username.lower()))
    if taken:
        raise Conflict(_l("The user name %(name)s is taken; choose another.", name=username),
                       field="username")


def _check_role(actor: Actor, role: str) -> str:
    if role not in ADMIN_ROLES:
        raise ValidationFailed(_l("Choose a role: county administrator, township officer, "
                                  "collective clerk or farmer household."), field="role")
    if not rules.may_grant(actor.role, role):
        raise Forbidden(_l("Nobody may give a role above their own."), field="role")
    return ROLES[role][2]


_AREA_NAMES = {"county_code": _l("county"), "township_code": _l("township"),
               "collective_code": _l("collective"), "household_code": _l("household")}


def _check_area(session: Session, actor: Actor, role: str, column: str, code: str | None) -> str:
    code = (code or "").strip()
    if not rules.area_shape_ok(column, code):
        raise ValidationFailed(_l("The area of this role is a %(what)s: its code has %(n)s digits.",
                                  what=_AREA_NAMES[column], n=rules.AREA_LENGTHS[column]),
                               field="area_code")
    if not can_give_area(actor, code):
        raise Forbidden(_l("The area lies outside your county."), field="area_code")
    model, key = {"household_code": (Household, Household.code),
                  "collective_code": (Collective, Collective.code)}.get(column, (AdminUnit, AdminUnit.code))
    if not session.scalar(sa.select(sa.func.count()).select_from(model).where(key == code)):
        raise ValidationFailed(_l("No %(what)s with the code %(code)s is in the register.",
                                  what=_AREA_NAMES[column], code=code), field="area_code")
    return code


# --- accounts from a CSV file ----------------------------------------------------------------

# the columns of the file: (its header in Chinese, in English, the field it fills)
FILE_COLUMNS = (("用户名", "username", "username"), ("姓名", "name", "display_name"),
                ("角色", "role", "role"), ("辖区编码", "area_code", "area_code"))
COLUMN_LABELS = {"username": _l("user name"), "display_name": _l("name"), "role": _l("role"),
                 "area_code": _l("area code")}


@dataclass(frozen=True)
class RowResult:
    """What became of one row of an accounts file: created, or refused and why (naming the column)."""

    line: int  # the line of the file (the header is line 1)
    username: str
    created: bool
    column: str | None = None  # the field of the column at fault
    message: object = ""  # the reason, a lazy message shown in the reader's language


def import_accounts(session: Session, actor: Actor, data: bytes) -> list[RowResult]:
    """Create township officers and collective clerks from a CSV file (UTF-8 or GB18030, with the
    header of FILE_COLUMNS); each row is created or refused on its own, and reported.

    Raises:
        Forbidden: not an account administrator. ValidationFailed: not a CSV file with those
            columns, or more than FILE_MAX_ROWS rows (field file).
    """
    require_administer_accounts(actor)
    results = []
    for line, row in _file_rows(data):
        try:
            role = _file_role(row.get("role", ""))
            create_account(session, actor, username=row.get("username", ""),
                           display_name=row.get("display_name", ""), role=role,
                           area_code=row.get("area_code", ""))
            results.append(RowResult(line, row.get("username", ""), True))
        except DomainError as err:
            column = err.field if err.field in COLUMN_LABELS else None
            results.append(RowResult(line, row.get("username", ""), False, column, err.message))
    return results


def _file_role(text: str) -> str:
    text = text.strip()
    for code in FILE_ROLES:
        if text in (code, ROLES[code][0], ROLES[code][1]):
            return code
    raise ValidationFailed(_l("A file creates township officers (乡镇农经站人员) and collective clerks "
                              "(集体经济组织文书) only."), field="role")


def _file_rows(data: bytes):
    """Yield (line, {field: value}) of each non-empty row of the file.

    Raises:
        ValidationFailed: not text, no header with the four columns, or too many rows.
    """
    reader = csv.reader(io.StringIO(_decoded(data)))
    fields = _header_fields(next(reader, []))
    for line, row in _filled_rows(reader):
        yield line, _row_values(row, fields)


def _header_fields(header: list[str]) -> list[str | None]:
    """Return the field each column of the header names (None: a column the file may add).

    Raises:
        ValidationFailed: the header does not name the four columns, in Chinese or in English.
    """
    names = {zh: field for zh, _en, field in FILE_COLUMNS} | {en: field for _zh, en, field in FILE_COLUMNS}
    fields = [names.get(h.strip()) for h in header]
    if set(fields) - {None} != {f for _zh, _en, f in FILE_COLUMNS}:
        raise ValidationFailed(_l("The first line must name the columns 用户名, 姓名, 角色, 辖区编码 "
                                  "(download the template)."), field="file")
    return fields


def _filled_rows(reader) -> list[tuple[int, list[str]]]:
    """Return (line, cells) of the rows after the header holding anything but blanks.

    Raises:
        ValidationFailed: more than FILE_MAX_ROWS of them.
    """
    rows = [(n, r) for n, r in enumerate(reader, start=2) if any(c.strip() for c in r)]
    if len(rows) > FILE_MAX_ROWS:
        raise ValidationFailed(_l("A file may hold at most %(n)s accounts.", n=FILE_MAX_ROWS), field="file")
    return rows


def _row_values(row: list[str], fields: list[str | None]) -> dict[str, str]:
    """Return {field: stripped cell} of a row; a missing cell is empty."""
    return {f: (row[i].strip() if i < len(row) else "") for i, f in enumerate(fields) if f}


def _decoded(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030 (GBK)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise ValidationFailed(_l("The file is not a CSV text file."), field="file")


def template_csv() -> bytes:
    """Return the accounts file template: the header and two example rows, UTF-8 with a BOM (so
    Excel shows the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([zh for zh, _en, _f in FILE_COLUMNS])
    writer.writerow(["wang_dy", "王大勇", ROLES["township_officer"][0], "220421101"])
    writer.writerow(["li_yz", "李玉珍", ROLES["collective_clerk"][0], "22042110120101"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
