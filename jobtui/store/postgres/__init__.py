"""The PostgreSQL store: the ``JobStore`` interface on a team's database (psycopg 3).

Imported only when a store location is a ``postgresql://`` URL
(``jobtui.store.open_store``), so the SQLite default never loads psycopg.
``schema`` creates and migrates the tables, ``sql`` holds the statements,
``connection`` opens connections and words their errors without the
password, ``notify`` bounds the notifications a writer sends, ``listen``
waits for them on a viewer's own connection, and ``store``
is the class.
"""

from jobtui.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
