"""The pure core: records, option math, criteria. No I/O happens here."""
