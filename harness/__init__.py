"""Starting Hop for tests, benchmarks and load tests: the one launch harness they all share.

- ``harness.processes``: real `hop` processes on free ports, waited for, stopped with SIGTERM then SIGKILL.
- ``harness.stores``: the Redis and Postgres to use, and isolated namespaces (schema + key prefix) in them.
- ``harness.clicks``: writing click batches as the edge does, and counting the clicks in the streams.
- ``harness.seed``: many links at once, as the links service would write them.
"""
