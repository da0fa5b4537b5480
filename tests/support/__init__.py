"""What the tests run against: the fake API server and forges, shared fixtures and data (no tests)."""
