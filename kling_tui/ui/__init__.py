"""The Textual dashboard. Composes the core; holds no HTTP, JSON or TOML logic of its own."""
