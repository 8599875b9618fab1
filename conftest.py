"""Root pytest configuration: the fixed cast (healthchecks BaseTestCase style) lives in kefu/conftest.py."""
