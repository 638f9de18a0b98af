"""Mapping files of ``workbook import``: TOML parsed and checked into frozen dataclasses.

A mapping file says which export files and columns become which canonical tables and columns
(data/README.md, "Mapping file reference"). Every mistake is reported before any export is
read, as a :class:`~helpers.errors.MappingError` naming the mapping file, the key (e.g.
``tables.leads[0].values.chanel``), what was received and the fix.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..data.config import config_from_dict, default_settings
from ..data.schema import SIDES, TABLES, Table
from ..data.settings import did_you_mean
from ..errors import ConfigError, MappingError
from .cleaning import DEFAULT_MISSING, normalise_key

PRESET_PACKAGE = "helpers.importing"
PRESET_FOLDER = "presets"
WILDCARD = "*"
OTHER_VALUES = "\0*"
"""Rule id of ``"*"`` in :attr:`ValueMap.written` (not a cell's key, so ``" * "`` stays apart)."""
DATE_KEYWORDS = ("auto", "excel")
DECIMALS = (".", ",")

_TOP_KEYS = ("import", "workbook", "tables")
_IMPORT_KEYS = ("description", "date_format", "decimal", "missing")
_PART_KEYS = (
    "file",
    "columns",
    "constants",
    "values",
    "dates",
    "lookups",
    "split",
    "melt",
    "where",
    "keep",
    "optional",
    "required",
)
_LOOKUP_KEYS = ("file", "on", "match", "value", "default")
_MELT_COLUMNS = ("event", "at")
_PRESET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_NOT_SNAKE = re.compile(r"[^0-9a-z]+")


def _frozen(items: dict | None = None) -> MappingProxyType:
    # A read-only view of a private copy: the dataclasses stay immutable in practice.
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True)
class ValueMap:
    """A value map of one canonical column: export value -> canonical value.

    Attributes
    ----------
    column : str
        Canonical column the map applies to.
    mapping : MappingProxyType
        Normalised export value (see :func:`~helpers.importing.cleaning.normalise_key`) ->
        canonical value; ``""`` empties the cell.
    fallback : str or None
        Value of ``"*"``: used for every other non-empty value; ``None`` lets them pass through.
    written : MappingProxyType
        Rule -> the key as the mapping file wrote it (first spelling of a normalised key), in
        file order; the rules are the normalised keys and :data:`OTHER_VALUES` (for ``"*"``).
        The empty-cell rule is the key ``""`` (``"" = "unknown"`` gives empty cells a value).
    """

    column: str
    mapping: MappingProxyType = field(default_factory=_frozen)
    fallback: str | None = None
    written: MappingProxyType = field(default_factory=_frozen)

    def translate(self, value: str) -> str:
        """Canonical value of one export value (already stripped).

        Empty cells stay empty unless the map has an explicit ``""`` key: ``"*"`` is meant for
        values, and an empty required cell must still be reported.
        """
        rule = self.rule(value)
        if rule is None:
            return value
        return self.fallback if rule == OTHER_VALUES else self.mapping[rule]

    def rule(self, value: str) -> str | None:
        """The rule that applies to one export value (already stripped).

        Returns its normalised key when the map has it, :data:`OTHER_VALUES` when the ``"*"``
        rule takes it, or None when no rule applies (the value passes through unchanged; an
        empty cell without a ``""`` rule stays empty).

        >>> ValueMap("channel", _frozen({"": "unknown", "web": "website"}), "other").rule(" WEB")
        'web'
        """
        key = normalise_key(value)
        if key in self.mapping:
            return key
        if value == "" or self.fallback is None:
            return None
        return OTHER_VALUES

    @property
    def rules(self) -> tuple[tuple[str, str, str], ...]:
        """``(rule, key as written, canonical value)`` of every rule, in file order."""
        return tuple(
            (rule, key, self.fallback if rule == OTHER_VALUES else self.mapping[rule])
            for rule, key in self.written.items()
        )


