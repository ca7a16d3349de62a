"""The `hop` command line: one entry point for every Hop process and admin task."""
