"""Affiliate Desk: run a small business's affiliate program on your own computer."""

__version__ = "0.1.0"
