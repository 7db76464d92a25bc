"""Test support: the pytest plugin (registered as `yunying`) and helpers for app tests."""
