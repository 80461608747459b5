"""A generated corpus of bad inputs (see generate.py)."""
