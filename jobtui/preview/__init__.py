"""Image previews of jobs: which images a job names, fetching them safely, and cells.

No Textual and no Rich here: the detail pane's Preview tab draws the cells.
"""

from jobtui.preview.cells import Cell, half_cells
from jobtui.preview.loader import ImageLoader, Picture, PreviewFailure
from jobtui.preview.sources import ImageRef, image_refs

__all__ = [
    "Cell",
    "ImageLoader",
    "ImageRef",
    "Picture",
    "PreviewFailure",
    "half_cells",
    "image_refs",
]
