"""The contract run's defaults and fixed settings, read from ``schemas/contract-run/defaults.yaml``.

Models positive completions are steered to, the ``max_tokens`` caps, the completion operations with their SSE chunk
schemas, schemathesis' phases and the fixed part of its configuration. ``MOCK_KEY`` is the key sent to the mock
when none is given (any well-formed key works unless ``--strict-keys``).
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from mockrouter.contract.operations import operations
from mockrouter.kinds import Dialect
from mockrouter.resources import data_dir

__all__ = [
    "COMPLETION_OPS",
    "DEFAULT_MODELS",
    "EMBEDDING_MODELS",
    "STEERED_OPS",
    "MOCK_KEY",
    "PHASES",
    "REAL_MAX_TOKENS",
    "STEER_MAX_TOKENS",
    "schemathesis_settings",
]

_DATA: dict[str, Any] = yaml.safe_load((data_dir("schemas") / "contract-run" / "defaults.yaml").read_text("utf-8"))

#: Positive completions are steered to these (an unknown id is rightly a 400, which no schema can express).
DEFAULT_MODELS: tuple[str, ...] = tuple(_DATA["default_models"])
#: ... and positive embeddings requests to these.
EMBEDDING_MODELS: dict[str, int] = dict(_DATA["embedding_models"])  # model -> its native vector size
#: The inference operations whose positive requests are steered (from the registry): operationId -> its dialect
STEERED_OPS: dict[str, Dialect] = {op.id: op.completion for op in operations() if op.completion is not None}
#: The key sent to the mock when none is given (any well-formed key works unless ``--strict-keys``).
MOCK_KEY = "sk-or-v1-" + "0" * 64
#: Positive requests' max_tokens cap: real servers (money), others (more than context/credits allow is a 400/402).
REAL_MAX_TOKENS: int = _DATA["max_tokens"]["real"]
STEER_MAX_TOKENS: int = _DATA["max_tokens"]["steered"]
#: the completion operations (from the registry), each with the schema of its SSE chunks
COMPLETION_OPS: dict[str, str] = {op.id: op.stream for op in operations() if op.stream is not None}
PHASES: tuple[str, ...] = tuple(_DATA["phases"])


def schemathesis_settings() -> dict[str, Any]:
    """The fixed part of schemathesis' configuration (a fresh copy: ``run`` adds to it)."""
    settings: dict[str, Any] = copy.deepcopy(_DATA["schemathesis"])
    return settings
