"""Gates run by `./test` (and so by .ci/run), issue 21 §1, §5 and §7: ruff with the project's
configuration; a complexity limit that counts boolean operators (radon's cyclomatic complexity:
every `and`/`or`, comprehension `if` and `except` counts, which ruff's C901 does not); the
layers (import-linter, the contract [tool.importlinter] in pyproject.toml); and roles compared
only in the domains' permissions.py modules."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "landrights"

# A function above this is split into named steps (radon rank C begins at 11).
MAX_COMPLEXITY = 10

# Functions still above the limit, by "path:qualified name". Each is in a file another piece of work
# was changing when the gate came in, so it was not split then; the lead shrinks this list. A function
# not listed here fails the gate when it goes above the limit, and an entry that is no longer above it
# (or no longer exists) fails too, so the list only shrinks.
ALLOWED_ABOVE_LIMIT: dict[str, str] = {}


def _blocks(blocks, prefix=""):
    """Yield (qualified name, complexity) of every function, method and closure radon sees."""
    for block in blocks:
        if hasattr(block, "methods"):  # a class: its methods and their closures
            yield from _blocks(block.methods, f"{prefix}{block.name}.")
            continue
        name = f"{prefix}{block.name}"
        yield name, block.complexity
        yield from _blocks(block.closures, f"{name}.")


def complexities() -> dict[str, int]:
    """Return {"path:name": complexity} for every function of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for name, value in _blocks(cc_visit(path.read_text(encoding="utf-8"))):
            found[f"{rel}:{name}"] = value
    return found


def test_complexity_limit():
    found = complexities()
    above = {name: value for name, value in found.items() if value > MAX_COMPLEXITY}
    new = sorted(f"{name} ({above[name]})" for name in above.keys() - ALLOWED_ABOVE_LIMIT.keys())
    stale = sorted(name for name in ALLOWED_ABOVE_LIMIT if found.get(name, 0) <= MAX_COMPLEXITY)
    assert not new, (f"functions above cyclomatic complexity {MAX_COMPLEXITY} (radon; boolean "
                     f"operators count): split them into named steps:\n  " + "\n  ".join(new))
    assert not stale, ("no longer above the limit: remove from ALLOWED_ABOVE_LIMIT in tests/test_gates.py:"
                       "\n  " + "\n  ".join(stale))


def test_ruff_clean():
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "landrights", "tests", "bench"]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_layers():
    """app -> domains -> accounts -> registry -> base: a new sideways or upward import fails here
    (docs/architecture.md); the known ones are listed, each with its reason, in pyproject.toml."""
    command = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[proc.stdout.find("Broken contracts"):] + proc.stderr


def test_every_module_is_in_a_layer():
    """A module no layer names is not checked at all: a new package must be put in its layer."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    named = {name.strip() for contract in config["contracts"] if contract["type"] == "layers"
             for layer in contract["layers"] for name in layer.replace("|", ":").split(":")}
    modules = {path.stem if path.is_file() else path.name for path in PACKAGE.iterdir()
               if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()}
    assert sorted(modules - named) == [], "put these in a layer of [tool.importlinter] in pyproject.toml"


# --- permissions per domain (issue 21 §5, docs/architecture.md "Permissions") ---------------------

# A role is compared only in a permissions.py module (accounts/permissions.py holds the Actor and
# the base checks; each domain's names its acts: can_<act>, require_<act>, role_may_<act>), and a
# template asks `can` (landrights/web/can.py). The comparisons left elsewhere decide nothing about
# the one acting: each is listed here by "path:function", with why. An entry whose comparison is
# gone fails too, so the list only shrinks. (A survey package's file roles, `role == "shx"` in
# survey/intake.py and handup/package.py, are bare names, not `.role`: not counted.)
ROLE_COMPARISONS_ALLOWED: dict[str, str] = {
    # SQL on the users table's role column, selecting accounts of a kind: data, not a permission
    "landrights/cli.py:_say_how_to_start": "is there an active county administrator account yet",
    "landrights/accounts/admin.py:list_accounts": "the role the administrator filters the list by",
    "landrights/accounts/queries.py:letter_collectives": "the households' own accounts, counted",
    "landrights/accounts/queries.py:collective_accounts": "the households' own accounts, listed",
    "landrights/market/documents.py:_transferee_address": "the register address of a farmer who bids",
    "landrights/market/entrustment_queries.py:entrust_form": "the collective's clerks, offered as agents",
}
TEMPLATE_ROLE_COMPARISON = re.compile(r"\.role\s*(?:==|!=|not\s+in\b|in\b)")
DOMAINS_WITH_PERMISSIONS = ("accounts", "registry", "certification", "rights", "market", "homestead",
                            "collective", "survey", "handup", "maps", "audit")


def _role_comparisons(tree: ast.AST) -> list[tuple[str, int]]:
    """Return (qualified function name, line) of every comparison with a `.role` operand."""
    found = []

    def visit(node, names):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, [*names, child.name])
                continue
            if isinstance(child, ast.Compare) and any(
                    isinstance(side, ast.Attribute) and side.attr == "role"
                    for side in (child.left, *child.comparators)):
                found.append((".".join(names) or "<module>", child.lineno))
            visit(child, names)

    visit(tree, [])
    return found


def role_comparisons() -> dict[str, list[int]]:
    """Return {"path:function": [lines]} of role comparisons outside permissions.py modules."""
    found: dict[str, list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "permissions.py":
            continue
        rel = path.relative_to(ROOT).as_posix()
        for name, line in _role_comparisons(ast.parse(path.read_text(encoding="utf-8"))):
            found.setdefault(f"{rel}:{name}", []).append(line)
    return found


def test_roles_are_compared_only_in_permissions_modules():
    found = role_comparisons()
    new = sorted(f"{place} (line {', '.join(map(str, lines))})" for place, lines in found.items()
                 if place not in ROLE_COMPARISONS_ALLOWED)
    stale = sorted(set(ROLE_COMPARISONS_ALLOWED) - set(found))
    assert not new, ("a role compared outside a permissions.py module: name the act in the domain's "
                     "permissions.py (can_<act>, require_<act>) and ask it:\n  " + "\n  ".join(new))
    assert not stale, ("no longer compares a role: remove from ROLE_COMPARISONS_ALLOWED in "
                       "tests/test_gates.py:\n  " + "\n  ".join(stale))


def test_templates_compare_no_role():
    found = [f"{path.relative_to(ROOT)}:{number}" for path in sorted((ROOT / "templates").rglob("*.html"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if TEMPLATE_ROLE_COMPARISON.search(line)]
    assert not found, ("a template compares a role: ask `can` instead, e.g. "
                       "{% if can.list_land(current_user, code) %}:\n  " + "\n  ".join(found))


def test_every_domain_has_its_permissions_module_in_can():
    """Each domain names its acts in permissions.py, and templates reach every one through `can`."""
    from landrights.web.can import DOMAINS

    missing = [d for d in DOMAINS_WITH_PERMISSIONS if not (PACKAGE / d / "permissions.py").is_file()]
    assert not missing, f"no permissions.py in {missing}"
    assert sorted(m.__name__ for m in DOMAINS) == sorted(f"landrights.{d}.permissions"
                                                          for d in DOMAINS_WITH_PERMISSIONS)
