"""The error responses most API operations document: no account (401), not allowed (403), not found
(404) and bad input (422); an operation adds its own (400, 409, 413) beside them."""
from __future__ import annotations

ERRORS = [401, 403, 404, 422]
