"""Alignment Workbook helpers: data loading and validation, metrics, statistics, plots, reports.

Nothing happens at import time, and nothing heavy is imported until it is used: the names
below load their module on first access, so ``workbook reports`` with nothing to render does
not pay for pandas, papermill and nbformat. Import what you need::

    from helpers import Workbook
    view = Workbook.load("data/sample").view("emea-ent", "2026Q3")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public name -> (module, attribute).
_EXPORTS = {
    "ALL_TEAMS": ("data.schema", "ALL_TEAMS"),
    "ATTRIBUTION_MODELS": ("metrics.attribution", "MODELS"),
    "AlignmentIndex": ("metrics.goals", "AlignmentIndex"),
    "AttributionResult": ("metrics.attribution", "AttributionResult"),
    "Change": ("metrics.stats", "Change"),
    "Config": ("data.config", "Config"),
    "ConfigError": ("errors", "ConfigError"),
    "DataValidationError": ("errors", "DataValidationError"),
    "Dataset": ("data.dataset", "Dataset"),
    "Figures": ("metrics.figures", "Figures"),
    "ForecastReport": ("prediction.forecast", "ForecastReport"),
    "KPIS": ("metrics.headline", "KPIS"),
    "ModelEvaluation": ("prediction.lead_model", "ModelEvaluation"),
    "ParameterError": ("errors", "ParameterError"),
    "Problem": ("errors", "Problem"),
    "Quarter": ("data.periods", "Quarter"),
    "Rate": ("metrics.stats", "Rate"),
    "RenderError": ("errors", "RenderError"),
    "ScoreAudit": ("prediction.score_audit", "ScoreAudit"),
    "TeamQuarter": ("analysis.workbook", "TeamQuarter"),
    "Workbook": ("analysis.workbook", "Workbook"),
    "WorkbookError": ("errors", "WorkbookError"),
    "audit_lead_score": ("prediction.score_audit", "audit_lead_score"),
    "build_channel_explorer": ("explore.channels", "build_channel_explorer"),
    "build_cohort_explorer": ("explore.cohorts", "build_cohort_explorer"),
    "build_funnel_explorer": ("explore.funnel", "build_funnel_explorer"),
    "compare_rates": ("metrics.stats", "compare_rates"),
    "evaluate_lead_model": ("prediction.lead_model", "evaluate_lead_model"),
    "load_config": ("data.config", "load_config"),
    "load_dataset": ("data.source", "load_dataset"),
    "score_open_leads": ("prediction.lead_model", "score_open_leads"),
    "team_forecast": ("prediction.forecast", "team_forecast"),
    "wilson_interval": ("metrics.stats", "wilson_interval"),
}

__all__ = [
    "ALL_TEAMS",
    "ATTRIBUTION_MODELS",
    "AlignmentIndex",
    "AttributionResult",
    "Change",
    "Config",
    "ConfigError",
    "DataValidationError",
    "Dataset",
    "Figures",
    "ForecastReport",
    "KPIS",
    "ModelEvaluation",
    "ParameterError",
    "Problem",
    "Quarter",
    "Rate",
    "RenderError",
    "ScoreAudit",
    "TeamQuarter",
    "Workbook",
    "WorkbookError",
    "audit_lead_score",
    "build_channel_explorer",
    "build_cohort_explorer",
    "build_funnel_explorer",
    "compare_rates",
    "evaluate_lead_model",
    "load_config",
    "load_dataset",
    "score_open_leads",
    "team_forecast",
    "wilson_interval",
]

if TYPE_CHECKING:
    from .analysis.workbook import TeamQuarter, Workbook
    from .data.config import Config, load_config
    from .data.dataset import Dataset
    from .data.periods import Quarter
    from .data.schema import ALL_TEAMS
    from .data.source import load_dataset
    from .errors import (
        ConfigError,
        DataValidationError,
        ParameterError,
        Problem,
        RenderError,
        WorkbookError,
    )
    from .explore.channels import build_channel_explorer
    from .explore.cohorts import build_cohort_explorer
    from .explore.funnel import build_funnel_explorer
    from .metrics.attribution import MODELS as ATTRIBUTION_MODELS
    from .metrics.attribution import AttributionResult
    from .metrics.figures import Figures
    from .metrics.goals import AlignmentIndex
    from .metrics.headline import KPIS
    from .metrics.stats import Change, Rate, compare_rates, wilson_interval
    from .prediction.forecast import ForecastReport, team_forecast
    from .prediction.lead_model import ModelEvaluation, evaluate_lead_model, score_open_leads
    from .prediction.score_audit import ScoreAudit, audit_lead_score


def __getattr__(name: str) -> Any:
    """Load a public name's module on first access (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
