"""Shared mechanisms used by every casework module."""
