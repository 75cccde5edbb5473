"""Keys by action id: remapping, and no destructive action on a plain ctrl+letter."""

from __future__ import annotations

from jobtui.tui.keys import KEY_SPECS, check_keymap, resolved_keys

DESTRUCTIVE = {"remove", "cancel"}


def test_action_ids_are_unique() -> None:
    ids = [spec.id for spec in KEY_SPECS]
    assert len(ids) == len(set(ids))


def test_no_destructive_action_on_a_ctrl_key() -> None:
    for spec in KEY_SPECS:
        if spec.id in DESTRUCTIVE:
            assert all(not key.startswith("ctrl+") for key in spec.keys.split(","))


def test_remap_and_unknown_ids() -> None:
    keymap, warnings = check_keymap({"refresh_all": " R , f5 ", "fly": "z", "pause": " "})
    assert keymap == {"refresh_all": "R,f5"}
    assert any("ui.keys.fly: unknown action id" in w for w in warnings)
    assert any("ui.keys.pause: no key given" in w for w in warnings)
    keys = resolved_keys(keymap)
    assert keys["refresh_all"] == "R,f5"
    assert keys["cursor_down"] == "j,down"
