"""Joint sales + marketing workshop exercises (SPEC §5), one module per job.

- :mod:`.exercise`: what every exercise provides (the :class:`~.exercise.Exercise` protocol)
  and the registry of the five in workshop order (:data:`~.exercise.EXERCISES`).
- :mod:`.session`: the workshop a kernel belongs to (data directory, session name) and the
  participant using it; every answer goes straight to :mod:`.answer_store`.
- :mod:`.join`: the name / role / team panel a participant fills in once.
- :mod:`.exercise_summary`: what every exercise hands to the facilitator view and the session
  report; :mod:`.facilitator` shows them.
- :mod:`.server`: ``workbook workshop``, the exercises served as Voila apps.
- The exercises: :mod:`.calibration` (a package: model, summary, charts, widget),
  :mod:`.what_if`, :mod:`.shared_goals`, :mod:`.quiz` (its questions in
  ``quiz_questions.toml``), :mod:`.rejections`.
"""
