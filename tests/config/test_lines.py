"""The key locator behind config error lines, on the TOML forms a hand-written file uses."""

from __future__ import annotations

import tomllib

from jobtui.config.lines import KeyLines

DOCUMENT = """\
# comment [not.a.table]
title = "x"          # [also.not]
[ui]
keys.quit = "q"
"quoted.key" = 1
'literal key' = 2

[[jobs]]
provider = "a"
  [jobs.extra]
  note = \"\"\"
[[jobs]]
provider = "fake"
\"\"\"

[[jobs]]
id = 'x'
[[jobs.items]]
name = 1
[[jobs.items]]
name = 2

[ providers . "dee po" ]
kind = "deepomatic"
scopes = [
  "a", # [providers.nope]
  { x = 1 },
]
after = '''
a = 1
'''
last = "\\"[x]\\""
"""


def test_keys_tables_and_array_elements_have_their_lines() -> None:
    parsed = tomllib.loads(DOCUMENT)  # a valid document, as the loader only scans those
    assert parsed["jobs"][0]["extra"]["note"].startswith("[[jobs]]")
    lines = KeyLines(DOCUMENT)
    expected = {
        ("title",): 2,
        ("ui",): 3,
        ("ui", "keys"): 4,
        ("ui", "keys", "quit"): 4,
        ("ui", "quoted.key"): 5,
        ("ui", "literal key"): 6,
        ("jobs", 0): 8,
        ("jobs", 0, "provider"): 9,
        ("jobs", 0, "extra"): 10,
        ("jobs", 0, "extra", "note"): 11,
        ("jobs", 1): 16,
        ("jobs", 1, "id"): 17,
        ("jobs", 1, "items", 0): 18,
        ("jobs", 1, "items", 1, "name"): 21,
        ("providers", "dee po"): 23,
        ("providers", "dee po", "scopes"): 25,
        ("providers", "dee po", "after"): 29,
        ("providers", "dee po", "last"): 32,
    }
    assert {path: lines.line_of(path) for path in expected} == expected


def test_unknown_paths_fall_back_to_the_nearest_ancestor() -> None:
    lines = KeyLines(DOCUMENT)
    assert lines.line_of(("providers", "dee po", "scopes", 1, "x")) == 25
    # A table created by a header (``jobs``, ``providers``) is at its first header.
    assert lines.line_of(("jobs", 2, "id")) == 8
    assert lines.line_of(("providers", "nope")) == 23
    assert lines.line_of(("nothing", "here")) is None
    assert lines.line_of(()) is None


def test_crlf_line_endings() -> None:
    lines = KeyLines('[ui]\r\ntheme = "x"\r\n\r\n[defaults]\r\ntimeout = 1\r\n')
    assert lines.line_of(("defaults", "timeout")) == 5


def test_lookups_in_any_order_match_a_full_scan() -> None:
    # The text is scanned only as far as a lookup needs: any order of lookups,
    # late paths first or unknown ones in between, gives every path the same line.
    paths = [
        ("providers", "dee po", "last"),
        ("title",),
        ("nothing", "here"),
        ("jobs", 1, "items", 1, "name"),
        ("ui", "keys", "quit"),
        ("jobs", 0, "extra", "note"),
        ("providers", "dee po", "scopes", 1, "x"),
        ("jobs", 2, "id"),
    ]
    fresh = {path: KeyLines(DOCUMENT).line_of(path) for path in paths}
    for order in (paths, paths[::-1], paths[2:] + paths[:2]):
        shared = KeyLines(DOCUMENT)
        assert {path: shared.line_of(path) for path in order} == fresh
