"""Importing links from other shorteners: Bitly, Shlink, Kutt and YOURLS exports (issue 15, item 9).

Each source module turns its export into ``ImportedLink`` rows and ``RowProblem`` rows (``rows.py``),
reading it as hostile input (``reading.py``): size and row limits, per-row reasons instead of
exceptions. ``plan.py`` decides what each row becomes (created, already there, a conflict, invalid)
and creates the new links through the bulk-create path (admin/links_bulk.py); ``sources.py`` names
the formats. See docs/importing.md.
"""
