"""``python -m jobtui``."""

import sys

from jobtui.cli import main

sys.exit(main())
