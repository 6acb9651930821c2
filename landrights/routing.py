"""Routes written with a blueprint's decorators in one module and added to the blueprint by name where
the blueprint is assembled (`add_routes(bp)`), not as a side effect of importing the module."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint


class Routes:
    """Records `@routes.route/get/post/…` as written; `register(bp)` adds every recorded route to
    `bp` in that order, so endpoint names stay `<blueprint>.<function>`."""

    def __init__(self) -> None:
        self._recorded: list[tuple[str, dict, Callable]] = []

    def route(self, rule: str, **options) -> Callable:
        def decorator(f):
            self._recorded.append((rule, options, f))
            return f

        return decorator

    def get(self, rule: str, **options) -> Callable:
        return self.route(rule, methods=["GET"], **options)

    def post(self, rule: str, **options) -> Callable:
        return self.route(rule, methods=["POST"], **options)

    def put(self, rule: str, **options) -> Callable:
        return self.route(rule, methods=["PUT"], **options)

    def patch(self, rule: str, **options) -> Callable:
        return self.route(rule, methods=["PATCH"], **options)

    def delete(self, rule: str, **options) -> Callable:
        return self.route(rule, methods=["DELETE"], **options)

    def register(self, bp: Blueprint) -> None:
        """Add the recorded routes to `bp`."""
        for rule, options, f in self._recorded:
            bp.route(rule, **options)(f)
