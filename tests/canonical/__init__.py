"""Tests of the canonical model: WCO IDs, structure, XML and JSON forms, schemas."""
