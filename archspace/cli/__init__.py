"""The `archspace` command: a thin shell over the Python API."""

from .app import app, main

__all__ = ["app", "main"]
