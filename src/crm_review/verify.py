"""Every quote checked against the full text it quotes: found, found only approximately, or not found.

The only module that uses rapidfuzz (to find the closest passage when a quote is not in the paper).
Matching works on a normal form of both texts, so that what text extraction changes (ligatures,
line breaks, words hyphenated across lines, curly quotes, dashes) is not taken for a typo; what is
left is a difference a reader of the paper would see.
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

from crm_review import fulltext, layout, report
from crm_review.errors import FulltextUnreadable, HasProblems, InvalidEvidence, Problem
from crm_review.load import ReviewFiles, load_review_files
from crm_review.model import Review, Source
from crm_review.pipeline import check
from crm_review.suggest import did_you_mean
from crm_review.yamltext import Loc

Status = Literal["verified", "approximate", "not-found", "unchecked"]
STATUSES: tuple[Status, ...] = ("verified", "approximate", "not-found", "unchecked")

# A quote whose closest passage scores this much (0-100, after normalising) is "approximate":
# a typo or a spelling variant, not a different passage.
APPROXIMATE_AT = 90.0
# How much text an ellipsis in a quote may stand for.
MAX_ELLIPSIS_GAP = 3000
# Differences listed in one message; the rest are counted.
MAX_DIFFERENCES = 3
CLOSEST_PASSAGE_CHARS = 300

_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u02bc"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys(_SINGLE_QUOTES, "'"),
        **dict.fromkeys(_DOUBLE_QUOTES, '"'),
        **dict.fromkeys(_DASHES, "-"),
        **dict.fromkeys(_INVISIBLE, None),
    }
)
# The hyphen comes first (and the letter before it is looked back at) so that re can scan for it quickly.
_LINE_END_HYPHEN = re.compile(r"-(?<=\w-)[ \t]*\r?\n\s*(?=\w)")
_ELLIPSIS = re.compile(r"\s*(?:\[\s*\.\.\.\s*\]|\(\s*\.\.\.\s*\)|\.\.\.)\s*")
_WORD_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
_PAGES = re.compile(r"\b(?:pp?|pages?)\.?\s*(\d+)(?:\s*-\s*(\d+))?", re.IGNORECASE)


def normalise(text: str) -> str:
    """The form quotes and papers are compared in.

    Unicode compatibility forms (the ligature "ﬁ" -> "fi", "…" -> "...", no-break spaces), curly
    quotes -> straight, dashes -> "-", soft hyphens dropped, words hyphenated at a line end joined,
    and every run of white space one space.
    """
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _LINE_END_HYPHEN.sub("", text)
    return " ".join(text.split())


def locator_pages(locator: str) -> tuple[str, ...]:
    """The page numbers a locator names: ``p. 233`` -> 233; ``pp. 233-4`` -> 233, 234; none for ``Abstract``."""
    pages: list[str] = []
    for match in _PAGES.finditer(normalise(locator)):
        first = int(match.group(1))
        last_text = match.group(2)
        last = first
        if last_text is not None:
            # "233-4" abbreviates 234: take the missing leading digits from the first page.
            last = int(match.group(1)[: max(0, len(match.group(1)) - len(last_text))] + last_text)
            if last < first or last - first > 200:
                last = first
        pages.extend(str(n) for n in range(first, last + 1))
    return tuple(dict.fromkeys(pages))


def pages_text(pages: Sequence[str]) -> str:
    """``p. 233`` or ``pp. 233-234``, the way a locator would say it."""
    if not pages:
        return ""
    return f"p. {pages[0]}" if len(pages) == 1 else f"pp. {pages[0]}-{pages[-1]}"


# --- one full text, ready to be searched ---------------------------------------------------------


@dataclass(frozen=True)
class Searchable:
    """A full text in normal form, with where each page starts and the number printed on it.

    Quotes are looked for in ``compact``, the text without its spaces: PDF extraction loses the
    space between words set tight on a justified line ("meetingsand") and adds spaces elsewhere,
    and neither is a difference a reader of the paper would see. ``text`` keeps the spaces for
    the closest passage, which people read.
    """

    text: str
    compact: str
    starts: tuple[int, ...]  # where each page starts in ``text``
    compact_starts: tuple[int, ...]  # ... and in ``compact``
    labels: tuple[str | None, ...]

    @classmethod
    def of(cls, pages: Sequence[str], labels: Sequence[str | None]) -> Searchable:
        """The texts of ``pages`` in normal form, joined, and each page's printed number."""
        parts: list[str] = []
        starts: list[int] = []
        compact_starts: list[int] = []
        offset = compact_offset = 0
        for page, label in zip(pages, labels, strict=True):
            text = normalise(_without_page_number(page, label))
            if parts and parts[-1].endswith("-") and text[:1].isalnum() and parts[-1][-2:-1].isalnum():
                parts[-1] = parts[-1][:-1]  # a word hyphenated across the page break
                offset -= 1
                compact_offset -= 1
            elif parts:
                parts.append(" ")
                offset += 1
            starts.append(offset)
            compact_starts.append(compact_offset)
            parts.append(text)
            offset += len(text)
            compact_offset += len(text) - text.count(" ")
        joined = "".join(parts)
        return cls(joined, joined.replace(" ", ""), tuple(starts), tuple(compact_starts), tuple(labels))

    def pages_of(self, start: int, end: int, *, compact: bool = False) -> tuple[str, ...]:
        """The printed numbers of the pages the text from ``start`` to ``end`` stands on."""
        if not self.starts or self.labels[0] is None:
            return ()
        starts = self.compact_starts if compact else self.starts
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, max(start, end - 1)) - 1
        return tuple(label for label in self.labels[max(first, 0) : last + 1] if label is not None)