@dataclass(frozen=True)
class Lookup:
    """``lookups.<column>``: a canonical column taken from a lookup file.

    Attributes
    ----------
    column : str
        Canonical column filled.
    file : str
        Name (or glob) of the lookup file, in SRC or beside the mapping file.
    on : str
        Export column whose value is looked up.
    match : str
        Column of the lookup file compared with ``on`` (ignoring case and spaces).
    value : str
        Column of the lookup file that is taken.
    default : str or None
        Value for rows without a match (and for all rows when the file is absent); ``None``
        makes a missing match an error.
    """

    column: str
    file: str
    on: str
    match: str
    value: str
    default: str | None = None


@dataclass(frozen=True)
class TablePart:
    """One ``[[tables.<name>]]`` entry of a mapping file.

    Attributes mirror the keys of data/README.md: ``columns`` (canonical -> export column),
    ``constants``, ``values`` (:class:`ValueMap` per canonical column), ``dates`` (canonical
    column, or melted export column -> format), ``lookups`` (:class:`Lookup` per canonical
    column), ``split`` (canonical column -> separator), ``melt`` (export column -> event name),
    ``where`` (export column -> accepted values as written), ``keep`` (export columns),
    ``optional`` and ``required``. ``position`` is the part's index among the parts of its
    table, used in key paths such as ``tables.leads[0]``.
    """

    table: str
    position: int
    file: str
    columns: MappingProxyType = field(default_factory=_frozen)
    constants: MappingProxyType = field(default_factory=_frozen)
    values: MappingProxyType = field(default_factory=_frozen)
    dates: MappingProxyType = field(default_factory=_frozen)
    lookups: MappingProxyType = field(default_factory=_frozen)
    split: MappingProxyType = field(default_factory=_frozen)
    melt: MappingProxyType = field(default_factory=_frozen)
    where: MappingProxyType = field(default_factory=_frozen)
    keep: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    required: bool = True

    @property
    def key(self) -> str:
        """Key path of the part in the mapping file, e.g. ``tables.leads[0]``."""
        return f"tables.{self.table}[{self.position}]"

    @property
    def produced(self) -> tuple[str, ...]:
        """Canonical columns this part fills, in the canonical order of its table."""
        filled = set(self.columns) | set(self.constants) | set(self.lookups)
        if self.melt:
            filled |= set(_MELT_COLUMNS)
        return tuple(c.name for c in TABLES[self.table].columns if c.name in filled)

    @property
    def kept_columns(self) -> MappingProxyType:
        """``keep`` export columns -> their snake_case names."""
        return _frozen({name: snake_case(name) for name in self.keep})

    def date_format(self, column: str, default: str) -> str:
        """Date format of a canonical column or melted export column."""
        if column in self.dates:
            return self.dates[column]
        if column in self.melt and "at" in self.dates:
            return self.dates["at"]
        return default


@dataclass(frozen=True)
class Mapping:
    """A checked mapping file.

    Attributes
    ----------
    label : str
        How messages name it: the file path, or ``preset 'hubspot'``.
    directory : Path or None
        Folder of the mapping file, where lookup files are looked for after SRC.
    description : str
        ``[import].description``.
    date_format : str
        Default date format of every date column.
    decimal : str
        Decimal separator of numbers.
    missing : tuple of str
        Placeholders that mean an empty cell.
    workbook : MappingProxyType
        ``[workbook]`` settings, written as ``workbook.toml``.
    parts : tuple of TablePart
        Table parts in file order.
    """

    label: str
    directory: Path | None = None
    description: str = ""
    date_format: str = "auto"
    decimal: str = "."
    missing: tuple[str, ...] = DEFAULT_MISSING
    workbook: MappingProxyType = field(default_factory=_frozen)
    parts: tuple[TablePart, ...] = ()

    @property
    def tables(self) -> tuple[str, ...]:
        """Canonical tables with at least one part, in canonical order."""
        named = {part.table for part in self.parts}
        return tuple(name for name in TABLES if name in named)

    def parts_of(self, table: str) -> tuple[TablePart, ...]:
        """The parts of one canonical table, in file order."""
        return tuple(part for part in self.parts if part.table == table)


def snake_case(name: str) -> str:
    """Column name in snake_case: ``"Country/Region"`` -> ``"country_region"``."""
    return _NOT_SNAKE.sub("_", name.strip().casefold()).strip("_")


