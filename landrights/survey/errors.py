"""The survey file's own error: raised by the pure reading code, turned into the user's message by
services.file_error."""
from __future__ import annotations


class SurveyFileError(ValueError):
    """The file cannot be read as a survey layer; says which part and which rule."""

    def __init__(self, key: str, field: str, **params):
        super().__init__(key)
        self.key, self.field, self.params = key, field, params
