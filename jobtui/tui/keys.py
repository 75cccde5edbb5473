"""Every key of the dashboard, by action id.

An action id (``refresh_all``, ``cursor_down``) names what a key does; the
user remaps it in ``config.toml``::

    [ui.keys]
    refresh_all = "R,f5"

Textual's keymap does the remapping (each binding carries its action id as
its binding id), so the help screen, the command palette and the status bar
all read the same table. No destructive action sits on a plain ctrl+letter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding, BindingType

__all__ = [
    "KEY_SPECS",
    "WRITING_ACTIONS",
    "KeySpec",
    "bindings_for",
    "check_keymap",
    "resolved_keys",
    "writes",
]

Scope = Literal["joblist", "screen", "modal"]


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One remappable action."""

    id: str
    """The action id, used in ``[ui.keys]``."""
    keys: str
    """Default keys, comma-separated, in Textual's key names."""
    action: str
    """The Textual action it runs."""
    description: str
    """What it does, for the help screen and the command palette."""
    scope: Scope
    """Where the binding lives: the job list, or the dashboard screen."""
    hint: str | None = None
    """Short label in the status bar's key hints (None: not shown there)."""
    priority: bool = False
    """Whether it works even while an input has focus."""


KEY_SPECS: tuple[KeySpec, ...] = (
    KeySpec("cursor_down", "j,down", "cursor_down", "Next job", "joblist"),
    KeySpec("cursor_up", "k,up", "cursor_up", "Previous job", "joblist"),
    KeySpec("cursor_first", "g,home", "cursor_first", "First job", "joblist"),
    KeySpec("cursor_last", "G,end", "cursor_last", "Last job", "joblist"),
    KeySpec("page_down", "pagedown", "page_down", "One screen down", "joblist"),
    KeySpec("page_up", "pageup", "page_up", "One screen up", "joblist"),
    KeySpec("open", "enter", "open", "Open the job in the detail pane", "joblist"),
    KeySpec("toggle_mark", "space", "toggle_mark", "Mark for a bulk action", "joblist"),
    KeySpec("mark_all", "asterisk", "mark_all",
            "Mark every job the filter matches, shown or not (again: unmark)", "screen"),
    KeySpec("back", "escape", "back", "Back: clear the filter, then leave the pane", "screen"),
    # Priority: the filter bar takes focus before the keys typed right after "/" are routed.
    KeySpec("filter", "slash", "filter", "Filter the jobs", "screen", "filter", priority=True),
    KeySpec("problems", "E", "problems", "Problems only (failed, partial, unknown)", "screen"),
    KeySpec("failures", "F", "failures",
            "Failures grouped by cause, live; enter filters to one, r/d/x act on all its jobs",
            "screen"),
    KeySpec("stats", "I", "stats", "Stats: finished and failed per minute, per-provider budgets",
            "screen"),
    KeySpec("export", "w", "export", "Write the jobs the filter shows to a .csv or .jsonl file",
            "screen"),
    KeySpec("views", "v", "views", "Next saved view ([views.NAME] in the config)", "screen"),
    KeySpec("save_view", "V", "save_view", "Save the filter as a view in the config file",
            "screen"),
    KeySpec("sort", "s", "sort", "Sort by the next column", "screen", "sort"),
    KeySpec("sort_reverse", "S", "sort_reverse", "Reverse the sort", "screen"),
    KeySpec("refresh", "r", "refresh", "Refresh the selected (or marked) jobs now", "screen",
            "refresh"),
    KeySpec("refresh_all", "R,ctrl+r", "refresh_all", "Refresh every job now", "screen"),
    KeySpec("pause", "p", "pause", "Pause or resume polling", "screen", "pause"),
    KeySpec("interval_up", "plus", "interval(2.0)", "Poll less often", "screen"),
    KeySpec("interval_down", "minus", "interval(0.5)", "Poll more often", "screen"),
    KeySpec("add", "a", "add", "Add jobs", "screen", "add"),
    KeySpec("remove", "delete", "remove", "Stop watching the selected (or marked) jobs",
            "screen"),
    KeySpec("cancel", "x", "cancel", "Cancel at the provider", "screen", "cancel"),
    KeySpec("copy_id", "c", "copy_id", "Copy the job id", "screen", "copy"),
    KeySpec("copy_json", "C", "copy_json", "Copy the job JSON", "screen"),
    KeySpec("open_json", "e", "open_json", "Open the JSON in $PAGER or $EDITOR", "screen"),
    KeySpec("theme", "t", "theme", "Next theme", "screen", "theme"),
    KeySpec("focus_sidebar", "1", "focus_pane('sidebar')", "Providers pane", "screen"),
    KeySpec("focus_jobs", "2", "focus_pane('jobs')", "Jobs pane", "screen"),
    KeySpec("focus_detail", "3", "focus_pane('detail')", "Detail pane", "screen"),
    KeySpec("next_pane", "tab", "next_pane", "Next pane", "screen"),
    KeySpec("show_preview", "i", "show_preview",
            "Show preview: the job's pictures in the detail pane ([ui] images)", "screen"),
    KeySpec("toggle_sidebar", "b", "toggle_sidebar", "Show or hide the providers", "screen"),
    KeySpec("maximize", "f", "maximize", "Maximize the focused pane", "screen"),
    KeySpec("help", "question_mark,f1", "help", "Keys and help", "screen", "help"),
    KeySpec("quit", "q", "quit", "Quit", "screen", "quit"),
    KeySpec("quit_now", "ctrl+c", "quit", "Quit", "screen", priority=True),
)
"""Every remappable key, in the order help lists them."""

WRITING_ACTIONS = frozenset(
    {"refresh", "refresh_all", "pause", "interval", "add", "remove", "cancel"}
)
"""Actions that write (the store, a request to the poller, a provider): a read-only
dashboard (``--read-only``) hides them from the hints, the help and the palette."""


def writes(spec: KeySpec) -> bool:
    """Whether ``spec``'s action changes anything (see ``WRITING_ACTIONS``)."""
    return spec.action.split("(")[0] in WRITING_ACTIONS


_BY_ID: dict[str, KeySpec] = {spec.id: spec for spec in KEY_SPECS}


def bindings_for(scope: Scope) -> list[BindingType]:
    """Textual bindings for one scope, each with its action id as binding id."""
    return [
        Binding(
            spec.keys,
            spec.action,
            spec.description,
            show=False,
            id=spec.id,
            priority=spec.priority,
        )
        for spec in KEY_SPECS
        if spec.scope == scope
    ]


def check_keymap(overrides: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Split ``[ui.keys]`` into a usable keymap and warnings about unknown ids."""
    keymap: dict[str, str] = {}
    warnings: list[str] = []
    for action_id, keys in overrides.items():
        if action_id not in _BY_ID:
            known = ", ".join(sorted(_BY_ID))
            warnings.append(f"ui.keys.{action_id}: unknown action id (known: {known})")
            continue
        cleaned = ",".join(key.strip() for key in keys.split(",") if key.strip())
        if not cleaned:
            warnings.append(f"ui.keys.{action_id}: no key given")
            continue
        keymap[action_id] = cleaned
    return keymap, warnings


def resolved_keys(keymap: Mapping[str, str]) -> dict[str, str]:
    """Action id → comma-separated keys, the user's keymap applied."""
    return {spec.id: keymap.get(spec.id, spec.keys) for spec in KEY_SPECS}
