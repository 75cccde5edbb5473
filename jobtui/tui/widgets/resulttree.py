"""A lazy tree of a job's result: children are built when a branch opens.

``Tree.add_json`` builds every node up front (1.6 s for 32k nodes). Here a
branch holds a page loader (:class:`jobtui.tui.results.nodes.Children`) and
adds its first :data:`~jobtui.tui.results.nodes.PAGE_SIZE` children when it is
expanded; a "… N more" line at the end of a long list adds the next page
when selected. Labels are ``Text`` built from escaped raw strings, never
markup.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.color import Color, ColorParseError
from textual.strip import Strip
from textual.theme import Theme
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from jobtui.textsafe import visible
from jobtui.tui.results.nodes import PAGE_SIZE, Children, ResultNode, Span
from jobtui.tui.terminal.safe_text import component_text_style
from jobtui.tui.themes import STATE_DEFAULTS
from jobtui.tui.widgets.passstyle import PassStyle

__all__ = ["ResultTree", "TreeEntry"]

Path = tuple[str, ...]


@dataclass(eq=False)
class TreeEntry:
    """What a tree line holds: its label spans and, for a branch, its page loader."""

    spans: tuple[Span, ...]
    path: Path
    children: Children | None = None
    loaded: int = 0
    """Children added so far (branches); the next page starts here."""
    more: bool = False
    """True for the "… N more" line of a long list; ``children`` is then its parent's."""

    @property
    def text(self) -> str:
        """The label as plain, unescaped text."""
        return "".join(text for text, _ in self.spans)