def _without_page_number(page: str, label: str | None) -> str:
    """The page's text less a first or last line that is only its printed number (a running head or foot).

    Otherwise "engage-" at the foot of page 229 and "ment" at the top of 230 would read "engage229 ment".
    """
    if label is None:
        return page
    lines = page.strip().split("\n")
    if lines and lines[-1].strip() == label:
        lines.pop()
    if lines and lines[0].strip() == label:
        lines.pop(0)
    return "\n".join(lines)


@dataclass(frozen=True)
class Match:
    """Where a quote stands in a full text (its pages), or the passage that comes closest to it."""

    status: Literal["verified", "approximate", "not-found"]
    pages: tuple[str, ...]
    passage: str = ""  # the closest passage, for a quote not found verbatim
    score: float = 100.0
    differences: tuple[str, ...] = ()


def find_quote(paper: Searchable, quote: str, wanted_pages: Sequence[str] = ()) -> Match:
    """Find ``quote`` in ``paper``: verbatim (on one of ``wanted_pages`` if it is there) or the closest passage."""
    wanted = normalise(quote)
    if len(wanted) > 2 and wanted[0] == wanted[-1] and wanted[0] in "\"'":
        wanted = wanted[1:-1].strip()  # the quote pasted with its quotation marks: the same words
    exact = _exact(paper, wanted, wanted_pages)
    if exact is not None:
        return Match("verified", paper.pages_of(*exact, compact=True))
    return _closest(paper, _ELLIPSIS.sub(" ", wanted).strip())


def _exact(paper: Searchable, wanted: str, wanted_pages: Sequence[str]) -> tuple[int, int] | None:
    """Where ``wanted`` stands in ``paper.compact``: the first place on a wanted page, else the first."""
    segments = [s.replace(" ", "") for s in _ELLIPSIS.split(wanted) if s.strip()]
    if not segments:
        return None
    if len(segments) == 1 and "-" not in segments[0]:
        spans = _all_found(paper.compact, segments[0])
    else:
        # A hyphen inside a word may have been a line-end hyphen the paper lost; "..." skips text.
        gap = f".{{0,{MAX_ELLIPSIS_GAP}}}?"
        pattern = gap.join("-?".join(re.escape(p) for p in _WORD_HYPHEN.split(s)) for s in segments)
        spans = [(m.start(), m.end()) for m in re.finditer(pattern, paper.compact, re.DOTALL)]
    if not spans:
        return None
    for start, end in spans:
        if not wanted_pages or set(paper.pages_of(start, end, compact=True)) & set(wanted_pages):
            return start, end
    return spans[0]


def _all_found(text: str, wanted: str) -> list[tuple[int, int]]:
    spans = []
    at = text.find(wanted)
    while at >= 0:
        spans.append((at, at + len(wanted)))
        at = text.find(wanted, at + 1)
    return spans


