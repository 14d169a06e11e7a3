"""Errors the user can act on, shared by packages that must not import each other.

`DataError` lives here (not in core.data) so that core.audio.io can subclass it without importing
core.data, whose uploads read audio through core.audio.io.
"""


class DataError(ValueError):
    """Data the user supplied (or asked for) cannot be used; the message says why and what to do."""
