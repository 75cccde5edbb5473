"""The dashboard's surroundings: the terminal's abilities, hang-up, clipboard, pager, safe text."""
