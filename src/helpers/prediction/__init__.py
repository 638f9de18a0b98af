"""Prediction, every model evaluated out of time (SPEC section 3, "Prediction"; issue 20).

- :mod:`.score_audit`: how well the CRM's lead ``score`` separates leads that convert
  (ROC AUC with a confidence interval, calibration, lift and cumulative gains by decile).
- :mod:`.lead_model`: a trained lead-scoring model beside the CRM's score, and the scores
  exported for the CRM (``workbook score``).
- :mod:`.forecast`: the quarter forecast of won revenue (P10 / P50 / P90) with its backtest.

Modules are imported on use; nothing happens at import time.
"""
