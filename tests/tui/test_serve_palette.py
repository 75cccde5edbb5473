"""The command palette tells how to serve this dashboard to a browser."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette

from jobtui.tui.app import JobtuiApp
from jobtui.tui.palette import serve_hint

from support.waiting import wait_until


def test_the_hint_names_this_config_quoted() -> None:
    hint = serve_hint(Path("/home/me/my jobs.toml"))
    assert "jobtui --config '/home/me/my jobs.toml' serve" in hint
    assert "ssh -L 8765:127.0.0.1:8765" in hint
    assert "jobtui serve" in serve_hint(None)


async def test_the_palette_entry_shows_the_command_line(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Serve this dashboard", "enter")
        await wait_until(
            pilot,
            lambda: any("jobtui serve" in str(n.message) for n in app._notifications),
            "a notice with the serve command line",
        )
