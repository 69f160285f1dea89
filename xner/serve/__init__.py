"""Serving taggers over HTTP: `create_app({lang: model})` (FastAPI), used by `xner serve`."""

from xner.serve.app import ServeLimits, create_app

__all__ = ["ServeLimits", "create_app"]
