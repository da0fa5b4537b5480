"""What the CI integrations share: affected targets for fan-out, the pull-request number a
pipeline runs for, and the GitHub Actions entry point the composite actions call."""
