"""The HTML the server answers with: the terminal page and the refusal pages.

The terminal page loads textual-serve's own script and styles (xterm.js and
the websocket client) from ``/static``; it is written here rather than taken
from textual-serve's template so that it fetches nothing from another site
(that template asks a web font service for its font: a request that tells a
third party the dashboard was opened, and that hangs the page on a machine
with no way out).
"""

from __future__ import annotations

from html import escape

__all__ = ["refusal_page", "terminal_page"]

_STYLE = """
@font-face {
  font-family: "Roboto Mono";
  src: url("/static/fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
}
html, body { margin: 0; height: 100%; background: #0c181f; }
body { color: rgba(255, 255, 255, 0.95); font-family: "Roboto Mono", monospace; }
#terminal { position: absolute; inset: 0; opacity: 0; }
body.-first-byte #terminal { opacity: 1; }
.notice {
  position: absolute; inset: 0; display: flex; align-items: center;
  justify-content: center; text-align: center; z-index: 10;
}
.closed { display: none; background: #0c181f; }
body.-first-byte .waiting { display: none; }
body.-closed .closed { display: flex; }
button {
  padding: 12px 28px; margin: 16px; border: none; cursor: pointer;
  background: #5e0ba7; color: inherit; font: inherit;
}
"""


def terminal_page(title: str, websocket_url: str, font_size: int = 16) -> str:
    """The page that runs one dashboard session over ``websocket_url``."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/static/css/xterm.css">
<script src="/static/js/textual.js"></script>
<style>{_STYLE}</style>
</head>
<body>
<div class="notice waiting"><div>{escape(title)}: starting the dashboard…</div></div>
<div class="notice closed"><div>
  <div>The dashboard session has ended.</div>
  <div>(If it failed to start, the terminal running jobtui serve says why.)</div>
  <button type="button" onclick="window.location.reload()">Open a new one</button>
</div></div>
<div id="terminal" class="textual-terminal"
     data-session-websocket-url="{escape(websocket_url, quote=True)}"
     data-font-size="{font_size}"></div>
</body>
</html>
"""


def refusal_page(title: str, reason: str) -> str:
    """A page that says why the dashboard cannot be opened, and what to do."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body><div class="notice"><div>{escape(reason)}</div></div></body>
</html>
"""
