"""Re-exported through a relative import."""

from .base import LocalBase


class Nested(LocalBase):
    id = "nested"
