"""Fault injection and request accounting for the fake apiserver."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field


@dataclass
class Fault:
    """Make the next ``times`` requests matching (verb, path) misbehave.

    ``verb`` is a Kubernetes verb (get, list, watch, create, update, patch, delete,
    deletecollection), an HTTP method (GET, PATCH, ...) or ``*``; ``path`` is a regular
    expression searched in the URL path.
    """

    verb: str
    path: str
    times: int = 1
    status: int | None = None
    message: str | None = None
    delay: float = 0.0
    close: bool = False
    hits: int = 0

    def matches(self, method: str, verb: str, path: str) -> bool:
        v = self.verb
        return (v == "*" or v == verb or v.upper() == method) and re.search(self.path, path) is not None


@dataclass
class Record:
    """One request the server received (recorded before faults and auth are applied)."""

    method: str
    path: str
    query: dict[str, str]
    verb: str
    resource: str | None = None
    namespace: str | None = None
    name: str | None = None
    content_type: str = ""
    code: int | None = None


def _answering() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass
class Faults:
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: list[Fault] = field(default_factory=list)
    #: Cleared while the server hangs: requests are accepted and read, then wait here unanswered.
    answering: threading.Event = field(default_factory=_answering)

    def hang(self) -> None:
        self.answering.clear()

    def resume(self) -> None:
        self.answering.set()

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.pending.append(fault)
        return fault

    def take(self, method: str, verb: str, path: str) -> Fault | None:
        """The first pending fault for this request, consuming one of its uses."""
        with self.lock:
            for fault in self.pending:
                if fault.matches(method, verb, path):
                    fault.hits += 1
                    if fault.hits >= fault.times:
                        self.pending.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self.lock:
            self.pending.clear()
