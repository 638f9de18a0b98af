"""Alignment Workbook helpers: data loading and validation, metrics, statistics, plots, reports.

Nothing happens at import time; import what you need::

    from helpers import Workbook
    view = Workbook.load("data/sample").view("emea-ent", "2026Q3")
"""

from .config import Config, load_config
from .dataset import ALL_TEAMS, Dataset, load_dataset
from .errors import (
    ConfigError,
    DataValidationError,
    ParameterError,
    Problem,
    RenderError,
    WorkbookError,
)
from .metrics.attribution import MODELS as ATTRIBUTION_MODELS
from .metrics.attribution import AttributionResult
from .metrics.goals import AlignmentIndex
from .periods import Quarter
from .results import Figures
from .stats import Change, Rate, compare_rates, wilson_interval
from .workbook import KPIS, TeamQuarter, Workbook

__all__ = [
    "ALL_TEAMS",
    "ATTRIBUTION_MODELS",
    "AlignmentIndex",
    "AttributionResult",
    "Figures",
    "KPIS",
    "Change",
    "Config",
    "ConfigError",
    "DataValidationError",
    "Dataset",
    "ParameterError",
    "Problem",
    "Quarter",
    "Rate",
    "RenderError",
    "TeamQuarter",
    "Workbook",
    "WorkbookError",
    "compare_rates",
    "load_config",
    "load_dataset",
    "wilson_interval",
]
