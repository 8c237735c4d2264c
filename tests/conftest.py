"""Test-wide settings. Helpers live in each test module (or a folder's own conftest): several
folders have a conftest.py, so `from conftest import ...` would be ambiguous."""
