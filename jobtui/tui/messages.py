"""Messages the dashboard's parts send each other."""

from __future__ import annotations

from textual.message import Message

from jobtui.model import JobKey

__all__ = [
    "FilterClosed",
    "JobOpened",
    "MarksChanged",
    "ProviderSelected",
]



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


class FilterClosed(Message):
    """The filter bar gave focus back: ``cleared`` when escape emptied it."""

    def __init__(self, cleared: bool) -> None:
        self.cleared = cleared
        super().__init__()
