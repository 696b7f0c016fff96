"""bid_panel: score, moderate and audit tender bids in the terminal."""

__version__ = "0.1.0"
