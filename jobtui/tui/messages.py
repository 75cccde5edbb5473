"""Messages the dashboard's parts send each other."""

from __future__ import annotations

from collections.abc import Sequence

from textual.message import Message

__all__ = [
    "EngineEvents",
    "FilterChanged",
    "FilterClosed",
    "JobHighlighted",
    "JobOpened",
    "MarksChanged",
    "ProviderSelected",
]

JobKey = tuple[str, str]


class JobHighlighted(Message):
    """The job list's cursor rests on another job (None: the list is empty)."""

    def __init__(self, key: JobKey | None) -> None:
        self.key = key
        super().__init__()


class JobOpened(Message):
    """The user asked to open a job (enter, double click)."""

    def __init__(self, key: JobKey) -> None:
        self.key = key
        super().__init__()


class MarksChanged(Message):
    """Rows were marked or unmarked for a bulk action."""


class ProviderSelected(Message):
    """The sidebar's selection changed: a provider name, or None for all."""

    def __init__(self, provider: str | None) -> None:
        self.provider = provider
        super().__init__()


class FilterChanged(Message):
    """The filter text changed (sent on every keystroke)."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__()


class FilterClosed(Message):
    """The filter bar gave focus back: ``cleared`` when escape emptied it."""

    def __init__(self, cleared: bool) -> None:
        self.cleared = cleared
        super().__init__()


class EngineEvents(Message):
    """One tick's coalesced engine events, in order."""

    def __init__(self, events: Sequence[object]) -> None:
        self.events = events
        super().__init__()
