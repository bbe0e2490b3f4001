"""Talking to gateways: credentials, the one fetcher, the one normalizer, id and URL
rules, the one sanitizer."""