def _closest(paper: Searchable, wanted: str) -> Match:
    from rapidfuzz import fuzz

    best: tuple[float, int, int] = (0.0, 0, 0)
    for lo, hi in _windows(paper.text, wanted):
        aligned = fuzz.partial_ratio_alignment(wanted, paper.text[lo:hi])
        if aligned is None:
            continue
        start, end = _whole_words(paper.text, lo + aligned.dest_start, lo + aligned.dest_end)
        best = max(best, _trimmed(paper.text, wanted.replace(" ", ""), start, end))
    score, start, end = best
    passage = paper.text[start:end]
    status: Literal["approximate", "not-found"] = "approximate" if score >= APPROXIMATE_AT else "not-found"
    differences = word_differences(wanted, passage) if status == "approximate" else ()
    return Match(status, paper.pages_of(start, end), passage, score, differences)


def _trimmed(text: str, compact: str, start: int, end: int) -> tuple[float, int, int]:
    """The best score of the passage with up to two words more or fewer at either end, and where it stands."""
    from rapidfuzz import fuzz

    def score(lo: int, hi: int) -> float:
        return float(fuzz.ratio(compact, text[lo:hi].replace(" ", "")))

    best = (score(start, end), start, end)
    for _ in range(2):
        _, lo, hi = best
        options = [(lo, hi)]
        shorter_lo, longer_lo = text.find(" ", lo, hi), text.rfind(" ", 0, max(lo - 1, 0))
        shorter_hi, longer_hi = text.rfind(" ", lo, hi), text.find(" ", hi + 1)
        if 0 <= shorter_lo < hi:
            options.append((shorter_lo + 1, hi))
        options.append((longer_lo + 1 if lo > 0 else lo, hi))
        if shorter_hi > lo:
            options.append((lo, shorter_hi))
        options.append((lo, longer_hi if longer_hi >= 0 else len(text)))
        best = max((score(a, b), a, b) for a, b in options)
    return best


