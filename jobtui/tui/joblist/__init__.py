"""The job list without Textual: rows, columns, glyphs, the filter query and the model."""
