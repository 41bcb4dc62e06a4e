"""Files to records: every failure located as ``path:line:col`` and said in the user's words."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from crm_review import layout
from crm_review.errors import Problem, ReviewNotFound
from crm_review.model import COMPONENTS, LINK_FORMS, Assessment, ReviewConfig, Source, Taxonomy
from crm_review.suggest import nearest
from crm_review.yamltext import Loc, Located, YamlProblems, decode, parse

RecordT = TypeVar("RecordT", bound=BaseModel)


@dataclass(frozen=True)
class LoadedFile(Generic[RecordT]):
    """A record together with the file it came from and where each of its values stands."""

    path: Path
    record: RecordT
    located: Located

    def at(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        mark = self.located.mark(loc, key=key)
        return mark.line, mark.col


@dataclass(frozen=True)
class ReviewFiles:
    """Everything read from a review folder, and every problem met while reading it."""

    root: Path
    config: LoadedFile[ReviewConfig] | None
    taxonomy: LoadedFile[Taxonomy] | None
    sources: tuple[LoadedFile[Source], ...]
    problems: tuple[Problem, ...]
    assessments: tuple[LoadedFile[Assessment], ...] = ()


def read_text(path: Path, shown_as: Path) -> str:
    """A file's text, refusing binary and non-UTF-8 content (raises :class:`YamlProblems`)."""
    return decode(path.read_bytes(), shown_as)


def load_record(text: str, shown_as: Path, model: type[RecordT]) -> LoadedFile[RecordT] | list[Problem]:
    """Parse and validate one file's text as ``model``; the problems if it is not valid."""
    try:
        located = parse(text, shown_as)
    except YamlProblems as exc:
        return exc.problems
    if not isinstance(located.data, dict):
        found = "a list" if isinstance(located.data, list) else "a single value"
        fields = ", ".join(f"`{name}:`" for name in list(model.model_fields)[:2])
        return [Problem(shown_as, 1, 1, f"the file holds {found}; it should hold keys such as {fields}")]
    try:
        record = model.model_validate(located.data)
    except ValidationError as exc:
        errors = _without_missing_explained_by_typos(exc.errors(), model)
        return [_translate(error, located, model, shown_as) for error in errors]
    return LoadedFile(shown_as, record, located)


def load_file(path: Path, model: type[RecordT], text: str | None = None) -> LoadedFile[RecordT] | list[Problem]:
    """Load one file from disk, or from ``text`` when a change is checked before it is written."""
    shown_as = layout.shown(path)
    if text is None:
        try:
            text = read_text(path, shown_as)
        except YamlProblems as exc:
            return exc.problems
    return load_record(text, shown_as, model)


def load_review_files(root: Path) -> ReviewFiles:
    """Read the review's configs and every evidence file, collecting problems instead of stopping."""
    config_path = layout.review_file(root)
    if not config_path.is_file():
        raise ReviewNotFound(
            f"{layout.shown(root) if root != Path() else 'this folder'} is not a review: "
            f"{layout.CONFIG_DIR}/{layout.REVIEW_FILE} is missing (start one with `crm init DIR`)"
        )
    problems: list[Problem] = []

    def keep(result: LoadedFile[RecordT] | list[Problem]) -> LoadedFile[RecordT] | None:
        if isinstance(result, list):
            problems.extend(result)
            return None
        return result

    config = keep(load_file(config_path, ReviewConfig))
    taxonomy_path = layout.principles_file(root)
    if taxonomy_path.is_file():
        taxonomy = keep(load_file(taxonomy_path, Taxonomy))
    else:
        text = layout.packaged("defaults", layout.PRINCIPLES_FILE).read_text(encoding="utf-8")
        taxonomy = keep(load_record(text, layout.DEFAULT_TAXONOMY, Taxonomy))
    sources = [keep(load_file(path, Source)) for path in layout.evidence_files(root)]
    problems.extend(_stray_files(root))
    assessments = [keep(load_file(path, Assessment)) for path in layout.assessment_files(root)]
    return ReviewFiles(
        root=root,
        config=config,
        taxonomy=taxonomy,
        sources=tuple(s for s in sources if s is not None),
        problems=tuple(problems),
        assessments=tuple(a for a in assessments if a is not None),
    )


