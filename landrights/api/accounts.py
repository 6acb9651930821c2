"""JSON API of accounts (issue 20 §1, tag Accounts): the county administrator lists, creates, edits,
deactivates and reactivates accounts and creates officers and clerks from a CSV file; activation
letters (PDF) for one account or a collective's households; lifting a lock. The same services as
the pages. No operation takes or answers a password: an account made here gets one when its
person uses the letter's code on the activation page."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, File, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import current_app

from landrights.accounts import activation, admin, changes, rules, services
from landrights.accounts import login as logins
from landrights.accounts.admin_views import letters_response
from landrights.accounts.inputs import AccountEdit, AccountIn, LettersQuery
from landrights.accounts.models import CHANGE_ACTIONS, ROLES
from landrights.accounts.views import current_actor
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.extensions import db

TAG = ["Accounts"]
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
_LETTER_ERRORS = {200: {"description": "The activation letters, one page each (PDF)", "content": PDF},
                  401: "Unauthorized", 403: "Forbidden", 404: "Not found", 409: "Conflict",
                  422: "Unprocessable"}

api = Routes()


class AccountQuery(Schema):
    q = String(validate=Length(max=64), metadata={"description": "part of the user name or name, or the "
                                                                 "start of the area code"})
    role = String(validate=OneOf(list(ROLES)))
    limit = Integer(load_default=50, validate=Range(min=1, max=500))
    offset = Integer(load_default=0, validate=Range(min=0, max=10**9))


class ChangeOut(Schema):
    changed_at = DateTime()
    by = String(allow_none=True, metadata={"description": "the account that made it; null: the system"})
    action = String(metadata={"enum": list(CHANGE_ACTIONS)})
    role_before = String(allow_none=True)
    role_after = String()
    area_before = String(allow_none=True)
    area_after = String(allow_none=True)
    active_before = Boolean(allow_none=True)
    active_after = Boolean()


class AccountOut(Schema):
    username = String()
    display_name = String()
    role = String()
    area_code = String(allow_none=True)
    state = String(metadata={"enum": ["awaiting", "active", "locked", "deactivated"]})
    phone = String(allow_none=True)
    created_at = DateTime()
    last_login_at = DateTime(allow_none=True)
    changes = List(Nested(ChangeOut), metadata={"description": "newest first (one account's only)"})


class AccountsOut(Schema):
    accounts = List(Nested(AccountOut))
    total = Integer()


class ImportIn(Schema):
    file = File(required=True, metadata={"description": "CSV (UTF-8 or GB18030) with the columns 用户名, "
                                                        "姓名, 角色, 辖区编码"})


class RowOut(Schema):
    line = Integer()
    username = String()
    result = String(metadata={"enum": ["created", "refused"]})
    column = String(allow_none=True, metadata={"description": "the column at fault"})
    message = String()


class ImportOut(Schema):
    created = Integer()
    refused = Integer()
    rows = List(Nested(RowOut))


class UnlockOut(Schema):
    cleared = Integer()


def _account(user, history: bool = False) -> dict:
    locked = bool(logins.locked_names(db.session, [user.username]))
    body = {"username": user.username, "display_name": user.display_name, "role": user.role,
            "area_code": changes.area_of(user), "phone": user.phone, "created_at": user.created_at,
            "last_login_at": user.last_login_at,
            "state": rules.account_state(is_active=user.is_active, password_hash=user.password_hash,
                                         locked=locked)}
    if history:
        body["changes"] = [{"changed_at": c.changed_at, "by": c.actor_name if c.actor_id else None,
                            "action": c.action, "role_before": c.role_before, "role_after": c.role_after,
                            "area_before": c.area_before, "area_after": c.area_after,
                            "active_before": c.active_before, "active_after": c.active_after}
                           for c in changes.history(db.session, user)]
    return body


@api.get("/accounts")
@api.input(AccountQuery, location="query")
@api.output(AccountsOut)
@api.doc(summary="List the accounts you administer (county administrator)", tags=TAG, responses=ERRORS)
def list_accounts(query_data):
    page = admin.list_accounts(db.session, current_actor(), q=query_data.get("q"),
                               role=query_data.get("role"), limit=query_data["limit"],
                               offset=query_data["offset"])
    return {"accounts": [_account(u) for u in page.items], "total": page.total}


@api.post("/accounts")
@api.input(AccountIn, location="json")
@api.output(AccountOut, status_code=201)
@api.doc(summary="Create an account, without a password: print its activation letter next", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def create_account(json_data):
    user = admin.create_account(db.session, current_actor(), **json_data)
    return _account(user, history=True)


@api.get("/accounts/<username>")
@api.output(AccountOut)
@api.doc(summary="One account with its changes (who, when, what)", tags=TAG, responses=ERRORS)
def get_account(username):
    return _account(services.administered(db.session, current_actor(), username), history=True)


@api.patch("/accounts/<username>")
@api.input(AccountEdit, location="json")
@api.output(AccountOut)
@api.doc(summary="Change an account's role and area", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def edit_account(username, json_data):
    user = admin.edit_account(db.session, current_actor(), username, **json_data)
    return _account(user, history=True)


@api.post("/accounts/<username>/deactivation")
@api.output(AccountOut)
@api.doc(summary="Deactivate an account: its sessions end, its tokens and letter are void", tags=TAG,
        responses=ERRORS)
@db.commits
def deactivate_account(username):
    user = services.set_active(db.session, current_actor(), username, False)
    return _account(user, history=True)


@api.post("/accounts/<username>/reactivation")
@api.output(AccountOut)
@api.doc(summary="Reactivate an account", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def reactivate_account(username):
    user = services.set_active(db.session, current_actor(), username, True)
    return _account(user, history=True)


@api.post("/accounts/<username>/unlock")
@api.output(UnlockOut)
@api.doc(summary="Lift the failed-login and failed-activation locks (the administrator; a township "
                "officer for its households)", tags=TAG, responses=ERRORS)
@db.commits
def unlock_account(username):
    cleared = services.unlock_login(db.session, current_actor(), username)
    return {"cleared": cleared}


@api.post("/account-imports")
@api.input(ImportIn, location="form_and_files")
@api.output(ImportOut)
@api.doc(summary="Create township officers and collective clerks from a CSV file; a result per row",
        tags=TAG, responses=[400, 413, *ERRORS])
@db.commits
def import_accounts(form_and_files_data):
    data = form_and_files_data["file"].read(2 * 2**20 + 1)
    results = admin.import_accounts(db.session, current_actor(), data)
    rows = [{"line": r.line, "username": r.username, "result": "created" if r.created else "refused",
             "column": r.column, "message": str(r.message)} for r in results]
    created = sum(1 for r in results if r.created)
    return {"created": created, "refused": len(results) - created, "rows": rows}


@api.post("/accounts/<username>/letter")
@api.doc(summary="Print a new activation letter for an account (PDF); the earlier code is void",
        tags=TAG, responses=_LETTER_ERRORS)
def account_letter(username):
    config = current_app.config
    issued = activation.issue_letter(db.session, current_actor(), username, days=config["ACTIVATION_DAYS"],
                                     hash_method=config["ACTIVATION_HASH_METHOD"])
    return letters_response([issued], username)


@api.post("/collectives/<code>/letters")
@api.input(LettersQuery, location="query")
@api.doc(summary="Give every household of a collective without an account one, and print their "
                "activation letters (PDF, a page each)", tags=TAG, responses=_LETTER_ERRORS)
def collective_letters(code, query_data):
    config = current_app.config
    issued = activation.issue_collective_letters(
        db.session, current_actor(), code, renew=query_data["renew"], days=config["ACTIVATION_DAYS"],
        hash_method=config["ACTIVATION_HASH_METHOD"])
    return letters_response(issued, code)


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
