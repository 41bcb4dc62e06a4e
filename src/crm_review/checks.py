"""Rules across files: ids that must be unique, ids that must match, references that must resolve.

Returns problems; never prints, never stops at the first one. The rules read each source's outline
(ids and links), not its record, and look up positions only for the problems they find, so checking
a large review, or one read from the cache, stays cheap.
"""

from __future__ import annotations

from crm_review import layout
from crm_review.errors import Problem
from crm_review.load import LoadedFile, ReviewFiles
from crm_review.model import Source
from crm_review.suggest import did_you_mean


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
    for loaded, outline in files.outlines():
        stem = loaded.path.stem
        if outline.id != stem:
            line, col = loaded.at(("id",))
            message = (
                f"id `{outline.id}` differs from the file name `{loaded.path.name}`: "
                f"write `id: {stem}` or rename the file to `{outline.id}{loaded.path.suffix}`"
            )
            problems.append(Problem(loaded.path, line, col, message))
    return problems


def _unique_source_ids(files: ReviewFiles) -> list[Problem]:
    first: dict[str, LoadedFile[Source]] = {}
    problems = []
    for loaded, outline in files.outlines():
        if outline.id not in first:
            first[outline.id] = loaded
            continue
        other = first[outline.id]
        line, col = loaded.at(("id",))
        message = f"source id `{outline.id}` is already used in {other.path}:{other.at(('id',))[0]}"
        problems.append(Problem(loaded.path, line, col, message))
    return problems


def _unique_cmoc_ids(files: ReviewFiles) -> list[Problem]:
    first_seen: dict[str, tuple[LoadedFile[Source], int]] = {}
    problems = []
    for loaded, outline in files.outlines():
        for index, cmoc in enumerate(outline.cmocs):
            if cmoc.id not in first_seen:
                first_seen[cmoc.id] = (loaded, index)
                continue
            other, other_index = first_seen[cmoc.id]
            other_line = other.at(("cmocs", other_index, "id"))[0]
            line, col = loaded.at(("cmocs", index, "id"))
            message = f"CMOC id `{cmoc.id}` is already used in {other.path}:{other_line}: give this CMOC its own id"
            problems.append(Problem(loaded.path, line, col, message))
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
    known_set = set(known)
    problems = []
    for loaded, outline in files.outlines():
        for c_index, cmoc in enumerate(outline.cmocs):
            ids = cmoc.principles
            if known_set.issuperset(ids) and len(set(ids)) == len(ids):
                continue  # the usual case: nothing to locate
            for p_index, principle_id in enumerate(ids):
                # The mapping form is located by its key; the list form by the item's place.
                where = principle_id if cmoc.mapping_form else p_index
                if principle_id in ids[:p_index]:
                    line, col = loaded.at(("cmocs", c_index, "principles", where), key=cmoc.mapping_form)
                    message = f"CMOC `{cmoc.id}`: principle `{principle_id}` is listed twice: remove one"
                    problems.append(Problem(loaded.path, line, col, message))
                    continue
                if principle_id in known_set:
                    continue
                line, col = loaded.at(("cmocs", c_index, "principles", where), key=cmoc.mapping_form)
                message = f"CMOC `{cmoc.id}`: unknown principle `{principle_id}`"
                message += did_you_mean(principle_id, known, f"; the principles are {', '.join(known)}")
                problems.append(Problem(loaded.path, line, col, message))
    return problems


def _warnings(files: ReviewFiles) -> list[Problem]:
    problems = []
    outlines = files.outlines()
    for loaded, outline in outlines:
        if not outline.cmocs:
            message = f"source `{outline.id}` has no CMOCs yet"
            problems.append(Problem(loaded.path, 1, 1, message, "warning"))
        elif not outline.appraised:
            message = f"source `{outline.id}` has CMOCs but no `appraisal`: confidence treats it as low"
            problems.append(Problem(loaded.path, 1, 1, message, "warning"))
    if files.taxonomy is not None:
        linked = {p for _, outline in outlines for cmoc in outline.cmocs for p in cmoc.principles}
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
