"""The implementations of the ``gateway`` sub-commands (edges: files, terminal)."""
