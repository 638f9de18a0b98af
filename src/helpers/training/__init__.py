"""Joint sales + marketing workshop exercises (SPEC §5), one module per job.

- :mod:`.session`: the workshop a kernel belongs to (data directory, session name) and the
  participant using it; every answer goes straight to the answer store.
- :mod:`.join`: the name / role / team panel a participant fills in once.
- :mod:`.display`: widgets shown with a static fallback, so a notebook executed by papermill
  reads as a page of tables and charts instead of "Loading widget…".
- :mod:`.summary`: what every exercise hands to the facilitator view and the session report.
- One module per exercise: :mod:`.calibration`, :mod:`.what_if`, :mod:`.shared_goals`,
  :mod:`.quiz`, :mod:`.rejections`.
"""