def available_presets() -> list[str]:
    """Names of the bundled presets (``helpers/importing/presets/*.toml``), sorted."""
    folder = resources.files(PRESET_PACKAGE).joinpath(PRESET_FOLDER)
    if not folder.is_dir():
        return []
    return sorted(
        entry.name[: -len(".toml")] for entry in folder.iterdir() if entry.name.endswith(".toml")
    )


def load_mapping(name_or_path: str) -> Mapping:
    """Read and check a mapping file or a bundled preset.

    Parameters
    ----------
    name_or_path : str
        A preset name (no ``/`` and not ending in ``.toml``, e.g. ``"hubspot"``), else the path
        of a mapping file.

    Returns
    -------
    Mapping

    Raises
    ------
    MappingError
        When the preset is unknown, the file is missing or not TOML, or a key is wrong.
    """
    text = str(name_or_path)
    if "/" not in text and "\\" not in text and not text.casefold().endswith(".toml"):
        return _load_preset(text)
    path = Path(text)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise MappingError(
            f"mapping file {path} {what}. Fix: pass the path of a .toml mapping file, or a "
            f"preset name ({_preset_list()})."
        )
    try:
        raw = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise MappingError(
            f"mapping file {path} cannot be read ({err}). Fix: save it as UTF-8 text."
        ) from err
    return parse_mapping(_toml(raw, str(path)), label=str(path), directory=path.parent)


def _preset_list() -> str:
    return ", ".join(available_presets()) or "none installed"


def _load_preset(name: str) -> Mapping:
    entry = resources.files(PRESET_PACKAGE).joinpath(PRESET_FOLDER, f"{name}.toml")
    if not _PRESET_NAME.match(name) or not entry.is_file():
        raise MappingError(
            f"unknown preset {name!r}; the available presets are: {_preset_list()}. Fix: use "
            "one of them, or pass the path of your own mapping file (e.g. my_mapping.toml)."
        )
    label = f"preset '{name}'"
    directory = Path(str(entry)).parent if isinstance(entry, Path) else None
    return parse_mapping(_toml(entry.read_text("utf-8"), label), label=label, directory=directory)


def _toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise MappingError(
            f"{label}: not valid TOML ({err}). Fix: correct the syntax at that line."
        ) from err


def parse_mapping(
    settings: dict[str, Any], *, label: str, directory: Path | None = None
) -> Mapping:
    """Check the parsed TOML of a mapping file and build a :class:`Mapping`.

    Parameters
    ----------
    settings : dict
        What ``tomllib`` read; not modified.
    label : str
        Name of the mapping file in messages.
    directory : Path, optional
        Folder of the mapping file (lookup files may sit there).

    Returns
    -------
    Mapping

    Raises
    ------
    MappingError
        Naming the key path, what was received and the fix.
    """
    check = _Checker(label)
    check.known_keys("", settings, _TOP_KEYS)
    options = check.table("import", settings.get("import", {}))
    check.known_keys("import", options, _IMPORT_KEYS)
    description = check.text("import.description", options.get("description", ""), empty=True)
    date_format = check.date_format("import.date_format", options.get("date_format", "auto"))
    decimal = options.get("decimal", ".")
    if decimal not in DECIMALS:
        raise check.fail(
            "import.decimal", decimal, 'write "." or "," (the decimal separator of numbers)'
        )
    missing = DEFAULT_MISSING
    if "missing" in options:
        missing = tuple(check.text_list("import.missing", options["missing"]))

    workbook = check.table("workbook", settings.get("workbook", {}))
    _check_workbook(check, workbook)

    tables = settings.get("tables")
    if tables is None:
        raise check.fail(
            "tables", "nothing", 'one or more parts per table, e.g. [[tables.leads]] file = "*"'
        )
    tables = check.table("tables", tables)
    parts: list[TablePart] = []
    for name, entries in tables.items():
        if name not in TABLES:
            raise check.fail(
                f"tables.{name}",
                name,
                _hint(name, TABLES, f"use a canonical table: {', '.join(TABLES)}"),
            )
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise check.fail(
                f"tables.{name}",
                entries,
                f"a list of parts: write [[tables.{name}]] (double brackets) above each part",
            )
        parts += [_part(check, name, i, entry) for i, entry in enumerate(entries)]

    _check_sides(check, {part.table for part in parts})
    return Mapping(
        label=label,
        directory=directory,
        description=description,
        date_format=date_format,
        decimal=decimal,
        missing=missing,
        workbook=_frozen(copy.deepcopy(workbook)),
        parts=tuple(parts),
    )


