"""Size and nesting limits applied to every payload before it is decoded."""

from __future__ import annotations

from typing import Any

from d4h_sdk.config import DEFAULT_MAX_JSON_DEPTH
from d4h_sdk.errors import PayloadTooLargeError

__all__ = ["check_depth", "check_size"]

_CONTAINERS = (dict, list, tuple)


def check_size(size: int, max_bytes: int) -> None:
    """Raise :class:`PayloadTooLargeError` when ``size`` exceeds ``max_bytes``."""
    if size > max_bytes:
        raise PayloadTooLargeError(f"payload of {size} bytes exceeds the limit of {max_bytes} bytes")


def check_depth(value: Any, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> None:
    """Raise :class:`PayloadTooLargeError` when JSON ``value`` nests deeper than ``max_depth``.

    Iterative, so hostile input cannot exhaust the Python stack.
    """
    if type(value) not in _CONTAINERS:
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if depth > max_depth:
            raise PayloadTooLargeError(f"JSON nesting deeper than {max_depth} levels")
        children = item.values() if type(item) is dict else item
        deeper = depth + 1
        for child in children:
            if type(child) in _CONTAINERS:
                push((child, deeper))
