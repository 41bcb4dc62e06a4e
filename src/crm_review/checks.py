"""Rules across files: ids that must be unique, ids that must match, references that must resolve.

Returns problems; never prints, never stops at the first one.
"""

from __future__ import annotations

from collections import defaultdict

from crm_review import layout
from crm_review.errors import Problem
from crm_review.load import LoadedFile, ReviewFiles
from crm_review.model import Source
from crm_review.suggest import nearest


def cross_file_problems(files: ReviewFiles) -> list[Problem]:
    """Every problem that only shows when the review's files are read together."""
    problems: list[Problem] = []
    problems += _ids_match_file_names(files)
    problems += _unique_source_ids(files)
    problems += _unique_cmoc_ids(files)
    problems += _unique_principle_ids(files)
    problems += _known_principles(files)
    problems += _warnings(files)
    problems += _search_counts(files)
    return problems


def _ids_match_file_names(files: ReviewFiles) -> list[Problem]:
    problems = []
    for loaded in files.sources:
        stem = loaded.path.stem
        if loaded.record.id != stem:
            line, col = loaded.at(("id",))
            message = (
                f"id `{loaded.record.id}` differs from the file name `{loaded.path.name}`: "
                f"write `id: {stem}` or rename the file to `{loaded.record.id}{loaded.path.suffix}`"
            )
            problems.append(Problem(loaded.path, line, col, message))
    return problems


def _unique_source_ids(files: ReviewFiles) -> list[Problem]:
    by_id: dict[str, list[LoadedFile[Source]]] = defaultdict(list)
    for loaded in files.sources:
        by_id[loaded.record.id].append(loaded)
    problems = []
    for source_id, holders in by_id.items():
        for loaded in holders[1:]:
            first = holders[0]
            line, col = loaded.at(("id",))
            message = f"source id `{source_id}` is already used in {first.path}:{first.at(('id',))[0]}"
            problems.append(Problem(loaded.path, line, col, message))
    return problems


def _unique_cmoc_ids(files: ReviewFiles) -> list[Problem]:
    first_seen: dict[str, tuple[LoadedFile[Source], int]] = {}
    problems = []
    for loaded in files.sources:
        for index, cmoc in enumerate(loaded.record.cmocs):
            line, col = loaded.at(("cmocs", index, "id"))
            if cmoc.id in first_seen:
                other, other_line = first_seen[cmoc.id]
                message = f"CMOC id `{cmoc.id}` is already used in {other.path}:{other_line}: give this CMOC its own id"
                problems.append(Problem(loaded.path, line, col, message))
            else:
                first_seen[cmoc.id] = (loaded, line)
    return problems


def _unique_principle_ids(files: ReviewFiles) -> list[Problem]:
    if files.taxonomy is None:
        return []
    seen: dict[str, int] = {}
    problems = []
    for index, principle in enumerate(files.taxonomy.record.principles):
        line, col = files.taxonomy.at(("principles", index, "id"))
        if principle.id in seen:
            message = f"principle id `{principle.id}` is already used on line {seen[principle.id]}"
            problems.append(Problem(files.taxonomy.path, line, col, message))
        seen.setdefault(principle.id, line)
    return problems


def _known_principles(files: ReviewFiles) -> list[Problem]:
    if files.taxonomy is None:
        return []
    known = [p.id for p in files.taxonomy.record.principles]
    problems = []
    for loaded in files.sources:
        for c_index, cmoc in enumerate(loaded.record.cmocs):
            ids = cmoc.principle_ids()
            for p_index, principle_id in enumerate(ids):
                # The mapping form is located by its key; the list form by the item's place.
                where = principle_id if isinstance(cmoc.principles, dict) else p_index
                line, col = loaded.at(("cmocs", c_index, "principles", where), key=isinstance(where, str))
                if principle_id in ids[:p_index]:
                    message = f"CMOC `{cmoc.id}`: principle `{principle_id}` is listed twice: remove one"
                    problems.append(Problem(loaded.path, line, col, message))
                    continue
                if principle_id in known:
                    continue
                hint = nearest(principle_id, known)
                message = f"CMOC `{cmoc.id}`: unknown principle `{principle_id}`"
                message += f": did you mean `{hint}`?" if hint else f"; the principles are {', '.join(known)}"
                problems.append(Problem(loaded.path, line, col, message))
    return problems


def _warnings(files: ReviewFiles) -> list[Problem]:
    problems = []
    for loaded in files.sources:
        source = loaded.record
        if not source.cmocs:
            message = f"source `{source.id}` has no CMOCs yet"
            problems.append(Problem(loaded.path, 1, 1, message, "warning"))
        elif source.appraisal is None:
            message = f"source `{source.id}` has CMOCs but no `appraisal`: confidence treats it as low"
            problems.append(Problem(loaded.path, 1, 1, message, "warning"))
    if files.taxonomy is not None:
        linked = {p for loaded in files.sources for cmoc in loaded.record.cmocs for p in cmoc.principle_ids()}
        packaged = files.taxonomy.path == layout.DEFAULT_TAXONOMY
        for index, principle in enumerate(files.taxonomy.record.principles):
            if principle.id not in linked:
                # Lines of the packaged default would point into a file the user never sees.
                line, col = (None, None) if packaged else files.taxonomy.at(("principles", index, "id"))
                message = f"principle `{principle.id}` has no evidence: no CMOC links to it"
                problems.append(Problem(files.taxonomy.path, line, col, message, "warning"))
    return problems


_FLOW_STEPS = (
    ("identified", "duplicates_removed", "screened"),
    ("screened", "excluded_at_screening", "full_text_assessed"),
    ("full_text_assessed", "excluded_at_full_text", "included"),
)
"""Each stage of the document flow: what came in, what was taken out, what must be left."""


def _search_counts(files: ReviewFiles) -> list[Problem]:
    """Warnings where the PRISMA counts do not add up, or do not match the sources in evidence/."""
    if files.config is None or files.config.record.search is None:
        return []
    search = files.config.record.search
    problems = []
    for before, removed, after in _FLOW_STEPS:
        counts = [getattr(search, name) for name in (before, removed, after)]
        if None in counts or counts[0] - counts[1] == counts[2]:
            continue
        line, col = files.config.at(("search", after), key=True)
        message = (
            f"search: {before} ({counts[0]}) minus {removed} ({counts[1]}) is {counts[0] - counts[1]}, "
            f"but {after} is {counts[2]}: correct one of the three"
        )
        problems.append(Problem(files.config.path, line, col, message, "warning"))
    if search.included is not None and search.included != len(files.sources):
        line, col = files.config.at(("search", "included"), key=True)
        message = (
            f"search: included is {search.included}, but evidence/ holds {len(files.sources)} source(s): "
            "add the missing sources or correct the count"
        )
        problems.append(Problem(files.config.path, line, col, message, "warning"))
    return problems
