"""`python -m bid_panel` is the same as `bid-panel`."""

import sys

from bid_panel.cli import main

sys.exit(main())