def with_changes(files: ReviewFiles, changes: Mapping[Path, str]) -> ReviewFiles:
    """``files`` as they would be with ``changes`` (new text for evidence files) written.

    Only the changed files are parsed again; every other record and problem is reused, so checking a
    change costs one file's parsing, not the whole review's.
    """
    changed = {layout.shown(path) for path in changes}
    problems = [p for p in files.problems if p.path not in changed]
    kept = [f for f in files.sources if f.path not in changed]
    for path, text in changes.items():
        result = load_file(path, Source, text)
        if isinstance(result, list):
            problems.extend(result)
        else:
            kept.append(result)
    return ReviewFiles(
        root=files.root,
        config=files.config,
        taxonomy=files.taxonomy,
        sources=tuple(sorted(kept, key=lambda f: f.path.name)),
        problems=tuple(problems),
        assessments=files.assessments,
    )


def _stray_files(root: Path) -> list[Problem]:
    folder = layout.evidence_dir(root)
    if not folder.is_dir():
        return []
    return [
        Problem(layout.shown(p), None, None, "not read: only .yaml and .yml files in evidence/ are evidence", "warning")
        for p in sorted(folder.iterdir())
        if p.is_file()
        and p.suffix not in layout.EVIDENCE_SUFFIXES
        and not p.name.startswith(".")
        and p.name.lower() != "readme.md"
    ]


# --- pydantic errors in the user's words -------------------------------------------------------


def _without_missing_explained_by_typos(errors: list[ErrorDetails], model: type[BaseModel]) -> list[ErrorDetails]:
    """Drop "missing `context`" where "unknown key `contxt`: did you mean `context`?" already says it."""
    suggested = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            parent = tuple(error["loc"][:-1])
            record = _model_at(model, parent)
            hint = nearest(str(error["loc"][-1]), list(record.model_fields) if record else [])
            if hint:
                suggested.add((*parent, hint))
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in suggested)]


def _user_loc(loc: Loc) -> tuple[Loc, bool]:
    """pydantic's location in the file's terms, and whether it points at a mapping key.

    pydantic adds the tag of the form it validated (``list`` or ``mapping``) after ``principles``,
    and ``[key]`` after a mapping key; neither stands in the file.
    """
    parts = [part for i, part in enumerate(loc) if not (i and loc[i - 1] == "principles" and part in LINK_FORMS)]
    if parts and parts[-1] == "[key]":
        return tuple(parts[:-1]), True
    return tuple(parts), False


def _translate(error: ErrorDetails, located: Located, model: type[BaseModel], path: Path) -> Problem:
    loc, is_key = _user_loc(tuple(error["loc"]))
    kind = error["type"]
    if kind == "missing":
        line, col = _mark(located, loc[:-1], key=True)
        return Problem(
            path, line, col, f"{_where(loc[:-1], located)}missing `{loc[-1]}`: add `{loc[-1]}:` with its value"
        )
    if kind == "extra_forbidden":
        line, col = _mark(located, loc, key=True)
        message = _where(loc, located) + _unknown_key(str(loc[-1]), _model_at(model, loc[:-1]))
        return Problem(path, line, col, message)
    line, col = _mark(located, loc, key=is_key)
    return Problem(path, line, col, _describe(loc, located, is_key=is_key) + _value_message(error, loc, located))


def _mark(located: Located, loc: Loc, *, key: bool = False) -> tuple[int, int]:
    mark = located.mark(loc, key=key)
    return mark.line, mark.col


def _where(loc: Loc, located: Located) -> str:
    """``in CMOC 2 (`doe-2020-2`): `` for a location inside a CMOC, so messages name what a user sees."""
    if len(loc) >= 2 and loc[0] == "cmocs" and isinstance(loc[1], int):
        cmoc = located.data["cmocs"][loc[1]]
        name = f" (`{cmoc['id']}`)" if isinstance(cmoc, dict) and isinstance(cmoc.get("id"), str) else ""
        inner = loc[2:]
        prefix = f"CMOC {loc[1] + 1}{name}"
        if len(inner) >= 2 and inner[0] == "evidence" and isinstance(inner[1], int):
            prefix += f", quote {inner[1] + 1}"
        return prefix + ": "
    if len(loc) >= 2 and loc[0] == "components" and loc[1] in COMPONENTS:  # in an assessment
        return f"component `{loc[1]}`: "
    return ""


