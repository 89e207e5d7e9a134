"""Published JSON Schemas (``manifest.schema.json``); ``docs/`` carries the same file."""
