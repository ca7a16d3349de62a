"""Locust scenarios for Hop with pass/fail thresholds (`make loadtest`)."""
