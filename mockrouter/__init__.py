"""mockrouter: an offline, contract-faithful stand-in for the OpenRouter API."""

from __future__ import annotations

from mockrouter.app import create_app
from mockrouter.errors import FixtureError, MockRouterError
from mockrouter.faults import Fault
from mockrouter.fixtures import load
from mockrouter.journal import Journal
from mockrouter.pipeline import Mock
from mockrouter.server import MockRouterServer
from mockrouter.settings import Settings
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
