"""Notebook parameters as plain data: what papermill can write into a notebook as literals."""

from __future__ import annotations

import keyword
import os
from collections.abc import Mapping
from typing import Any

from ..errors import ParameterError


def check_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Check notebook parameters and reduce them to data papermill writes as literals.

    papermill writes ``name = <literal>`` into the injected cell. Names go in verbatim, so
    they must be identifiers; values of types it does not know are quoted without escaping,
    so they must be plain data.

    Parameters
    ----------
    parameters : mapping
        Parameter name to value.

    Returns
    -------
    dict
        A new dict: ``bool``/``int``/``float``/``str`` subclasses converted to the builtin
        type, ``os.PathLike`` to ``str``, tuples to lists.

    Raises
    ------
    ParameterError
        When a name is not an identifier or a value is of another type.

    Examples
    --------
    >>> check_parameters({"team": "emea", "weeks": (1, 2)})
    {'team': 'emea', 'weeks': [1, 2]}
    """
    if not isinstance(parameters, Mapping):
        raise ParameterError(f"parameters must be a dict, got {type(parameters).__name__}.")
    checked = {}
    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ParameterError(
                f"parameter name {name!r} is not a Python identifier; "
                "use letters, digits and underscores, e.g. data_dir."
            )
        checked[name] = _plain(value, name)
    return checked


def _plain(value: Any, name: str) -> Any:
    """Check that ``value`` is data papermill writes as a literal (recursively)."""
    # Exact builtin types: papermill formats subclasses (enums, numpy scalars) unpredictably.
    if value is None:
        return None
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, list | tuple):
        return [_plain(item, name) for item in value]
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {key: _plain(item, name) for key, item in value.items()}
    raise ParameterError(
        f"parameter {name!r}: a value of type {type(value).__name__} cannot be passed to a "
        "notebook; pass str, int, float, bool, None, or lists and str-keyed dicts of these."
    )
