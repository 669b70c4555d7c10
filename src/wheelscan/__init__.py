"""wheelscan: find cash-secured puts worth selling on a watchlist."""

__version__ = "0.1.0"