def _check_sides(check: _Checker, mapped: set[str]) -> None:
    """A mapping fills at least one side of a data set, and nothing that needs absent leads.

    ``teams`` may be generated from the team ids found. Besides it, a data set needs the lead
    side (``leads``, with ``lead_events``) and/or the deal side (``opportunities``); see
    :data:`~helpers.data.schema.SIDES`. An opportunity-only or a lead-only export is fine.
    Tables whose rows belong to a lead (``lead_events``, ``touches``, ``feedback``) need a
    ``leads`` part.
    """
    mains = {side: tables[0] for side, tables in SIDES.items()}
    if not any(main in mapped for main in mains.values()):
        parts = " and/or ".join(f"[[tables.{main}]]" for main in mains.values())
        raise check.fail(
            "tables",
            f"no part for {' or '.join(mains.values())}",
            f"add {parts}: leads (with lead_events) give the funnel and hand-off, "
            "opportunities give pipeline, win rate and revenue; one of them is enough",
        )
    if "leads" in mapped:
        return
    for name in TABLES:
        if name in mapped and _needs_leads(TABLES[name]):
            raise check.fail(
                f"tables.{name}",
                f"{name} without leads",
                f"add a [[tables.leads]] part ({name} rows belong to leads, and rows of leads "
                f"that are not imported are dropped), or remove the [[tables.{name}]] parts",
            )


def _needs_leads(table: Table) -> bool:
    """Whether every row of ``table`` belongs to a lead (a required reference to leads)."""
    return any(
        target == "leads.lead_id"
        and table.column(column).required
        and not table.column(column).nullable
        for column, target in table.references.items()
    )


def _check_workbook(check: _Checker, workbook: dict[str, Any]) -> None:
    known = default_settings()
    check.known_keys("workbook", workbook, tuple(known))
    try:
        config_from_dict(workbook, where=f"{check.label} [workbook]")
    except ConfigError as err:
        raise MappingError(
            f"{err} Fix: correct it under [workbook] (every key is documented in "
            "src/helpers/data/workbook_defaults.toml)."
        ) from err


def _hint(name: str, choices, fix: str) -> str:
    """``fix``, preceded by the closest of ``choices`` when ``name`` looks like a typo."""
    close = did_you_mean(name, choices)
    return f"did you mean {close!r}? {fix[0].upper()}{fix[1:]}" if close else fix


