"""A resource module's API routes: `landrights.routing.Routes` with APIFlask's `input`, `output` and
`doc` decorators (they only annotate the function), added to the API blueprint by `blueprint()`."""
from __future__ import annotations

from apiflask.scaffold import APIScaffold

from landrights import routing


class Routes(routing.Routes, APIScaffold):
    """Records API routes; `register(bp)` adds them to the API blueprint (endpoints `api.<function>`)."""
