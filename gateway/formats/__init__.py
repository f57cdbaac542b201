"""Bytes to documents: a hardened XML parser and a JSON reader that yields the same tree shape."""
