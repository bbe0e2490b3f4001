"""The embedded gateway simulator (tests, demo, benchmarks) and the demo session."""