class _Checker:
    """Type checks that raise :class:`MappingError` with the key path."""

    def __init__(self, label: str):
        self.label = label

    def fail(self, key: str, got: Any, expected: str) -> MappingError:
        where = f"key '{key}'" if key else "top level"
        return MappingError(f"{self.label}: {where}: got {got!r}. Fix: {expected}.")

    def known_keys(self, key: str, items: dict[str, Any], allowed: tuple[str, ...]) -> None:
        for name in items:
            if name not in allowed:
                path = f"{key}.{name}" if key else name
                raise MappingError(
                    f"{self.label}: key '{path}' is not a known key. Fix: "
                    + _hint(name, allowed, f"use one of: {', '.join(allowed)}.")
                )

    def table(self, key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, value, f"make '{key}' a table ({{ ... }} or a [{key}] section)")
        return value

    def text(self, key: str, value: Any, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self.fail(key, value, "write a non-empty text in double quotes")
        return value

    def text_list(self, key: str, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, value, 'write a list of texts, e.g. ["a", "b"]')
        return list(value)

    def date_format(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or (value not in DATE_KEYWORDS and "%" not in value):
            raise self.fail(
                key, value, 'use "auto", "excel" or a strftime pattern such as "%d/%m/%Y %H:%M"'
            )
        return value

    def canonical(self, key: str, table: Table, name: str, allowed: tuple[str, ...] = ()) -> str:
        names = [c.name for c in table.columns]
        if name not in names and name not in allowed:
            hint = "; for an attribute column of leads use keep" if table.name == "leads" else ""
            raise self.fail(
                key,
                name,
                _hint(
                    name,
                    names + list(allowed),
                    f"use a column of {table.name}: {', '.join(names + list(allowed))}{hint}",
                ),
            )
        return name


def _part(check: _Checker, table_name: str, position: int, entry: dict[str, Any]) -> TablePart:
    table = TABLES[table_name]
    key = f"tables.{table_name}[{position}]"
    check.known_keys(key, entry, _PART_KEYS)
    if "file" not in entry:
        raise check.fail(f"{key}.file", "nothing", 'name the export file(s): file = "*contacts*"')
    file = _file_pattern(check, f"{key}.file", entry["file"])

    columns = _text_table(check, f"{key}.columns", entry.get("columns", {}))
    constants = {
        name: _constant(check, f"{key}.constants.{name}", value)
        for name, value in check.table(f"{key}.constants", entry.get("constants", {})).items()
    }
    lookups = {
        name: _lookup(check, f"{key}.lookups.{name}", name, value)
        for name, value in check.table(f"{key}.lookups", entry.get("lookups", {})).items()
    }
    melt = _text_table(check, f"{key}.melt", entry.get("melt", {}))
    if melt and table_name != "lead_events":
        raise check.fail(
            f"{key}.melt",
            melt,
            "melt makes event rows: move it to a [[tables.lead_events]] part",
        )

    filled: dict[str, str] = {}
    for kind, names in (("columns", columns), ("constants", constants), ("lookups", lookups)):
        for name in names:
            check.canonical(f"{key}.{kind}.{name}", table, name)
            if name in filled:
                raise check.fail(
                    f"{key}.{kind}.{name}",
                    name,
                    f"fill '{name}' in one way only: it is in {filled[name]} too",
                )
            if melt and name in _MELT_COLUMNS:
                raise check.fail(
                    f"{key}.{kind}.{name}",
                    name,
                    f"leave out '{name}': melt fills event and at",
                )
            filled[name] = kind
    if melt:
        filled.update(dict.fromkeys(_MELT_COLUMNS, "melt"))
    unfilled = [c.name for c in table.columns if c.required and c.name not in filled]
    if unfilled:
        raise check.fail(
            key,
            f"no source for {', '.join(unfilled)}",
            f"map every required column of {table_name} ({', '.join(unfilled)}) in columns "
            "(an export column), constants or lookups",
        )

    values = {}
    for name, value_map in check.table(f"{key}.values", entry.get("values", {})).items():
        check.canonical(f"{key}.values.{name}", table, name)
        if name not in filled:
            raise check.fail(
                f"{key}.values.{name}",
                name,
                f"map '{name}' in columns, constants or lookups before giving it a value map",
            )
        values[name] = _value_map(check, f"{key}.values.{name}", name, value_map)

    dates = {}
    for name, fmt in check.table(f"{key}.dates", entry.get("dates", {})).items():
        if name not in melt:
            check.canonical(f"{key}.dates.{name}", table, name)
            if table.column(name).kind != "datetime":
                raise check.fail(
                    f"{key}.dates.{name}",
                    name,
                    f"give formats of date columns only ({name} "
                    f"is a {table.column(name).kind} column)",
                )
        dates[name] = check.date_format(f"{key}.dates.{name}", fmt)

    split = _text_table(check, f"{key}.split", entry.get("split", {}))
    for name in split:
        check.canonical(f"{key}.split.{name}", table, name)
        if name not in columns:
            raise check.fail(
                f"{key}.split.{name}",
                name,
                f"split applies to an export column: map '{name}' in columns first",
            )

    where = {}
    for name, accepted in check.table(f"{key}.where", entry.get("where", {})).items():
        accepted = check.text_list(f"{key}.where.{name}", accepted)
        if not accepted:
            raise check.fail(f"{key}.where.{name}", accepted, "list at least one value")
        where[name] = tuple(accepted)

    keep = tuple(check.text_list(f"{key}.keep", entry.get("keep", [])))
    if keep and table_name != "leads":
        raise check.fail(f"{key}.keep", list(keep), "keep attribute columns in a leads part only")
    _check_keep(check, f"{key}.keep", table, keep)

    optional = tuple(check.text_list(f"{key}.optional", entry.get("optional", [])))
    for name in optional:
        _check_optional(check, f"{key}.optional", table, name, columns, lookups, melt, keep)

    required = entry.get("required", True)
    if not isinstance(required, bool):
        raise check.fail(f"{key}.required", required, "write true or false")

    return TablePart(
        table=table_name,
        position=position,
        file=file,
        columns=_frozen(columns),
        constants=_frozen(constants),
        values=_frozen(values),
        dates=_frozen(dates),
        lookups=_frozen(lookups),
        split=_frozen(split),
        melt=_frozen(melt),
        where=_frozen(where),
        keep=keep,
        optional=optional,
        required=required,
    )


def _file_pattern(check: _Checker, key: str, value: Any) -> str:
    pattern = check.text(key, value)
    # Files are looked for in SRC (or beside the mapping): no folders, no way out of them.
    if "/" in pattern or "\\" in pattern or ".." in pattern:
        raise check.fail(key, value, 'give a file name or glob without folders, e.g. "*deals*"')
    return pattern


def _text_table(check: _Checker, key: str, value: Any) -> dict[str, str]:
    items = check.table(key, value)
    for name, text in items.items():
        check.text(f"{key}.{name}", text)
    return dict(items)


def _constant(check: _Checker, key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise check.fail(key, value, "write a text (or a number) for the value of every row")
    return str(value)


def _lookup(check: _Checker, key: str, column: str, value: Any) -> Lookup:
    items = check.table(key, value)
    check.known_keys(key, items, _LOOKUP_KEYS)
    for name in ("file", "on", "match", "value"):
        if name not in items:
            raise check.fail(
                f"{key}.{name}",
                "nothing",
                'give file, on, match and value, e.g. { file = "owners.csv", '
                'on = "Contact owner", match = "owner", value = "team" }',
            )
    default = items.get("default")
    if default is not None:
        default = _constant(check, f"{key}.default", default)
    return Lookup(
        column=column,
        file=_file_pattern(check, f"{key}.file", items["file"]),
        on=check.text(f"{key}.on", items["on"]),
        match=check.text(f"{key}.match", items["match"]),
        value=check.text(f"{key}.value", items["value"]),
        default=default,
    )


def _value_map(check: _Checker, key: str, column: str, value: Any) -> ValueMap:
    items = check.table(key, value)
    mapping: dict[str, str] = {}
    originals: dict[str, str] = {}
    fallback = None
    for name, target in items.items():
        if not isinstance(target, str):
            raise check.fail(
                f"{key}.{name}", target, 'map to a text ("" empties the cell and drops the row)'
            )
        if name == WILDCARD:
            fallback, originals[OTHER_VALUES] = target, name
            continue
        normal = normalise_key(name)
        if normal in mapping and mapping[normal] != target:
            raise check.fail(
                f"{key}.{name}",
                target,
                f"keep one entry: '{originals[normal]}' is the same value (keys ignore case "
                f"and spaces) and maps to {mapping[normal]!r}",
            )
        mapping[normal] = target
        originals.setdefault(normal, name)
    return ValueMap(
        column=column, mapping=_frozen(mapping), fallback=fallback, written=_frozen(originals)
    )


def _check_keep(check: _Checker, key: str, table: Table, keep: tuple[str, ...]) -> None:
    canonical = {c.name for c in table.columns}
    seen: dict[str, str] = {}
    for name in keep:
        snake = snake_case(name)
        if not snake or snake in canonical:
            raise check.fail(
                key,
                name,
                f"keep attribute columns whose snake_case name ({snake!r}) is not empty and not a "
                "canonical column; map canonical columns in columns",
            )
        if snake in seen:
            raise check.fail(key, name, f"keep one of '{seen[snake]}' and '{name}' (both {snake})")
        seen[snake] = name


def _check_optional(check, key, table, name, columns, lookups, melt, keep) -> None:
    if name in melt or name in keep:
        return
    if name in columns or name in lookups:
        if table.column(name).required:
            raise check.fail(
                key,
                name,
                f"'{name}' is a required column of {table.name}; only columns that may be "
                "absent can be optional (or set required = false on the part)",
            )
        return
    raise check.fail(
        key,
        name,
        "list canonical columns mapped in columns or lookups (or, with melt, melted export "
        "columns)",
    )
