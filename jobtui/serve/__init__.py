"""``jobtui serve``'s web side: the dashboard in a browser through textual-serve.

A small aiohttp site of our own (``site``) in front of textual-serve's
terminal page assets and its per-session process host: every browser tab
that opens the websocket gets its own ``jobtui`` dashboard process
(``sessions``), on the same config and store as every other process.
``access`` holds who may connect: a random token in the printed URL, and the
websocket's ``Origin`` checked against the served address. Nothing here
imports the dashboard: a session is a command line, run as a child process.
"""

from jobtui.serve.access import Origins, new_token, token_matches
from jobtui.serve.server import ServeOptions, run_server
from jobtui.serve.sessions import DashboardSession, SessionSlots

__all__ = [
    "DashboardSession",
    "Origins",
    "ServeOptions",
    "SessionSlots",
    "new_token",
    "run_server",
    "token_matches",
]
