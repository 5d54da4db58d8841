"""The report's printable forms and charts (placeholder, filled below)."""