class ResultTree(PassStyle, Tree[TreeEntry]):
    """The Result tab: a job's normalized header, items and provider structures."""

    # The job list's vi keys work here too; Tree's own arrows, enter and space stay.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next line", show=False),
        Binding("k", "cursor_up", "Previous line", show=False),
        Binding("h", "cursor_parent", "Parent", show=False),
        Binding("l", "open_or_enter", "Open, or go into", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "resulttree--key",
        "resulttree--str",
        "resulttree--num",
        "resulttree--lit",
        "resulttree--muted",
        "resulttree--note",
        "resulttree--error",
        "resulttree--url",
    }

    DEFAULT_CSS = """
    ResultTree { background: $surface; }
    ResultTree > .resulttree--key { color: $text-accent; }
    ResultTree > .resulttree--str { color: $foreground; }
    ResultTree > .resulttree--num { color: $text-primary; }
    ResultTree > .resulttree--lit { color: $text-warning; text-style: italic; }
    ResultTree > .resulttree--muted { color: $text-muted; }
    ResultTree > .resulttree--note { color: $text-secondary; }
    ResultTree > .resulttree--error { color: $text-error; text-style: bold; }
    ResultTree > .resulttree--url { color: $text-primary; text-style: underline; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("result", id=id, classes=classes)
        self.show_root = False
        self.guide_depth = 2
        self._reopen: set[Path] = set()
        self._styles: dict[str, Style] = {}
        self._styles_for: object = None
        """What ``_styles`` were resolved against (theme, pseudo-classes, own style)."""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def on_focus(self) -> None:
        # Entering the pane shows where the keys act: the first line, not nothing.
        # After the refresh, once the focus rests here (a focus passing through at
        # start-up must not leave a highlight on a tree the keyboard never entered).
        self.call_after_refresh(self._highlight_first)

    def _highlight_first(self) -> None:
        if self.has_focus and self.cursor_line < 0 and self.last_line >= 0:
            self.cursor_line = 0

    def action_open_or_enter(self) -> None:
        """``l``, as in a file manager: open a closed branch, step into an open one.

        Never closes: ``h`` goes back to the parent, enter or space toggles.
        """
        node = self.cursor_node
        if node is None:
            self.cursor_line = 0
            return
        if node.allow_expand and not node.is_expanded:
            node.expand()
        elif node.is_expanded and node.children:
            self.move_cursor(node.children[0], animate=False)

    # -- public API --------------------------------------------------------------------------------

    def show_nodes(self, nodes: Sequence[ResultNode], *, keep_open: bool = True) -> None:
        """Replace the tree with ``nodes``; with ``keep_open``, branches open now stay open."""
        reopen = self._open_paths() if keep_open else set()
        cursor = self._cursor_path() if keep_open else None
        self.clear()
        self._styles = self._current_styles()
        self._reopen = reopen
        root_entry = TreeEntry((), (), Children(len(nodes), lambda a, b: nodes[a:b]))
        self.root.data = root_entry
        self._add_page(self.root, root_entry)
        # Lays the tree out once, with every page built above. Its NodeExpanded would
        # only bubble through every container up to the app: the root's page is built.
        with self.prevent(Tree.NodeExpanded):
            self.root.expand()
        if cursor is not None:
            self._move_to_path(cursor)
        # Build the lines now rather than when the tree is next idle: the frame that
        # draws this job then knows the tree's height, and no second layout follows.
        self.last_line  # noqa: B018 - the property builds them

    def relabel(self, nodes: Sequence[ResultNode]) -> int:
        """Redraw the labels of built lines from ``nodes``, the same job's tree built again.

        For text that changes with time alone ("51s ago"): nothing is added,
        removed, opened or moved, and only lines whose text differs are redrawn.
        Stops at the first line whose place does not match (the job itself
        changed: that is ``show_nodes``'s work). Returns how many lines changed.
        """
        return self._relabel(self.root, Children(len(nodes), lambda a, b: nodes[a:b]))

    def _relabel(self, node: TreeNode[TreeEntry], children: Children) -> int:
        parent = node.data
        if parent is None:
            return 0
        built = [c for c in node.children if c.data is not None and not c.data.more]
        changed = 0
        specs = children.load(0, len(built))
        for index, (child, spec) in enumerate(zip(built, specs, strict=False)):
            entry = child.data
            assert entry is not None
            if entry.path != (*parent.path, spec.key or str(index)):
                break
            if entry.spans != spec.spans:
                entry.spans = spec.spans
                child.set_label(self._label(entry))
                changed += 1
            if child.is_expanded and spec.children is not None:
                changed += self._relabel(child, spec.children)
        return changed

    def entries(self) -> Iterator[tuple[int, TreeEntry]]:
        """Every built line in display order with its depth (for tests and copying)."""

        def walk(node: TreeNode[TreeEntry], depth: int) -> Iterator[tuple[int, TreeEntry]]:
            for child in node.children:
                if child.data is not None:
                    yield depth, child.data
                if child.is_expanded:
                    yield from walk(child, depth + 1)

        return walk(self.root, 0)

    def find_node(self, text: str) -> TreeNode[TreeEntry] | None:
        """The first built node whose label contains ``text``."""
        stack = list(reversed(self.root.children))
        while stack:
            node = stack.pop()
            if node.data is not None and text in node.data.text:
                return node
            stack.extend(reversed(node.children))
        return None

    def selected_text(self) -> str:
        """The label under the cursor, as plain text (for copying)."""
        node = self.cursor_node
        return node.data.text if node is not None and node.data is not None else ""

    # -- drawing ---------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """One line, as ``Tree.render_line`` draws it, with the pass's style."""
        style = self.pass_style
        scroll_x, scroll_y = self.scroll_offset
        return self._render_line(y + scroll_y, scroll_x, scroll_x + self.size.width, style)

    # -- paging ------------------------------------------------------------------------------------

    def _load_page(self, node: TreeNode[TreeEntry], entry: TreeEntry) -> None:
        """Add ``entry``'s next page of children under ``node``, then lay out once."""
        self._add_page(node, entry)
        self._invalidate()

    def _add_page(self, node: TreeNode[TreeEntry], entry: TreeEntry) -> None:
        children = entry.children
        if children is None:
            return
        start = entry.loaded
        page = children.load(start, start + PAGE_SIZE)
        for index, spec in enumerate(page):
            path = (*entry.path, spec.key or str(start + index))
            has_children = spec.children is not None and spec.children.total > 0
            child_entry = TreeEntry(spec.spans, path, spec.children if has_children else None)
            opened = has_children and (spec.expanded or path in self._reopen)
            child = self._append_child(node, child_entry, expandable=has_children, expanded=opened)
            if opened:
                # Opened here, not by the user: no NodeExpanded comes, build the page now.
                self._add_page(child, child_entry)
        entry.loaded = start + len(page)
        remaining = children.total - entry.loaded
        if remaining > 0 and page:
            more = TreeEntry(
                (("… ", "muted"), (f"{remaining:,} more", "note")),
                (*entry.path, "…"),
                children,
                more=True,
            )
            self._append_child(node, more, expandable=False, expanded=False)

    def _append_child(
        self, parent: TreeNode[TreeEntry], entry: TreeEntry, *, expandable: bool, expanded: bool
    ) -> TreeNode[TreeEntry]:
        """Append a child without laying the tree out (``_load_page`` does that once).

        ``TreeNode.add`` invalidates and refreshes the whole tree on every call,
        about 70 µs a node; a page of 50 nodes (more with open branches) then
        cost more than a frame. This is ``add`` minus that (Textual is pinned).
        """
        node = self._add_node(parent, self._label(entry), entry)
        node._expanded = expanded
        node._allow_expand = expandable
        parent._children.append(node)
        parent._updates += 1
        return node

    def _load_next_page(self, more_node: TreeNode[TreeEntry]) -> None:
        parent = more_node.parent
        if parent is None or parent.data is None:
            return
        more_node.remove()
        self._load_page(parent, parent.data)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[TreeEntry]) -> None:
        """Build a branch's first page the first time it opens."""
        entry = event.node.data
        if entry is not None and not entry.more and entry.loaded == 0:
            self._load_page(event.node, entry)

    def on_tree_node_selected(self, event: Tree.NodeSelected[TreeEntry]) -> None:
        """Selecting "… N more" adds the next page in its place."""
        entry = event.node.data
        if entry is not None and entry.more:
            event.stop()
            self._load_next_page(event.node)

    def load_more(self, node: TreeNode[TreeEntry]) -> None:
        """Add the next page of the list that ``node`` (a "… N more" line) ends."""
        if node.data is not None and node.data.more:
            self._load_next_page(node)

    # -- labels ------------------------------------------------------------------------------------

    def _current_styles(self) -> dict[str, Style]:
        """The role styles, resolved again only when what they depend on changed.

        Resolving them costs a quarter of building a job's tree, and Textual's own
        cache of component styles is emptied on every refresh of the widget.
        """
        if not self.is_attached:
            return self._role_styles()
        basis = (self.app.theme, self.get_pseudo_class_state(), self.rich_style)
        if basis != self._styles_for or not self._styles:
            self._styles = self._role_styles()
            self._styles_for = basis
        return self._styles

    def _role_styles(self) -> dict[str, Style]:
        styles = {
            role.removeprefix("resulttree--"): component_text_style(self, role)
            for role in self.COMPONENT_CLASSES
        }
        variables = self.app.theme_variables if self.is_attached else {}
        for name, default in STATE_DEFAULTS.items():
            try:
                color = Color.parse(variables.get(name, default))
            except ColorParseError:
                color = Color.parse(default)
            styles[name] = Style(color=color.rich_color, bold=True)
        return styles

    def _label(self, entry: TreeEntry) -> Text:
        text = Text(end="", no_wrap=True)
        for value, role in entry.spans:
            text.append(visible(value), self._styles.get(role))
        return text

    def _on_theme_changed(self, theme: Theme) -> None:
        self._styles = self._role_styles()
        self._styles_for = None
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if node.data is not None:
                node.set_label(self._label(node.data))
            stack.extend(node.children)

    # -- keeping the view across refreshes ---------------------------------------------------------

    def _open_paths(self) -> set[Path]:
        opened: set[Path] = set()
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if node.is_expanded and node.data is not None:
                opened.add(node.data.path)
                stack.extend(node.children)
        return opened

    def _cursor_path(self) -> Path | None:
        node = self.cursor_node
        return node.data.path if node is not None and node.data is not None else None

    def _move_to_path(self, path: Path) -> None:
        node: TreeNode[TreeEntry] = self.root
        for depth in range(1, len(path) + 1):
            match = next(
                (c for c in node.children if c.data is not None and c.data.path == path[:depth]),
                None,
            )
            if match is None:
                break
            node = match
        if node is not self.root:
            self.move_cursor(node, animate=False)
