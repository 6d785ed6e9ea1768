"""Great Expectations data contracts (one module per table)."""
