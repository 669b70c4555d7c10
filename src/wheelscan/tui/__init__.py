"""The Textual terminal app (SPEC 8)."""
