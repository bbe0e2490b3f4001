"""The watch list's rooms: the store and its lock, the codec between TOML tables and
entries, the caches that keep a 10,000-task list fast, atomic writes and safe reads."""