def _windows(text: str, wanted: str) -> list[tuple[int, int]]:
    """Stretches of ``text`` worth aligning ``wanted`` to: where runs of its words occur.

    Aligning against a few windows instead of the whole paper keeps a typo's cost near that of
    a verbatim quote. A quote none of whose words occur falls back to the whole text.
    """
    words = wanted.split()
    offsets = []
    at = 0
    for word in words:
        at = wanted.index(word, at)
        offsets.append(at)
        at += len(word)
    bucket = max(len(wanted) // 2, 20)
    for size in (3, 2, 1):
        votes: Counter[int] = Counter()
        for k in range(len(words) - size + 1):
            phrase = " ".join(words[k : k + size])
            if size == 1 and len(phrase) < 4:
                continue
            hits = 0
            found = text.find(phrase)
            while found >= 0 and hits < 20:
                votes[(found - offsets[k]) // bucket] += 1
                hits += 1
                found = text.find(phrase, found + 1)
        if votes:
            starts = [key * bucket for key, _ in votes.most_common(3)]
            return [(max(0, s - bucket), min(len(text), s + len(wanted) + 2 * bucket)) for s in starts]
    return [(0, len(text))]


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def word_differences(quote: str, passage: str) -> tuple[str, ...]:
    """Word-by-word differences: "the paper has `organisations` where the quote has `organizations`"."""
    mine, theirs = quote.split(), passage.split()
    said = []
    opcodes = difflib.SequenceMatcher(None, mine, theirs, autojunk=False).get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "insert" and n in (0, len(opcodes) - 1):
            continue  # the paper's words around the passage: a quote is always part of the paper
        ours, paper = " ".join(mine[i1:i2]), " ".join(theirs[j1:j2])
        if _same_letters(ours, paper):
            continue  # only spaces or a line-end hyphen differ: extraction, not the quote
        if tag == "replace":
            said.append(f"the paper has `{paper}` where the quote has `{ours}`")
        elif tag == "delete":
            said.append(f"the quote has `{ours}`, which the paper does not")
        elif tag == "insert":
            said.append(f"the paper has `{paper}`, which the quote leaves out")
    if len(said) > MAX_DIFFERENCES:
        said = [*said[:MAX_DIFFERENCES], f"and {len(said) - MAX_DIFFERENCES} more difference(s)"]
    return tuple(said)


def _same_letters(ours: str, paper: str) -> bool:
    return ours.replace(" ", "").replace("-", "") == paper.replace(" ", "").replace("-", "")


# --- the whole review ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteCheck:
    """What verification found for one quote of one CMOC."""

    source_id: str
    cmoc_id: str
    number: int  # 1 for the CMOC's first quote
    status: Status
    fulltext: Path | None = None
    pages: tuple[str, ...] = ()  # where the quote (or the passage closest to it) stands
    wrong_page: bool = False
    reason: str | None = None  # for an unchecked quote: why


@dataclass(frozen=True)
class Verification(HasProblems):
    """Every quote's check, every problem found, and the sources that could not be checked."""

    checks: tuple[QuoteCheck, ...]
    problems: tuple[Problem, ...]
    without_fulltext: tuple[str, ...] = field(default=())

    def count(self, status: Status) -> int:
        return sum(1 for c in self.checks if c.status == status)

    def summary(self) -> str:
        """One line: how many quotes were verified, approximate, not found, and what was not checked."""
        line = (
            f"{len(self.checks)} quote(s): {self.count('verified')} verified, "
            f"{self.count('approximate')} approximate, {self.count('not-found')} not found"
        )
        if self.count("unchecked"):
            line += f", {self.count('unchecked')} not checked"
        line += f"; {len(self.without_fulltext)} source(s) without a full text"
        wrong = sum(1 for c in self.checks if c.wrong_page)
        if wrong:
            line += f"; {wrong} quote(s) on another page than their locator says"
        return line

    def as_json(self) -> dict[str, object]:
        return {
            "summary": {
                "quotes": len(self.checks),
                **{status.replace("-", "_"): self.count(status) for status in STATUSES},
                "wrong_page": sum(1 for c in self.checks if c.wrong_page),
                "sources_without_fulltext": list(self.without_fulltext),
            },
            "quotes": [
                {
                    "source": c.source_id,
                    "cmoc": c.cmoc_id,
                    "quote": c.number,
                    "status": c.status,
                    "fulltext": str(c.fulltext) if c.fulltext else None,
                    "pages": list(c.pages),
                    "wrong_page": c.wrong_page,
                    "reason": c.reason,
                }
                for c in self.checks
            ],
            "problems": report.as_records(self.problems),
        }


@dataclass(frozen=True)
class VerificationCounts:
    """How many quotes were found in the full texts of their sources (review.json's ``verification``)."""

    quotes: int
    verified: int
    approximate: int
    not_found: int
    unchecked: int
    sources_with_fulltext: int
    sources_without_fulltext: int

    def counts(self) -> VerificationCounts:
        """The counts alone."""
        return VerificationCounts(**{f.name: getattr(self, f.name) for f in fields(VerificationCounts)})


@dataclass(frozen=True)
class QuoteVerification(VerificationCounts):
    """What the review document says of verification: the counts, and each quote's status."""

    statuses: dict[tuple[str, int], Status]
    """By CMOC id and quote number (1 for a CMOC's first quote); a quote not listed is ``unchecked``."""
    elsewhere: dict[tuple[str, int], str]
    """Quotes on another page than their locator names: where they are (``p. 230``)."""

    def status(self, cmoc_id: str, number: int) -> Status:
        return self.statuses.get((cmoc_id, number), "unchecked")

    def found_on(self, cmoc_id: str, number: int) -> str | None:
        """``p. 230`` for a quote found on another page than its locator names; otherwise None."""
        return self.elsewhere.get((cmoc_id, number))


def for_document(result: Verification, sources: int) -> QuoteVerification:
    """The part of a verification the review document reports.

    Counted in one pass, and only checked quotes listed: most quotes of most reviews are unchecked
    (no full text), and the document reads each quote's status from this once.
    """
    counts = Counter(c.status for c in result.checks)
    return QuoteVerification(
        quotes=len(result.checks),
        verified=counts["verified"],
        approximate=counts["approximate"],
        not_found=counts["not-found"],
        unchecked=counts["unchecked"],
        sources_with_fulltext=sources - len(result.without_fulltext),
        sources_without_fulltext=len(result.without_fulltext),
        statuses={(c.cmoc_id, c.number): c.status for c in result.checks if c.status != "unchecked"},
        elsewhere={(c.cmoc_id, c.number): pages_text(c.pages) for c in result.checks if c.wrong_page},
    )


def for_review(review: Review, root: Path, *, write_cache: bool = True) -> QuoteVerification:
    """What the review document reports of ``crm verify`` for a review already loaded.

    A review none of whose sources has a full text (most, at first) has every quote unchecked: that is
    counted, not found out quote by quote.
    """
    if not fulltext.catalogue(fulltext.folders(root, None, review.config.fulltext)) and all(
        source.fulltext is None for source in review.sources
    ):
        quotes = sum(len(cmoc.evidence) for source in review.sources for cmoc in source.cmocs)
        return QuoteVerification(
            quotes=quotes,
            verified=0,
            approximate=0,
            not_found=0,
            unchecked=quotes,
            sources_with_fulltext=0,
            sources_without_fulltext=len(review.sources),
            statuses={},
            elsewhere={},
        )
    return for_document(verify_quotes(review, root, write_cache=write_cache), len(review.sources))


def verify_review(
    root: Path, fulltext_dir: Path | None = None, on_extract: Callable[[Path], None] | None = None
) -> Verification:
    """Check every quote of a valid review against its source's full text; problems located in the evidence.

    Raises :class:`InvalidEvidence` when the evidence itself has errors (``crm validate`` lists them).
    ``on_extract`` is told of each full text read for the first time (to show progress).
    """
    files = load_review_files(root)
    validation = check(files)
    if validation.errors:
        raise InvalidEvidence(list(validation.errors))
    return verify_files(files, fulltext_dir, on_extract)


def verify_files(
    files: ReviewFiles, fulltext_dir: Path | None = None, on_extract: Callable[[Path], None] | None = None
) -> Verification:
    """The checks of :func:`verify_review` on a review already read and found valid."""
    root = files.root
    assert files.config is not None
    config = files.config
    sources = [(loaded.record, loaded.path, loaded.at) for loaded in files.sources]
    return _verify(root, config.record.fulltext, sources, fulltext_dir, (config.path, config.at), on_extract=on_extract)


def verify_quotes(review: Review, root: Path, *, write_cache: bool = True) -> Verification:
    """The same checks for a review already loaded (the review document reports their outcome).

    ``write_cache=False`` reads cached text but stores none, for commands that promise to write nothing.
    """
    folder = layout.shown(layout.evidence_dir(root))  # once: finding the current folder for each source adds up
    sources = [(source, folder / f"{source.id}.yaml", _nowhere) for source in review.sources]
    return _verify(root, review.config.fulltext, sources, None, None, write_cache=write_cache)


Locate = Callable[[Loc], tuple[int | None, int | None]]


@dataclass(frozen=True)
class _Reading:
    write_cache: bool
    on_extract: Callable[[Path], None] | None


def _nowhere(loc: Loc) -> tuple[int | None, int | None]:
    return None, None


def _verify(
    root: Path,
    configured: str | None,
    sources: Sequence[tuple[Source, Path, Locate]],
    fulltext_dir: Path | None,
    config_at: tuple[Path, Locate] | None,
    *,
    write_cache: bool = True,
    on_extract: Callable[[Path], None] | None = None,
) -> Verification:
    search = fulltext.folders(root, fulltext_dir, configured)
    checks: list[QuoteCheck] = []
    problems: list[Problem] = []
    if fulltext_dir is None and configured is not None and not (root / configured).is_dir() and config_at:
        line, col = config_at[1](("fulltext",))
        message = f"`fulltext`: the folder {configured} is not there: give its path from the review folder"
        problems.append(Problem(config_at[0], line, col, message))
    without: list[str] = []
    available = fulltext.catalogue(search)
    reading = _Reading(write_cache, on_extract)
    for source, path, at in sources:
        source_checks, source_problems, found = _verify_source(root, source, path, at, available, reading)
        checks.extend(source_checks)
        problems.extend(source_problems)
        if not found:
            without.append(source.id)
    ids = {source.id for source, _, _ in sources}
    named = {(root / source.fulltext).resolve() for source, _, _ in sources if source.fulltext is not None}
    for path in fulltext.unclaimed(available, ids):
        if path.resolve() in named:
            continue
        named_after = [f"{source_id}{path.suffix}" for source_id in ids]
        problems.append(
            Problem(
                layout.shown(path),
                message=f"no source has the id `{path.stem}`"
                + did_you_mean(path.name, named_after, ": name the file after its source's id"),
                severity="warning",
            )
        )
    return Verification(tuple(checks), tuple(sorted(problems, key=Problem.sort_key)), tuple(without))


def _verify_source(
    root: Path, source: Source, evidence: Path, at: Locate, available: dict[str, Path], reading: _Reading
) -> tuple[list[QuoteCheck], list[Problem], bool]:
    quotes = [(cmoc, n, quote) for cmoc in source.cmocs for n, quote in enumerate(cmoc.evidence, start=1)]

    def unchecked(reason: str, path: Path | None = None) -> list[QuoteCheck]:
        return [QuoteCheck(source.id, c.id, n, "unchecked", path, reason=reason) for c, n, _ in quotes]

    if source.fulltext is not None:
        given = Path(source.fulltext).expanduser()
        path: Path | None = given if given.is_absolute() else root / given
        if path is None or not path.is_file():
            line, col = at(("fulltext",))
            message = f"`fulltext`: {source.fulltext} is not there: give the path from the review folder"
            return unchecked("full text missing"), [Problem(evidence, line, col, message)], False
    else:
        path = available.get(source.id)
    if path is None:
        return unchecked("no full text"), [], False
    try:
        text = fulltext.extract(path, root, write_cache=reading.write_cache, on_extract=reading.on_extract)
    except FulltextUnreadable as exc:
        return unchecked("unreadable", layout.shown(path)), [Problem(layout.shown(path), message=str(exc))], True
    if not text.has_text_layer:
        message = (
            f"no text layer (a scan or pictures of pages): its {len(quotes)} quote(s) were not checked; "
            "run OCR on it first (e.g. `ocrmypdf --force-ocr in.pdf out.pdf`) and save the result in its place"
        )
        return unchecked("no text layer", text.path), [Problem(text.path, message=message, severity="warning")], True
    paper = Searchable.of([page.text for page in text.pages], printed_numbers(text, source.first_page))
    checks: list[QuoteCheck] = []
    problems: list[Problem] = []
    for index, cmoc in enumerate(source.cmocs):
        for number, quote in enumerate(cmoc.evidence, start=1):
            wanted = locator_pages(quote.locator) if text.kind == "pdf" else ()
            match = find_quote(paper, quote.quote, wanted)
            line, col = at(("cmocs", index, "evidence", number - 1, "quote"))
            where = f"CMOC `{cmoc.id}`, quote {number}: "
            wrong_page = bool(
                match.status != "not-found" and wanted and match.pages and not set(match.pages) & set(wanted)
            )
            checks.append(QuoteCheck(source.id, cmoc.id, number, match.status, text.path, match.pages, wrong_page))
            for message, severity in _messages(match, text, source, quote.locator, wrong_page):
                problems.append(Problem(evidence, line, col, where + message, severity))
    return checks, problems, True


def printed_numbers(text: fulltext.FullText, first_page: int | None) -> list[str | None]:
    """The number printed on each page: the PDF's page labels, else counted from ``first_page`` (or 1).

    HTML and text files have no pages to number.
    """
    if text.has_page_labels:
        return [page.label for page in text.pages]
    if text.kind != "pdf":
        return [None] * len(text.pages)
    start = first_page if first_page is not None else 1
    return [str(start + n) for n in range(len(text.pages))]


def _messages(
    match: Match, text: fulltext.FullText, source: Source, locator: str, wrong_page: bool
) -> list[tuple[str, Literal["error", "warning"]]]:
    said: list[tuple[str, Literal["error", "warning"]]] = []
    on = f" ({pages_text(match.pages)})" if match.pages else ""
    if match.status == "approximate":
        said.append(
            (
                f"found only approximately in {text.path}{on}: "
                + "; ".join(match.differences)
                + ": copy the paper's words",
                "warning",
            )
        )
    elif match.status == "not-found":
        passage = match.passage
        if len(passage) > CLOSEST_PASSAGE_CHARS:
            passage = passage[:CLOSEST_PASSAGE_CHARS].rsplit(" ", 1)[0] + " ..."
        closest = f'; the closest passage{on} reads "{passage}"' if passage else ""
        said.append((f"not found in {text.path}{closest}", "error"))
    if wrong_page:
        numbering = ""
        if not text.has_page_labels:
            numbering = (
                f" (counting from {source.first_page} as `first_page:` says)"
                if source.first_page is not None
                else " (counting the PDF's pages from 1: if its first page carries another number, "
                "add `first_page:` to the source)"
            )
        said.append(
            (
                f"the locator `{locator}` names {pages_text(locator_pages(locator))}, but the quote is on "
                f"{pages_text(match.pages)} of {text.path}{numbering}",
                "warning",
            )
        )
    return said
