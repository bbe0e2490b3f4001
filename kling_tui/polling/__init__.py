"""Keeping tasks fresh: the pure scheduler, the ETA estimate, the async poll loop."""
