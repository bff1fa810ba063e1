"""mockrouter: an offline, contract-faithful stand-in for the OpenRouter API."""

from __future__ import annotations

from mockrouter.engine.core import Mock
from mockrouter.errors import FixtureError, MockRouterError
from mockrouter.faults import Fault
from mockrouter.fixtures import load
from mockrouter.http.app import create_app
from mockrouter.http.server import MockRouterServer
from mockrouter.settings import Settings
from mockrouter.state.journal import Journal
from mockrouter.world import World

__version__ = "0.1.0"
__all__ = [
    "Fault",
    "FixtureError",
    "Journal",
    "Mock",
    "MockRouterError",
    "MockRouterServer",
    "Settings",
    "World",
    "__version__",
    "create_app",
    "load",
]
