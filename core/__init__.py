"""Shared foundations: settings, typed records and token counting. Imports nothing from the project."""
