"""One registry pattern for every extension point (optimizations, estimators, dataflows, op handlers, ...).

Built-ins register with the decorator; outside packages through the entry-point group named by the registry
(e.g. ``accelkit.optimizations``), loaded lazily on first lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from accelkit.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of plug-ins of one kind."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._items: dict[str, T] = {}
        self._loaded_entry_points = entry_point_group is None

    def register(self, *names: str) -> Callable[[T], T]:
        """Decorator: ``@REGISTRY.register("Conv", "ConvInteger")``."""

        def deco(obj: T) -> T:
            for name in names or (getattr(obj, "__name__", None),):
                if name is None:
                    raise ValueError(f"a {self.kind} needs a name")
                if name in self._items and self._items[name] is not obj:
                    raise ValueError(f"{self.kind} {name!r} is registered twice")
                self._items[name] = obj
            return obj

        return deco

    def _load_entry_points(self) -> None:
        if self._loaded_entry_points:
            return
        self._loaded_entry_points = True
        for ep in entry_points(group=self.entry_point_group or ""):
            if ep.name not in self._items:
                self._items[ep.name] = ep.load()

    def get(self, name: str) -> T:
        self._load_entry_points()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, list(self._items)) from None

    def __contains__(self, name: object) -> bool:
        self._load_entry_points()
        return name in self._items

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        self._load_entry_points()
        return iter(sorted(self._items.items()))

    def __len__(self) -> int:
        self._load_entry_points()
        return len(self._items)
