"""The Textual dashboard: ``make_app`` builds it (see ``jobtui.tui.app``)."""
