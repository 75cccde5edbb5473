"""The poller: keeps watched jobs fresh within each provider's budget.

The engine schedules, batches, rate-limits and retries polls, writes every
result to the store and tells subscribers what changed. It imports no user
interface code; the dashboard and the headless commands both sit on it.
"""

from jobtui.engine.clock import Clock, ManualClock, SystemClock
from jobtui.engine.engine import Engine
from jobtui.engine.events import Event, JobChanged, JobRemoved, ProviderChanged
from jobtui.engine.ratelimit import TokenBucket
from jobtui.engine.schedule import Backoff, IntervalPolicy

__all__ = [
    "Backoff",
    "Clock",
    "Engine",
    "Event",
    "IntervalPolicy",
    "JobChanged",
    "JobRemoved",
    "ManualClock",
    "ProviderChanged",
    "SystemClock",
    "TokenBucket",
]
