"""The exercise registry: the five exercises in workshop order, each with its page."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT

from helpers.training import calibration, quiz, rejections, shared_goals, what_if
from helpers.training.exercise import EXERCISES, pages

TRAINING = PROJECT / "src" / "helpers" / "training"


def test_registry_lists_the_five_exercises_in_workshop_order():
    assert list(EXERCISES) == ["calibration", "what_if", "shared_goals", "quiz", "rejections"]
    modules = [calibration, what_if, shared_goals, quiz, rejections]
    for exercise, module in zip(EXERCISES.values(), modules, strict=True):
        assert (exercise.slug, exercise.title) == (module.EXERCISE, module.TITLE)
        assert exercise.summarise is module.summarise


def test_pages_are_the_training_notebooks_numbered_in_order():
    assert pages() == {
        "01_lead_calibration.ipynb": "1 · Lead-qualification calibration",
        "02_sla_what_if.ipynb": "2 · SLA and funnel what-if",
        "03_shared_goals.ipynb": "3 · Shared goals for next quarter",
        "04_metrics_quiz.ipynb": "4 · Metrics quiz",
        "05_rejection_review.ipynb": "5 · Rejection-reason review",
    }
    for page in pages():
        assert (PROJECT / "notebooks" / "training" / page).is_file()


def test_apps_are_the_notebooks_widgets():
    assert EXERCISES["calibration"].app is calibration.CalibrationExercise
    assert EXERCISES["quiz"].app is quiz.QuizExercise
    for exercise in EXERCISES.values():
        assert callable(exercise.app.display) and callable(exercise.app.results_panel)


def _imported_names(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            yield node.module or "", [a.name for a in node.names]


def test_no_training_module_imports_a_private_name():
    for path in TRAINING.rglob("*.py"):
        for module, names in _imported_names(path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{path.relative_to(PROJECT)} imports {private} from {module}"


def test_nothing_is_looked_up_by_name():
    for path in TRAINING.rglob("*.py"):
        assert "importlib.import_module" not in path.read_text(encoding="utf-8"), path


def test_importing_the_training_layer_in_any_order_works():
    # An import cycle shows up as an ImportError for some first module.
    for first in ("exercise", "facilitator", "join", "server", "calibration", "quiz"):
        code = f"import helpers.training.{first}; import helpers.training.exercise"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
