"""Customs interoperability gateway: feeds in, WCO DM canonical form, customs endpoints out."""

__version__ = "0.1.0"