def _field(loc: Loc) -> str:
    names = [str(part) for part in loc if isinstance(part, str)]
    return names[-1] if names else "value"


def _describe(loc: Loc, located: Located, *, is_key: bool = False) -> str:
    if len(loc) >= 2 and loc[-2] == "principles" and isinstance(loc[-1], str):
        what = "principle" if is_key else "the relation to principle"
        return f"{_where(loc, located)}{what} `{loc[-1]}` "
    return f"{_where(loc, located)}`{_field(loc)}` "


def _value_message(error: ErrorDetails, loc: Loc, located: Located) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    value = error.get("input")
    scalar = located.scalars.get(loc)
    if kind in {"string_type", "int_type", "float_type", "bool_type"} and scalar is not None:
        return _scalar_mismatch(kind, scalar.text, scalar.kind, scalar.plain, _field(loc))
    if kind == "string_type" and isinstance(value, list):
        return "should be one piece of text, not a list"
    if kind == "string_type" and isinstance(value, dict):
        return "should be one piece of text, not indented keys"
    if kind == "list_type":
        example = f"[{value}]" if isinstance(value, str) else "[first, second]"
        return f"should be a list, e.g. `{_field(loc)}: {example}`"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return "should hold indented keys (`key: value` lines), not a single value"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        # pydantic writes "'a', 'b' or 'c'"; a choice may itself hold " or " ("no or very minor").
        allowed = re.findall(r"'([^']*)'", str(expected)) or [str(expected)]
        hint = nearest(str(value), allowed)
        return f"must be one of {', '.join(allowed)}, not `{value}`" + (f": did you mean `{hint}`?" if hint else "")
    if kind in {"date_from_datetime_parsing", "date_parsing", "date_type"}:
        return f"should be a date written as YYYY-MM-DD, e.g. 2026-11-23, not `{value}`"
    if kind == "string_too_short":
        return "is empty: write its text after the colon"
    if kind == "too_short":
        return "needs at least one entry"
    if kind == "value_error":
        return f"is wrong: {ctx.get('error', error['msg'])}"
    if kind == "greater_than_equal":
        return f"should be at least {ctx.get('ge')}, not {value}"
    if kind == "less_than_equal":
        return f"should be at most {ctx.get('le')}, not {value}"
    return error["msg"].lower()


def _scalar_mismatch(kind: str, text: str, yaml_kind: str, plain: bool, field: str) -> str:
    """Explain a scalar YAML typed differently from what the field needs, saying what to write instead."""
    if kind == "string_type":
        if yaml_kind == "null":
            return "is empty: write its text after the colon"
        read_as = {"bool": "a yes/no value", "int": "a number", "float": "a number", "timestamp": "a date"}
        return (
            f'must be text, but YAML reads {text} as {read_as.get(yaml_kind, yaml_kind)}: write it in quotes, "{text}"'
        )
    if kind == "int_type":
        if not plain:
            return f"should be a whole number: write {text} without quotes"
        return f"should be a whole number such as 2020, not {text or 'nothing'}"
    if kind == "float_type":
        return f"should be a number such as 0.5, not {text or 'nothing'}"
    return f"should be true or false, not {text}"


def _unknown_key(key: str, model: type[BaseModel] | None) -> str:
    allowed = list(model.model_fields) if model else []
    hint = nearest(key, allowed)
    if hint:
        return f"unknown key `{key}`: did you mean `{hint}`?"
    return f"unknown key `{key}`: allowed here are " + ", ".join(f"`{name}`" for name in allowed)


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The record class that validates the mapping at ``loc`` (list indexes are stepped over)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = current.model_fields.get(part)
        current = _record_in(info.annotation) if info else None
    return current


def _record_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _record_in(arg)
            if found is not None:
                return found
    return None
