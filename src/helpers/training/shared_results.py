"""Results and exercise material computed once and shared by every page of a workshop.

In a served workshop every participant's page, the facilitator's and the projector live in
one process. What they show is the same for everyone who looks at the same moment: the
room's results of an exercise for a team (κ, charts, medians) change only when an answer is
given or someone joins, and the material of an exercise (the leads to rate, a team's
baseline) never changes during the session. :class:`SharedResults` keeps both, so a click
costs one stored row and a look costs a dictionary lookup, not a recomputation per viewer.

The owner is the workshop's room (:class:`helpers.training.serving.room.Room`); a notebook
kernel has none and computes everything itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

MATERIAL_LIMIT = 256  # distinct pieces of material kept (slider positions of the what-if …)


class SharedResults:
    """Per-session memo of results (keyed by the answers' version) and of exercise material.

    Parameters
    ----------
    version : callable
        Returns the current version of the session's answers (any comparable value, e.g.
        :meth:`helpers.training.answer_store.AnswerStore.version` of the session); results
        computed at one version are reused until it changes.

    Attributes
    ----------
    computed : int
        How many results were computed (not served from the memo): a benchmark and a test
        read it to see that viewers share one computation.
    """

    def __init__(self, version: Callable[[], Hashable]) -> None:
        self._version = version
        self._results: dict[Hashable, tuple[Hashable, Any]] = {}
        self._material: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self.computed = 0

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def result(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` at the answers' current version, once however many pages ask.

        Pages asking for the same key at once wait for one computation instead of each
        running their own.
        """
        with self._key_lock(key):
            version = self._version()
            found = self._results.get(key)
            if found is not None and found[0] == version:
                return found[1]
            value = compute()
            self._results[key] = (version, value)
            self.computed += 1
            return value

    def material(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per session (the most recent :data:`MATERIAL_LIMIT` kept)."""
        with self._key_lock(("material", key)):
            with self._lock:
                if key in self._material:
                    self._material.move_to_end(key)
                    return self._material[key]
            value = compute()
            with self._lock:
                self._material[key] = value
                while len(self._material) > MATERIAL_LIMIT:
                    self._material.popitem(last=False)
            return value
