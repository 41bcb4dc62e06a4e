"""Findings to documents: REVIEW.md and review.html from Jinja templates, review.json from output models.

A review's own ``templates/`` folder is searched first, so a team can replace a whole template by saving
one of the same name, or extend a packaged one and replace a block:
``{% extends "crm/review.html.j2" %}{% block method %}...{% endblock %}``. Evidence text reaches
templates as data and is escaped by filters (Markdown) or autoescape (HTML), never compiled:
``{{ 7*7 }}`` in a quote comes out as written.
"""

from __future__ import annotations

import os
import pickle
import re
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path

import jinja2

from crm_review.analysis import Findings
from crm_review.errors import TemplateFailed
from crm_review.escape import md_inline, mermaid_id, mermaid_label, one_line, visible
from crm_review.explorer import explorer_page
from crm_review.model import Review
from crm_review.output import review_json
from crm_review.outputs import FILES
from crm_review.verify import QuoteVerification
from crm_review.view import build_view

DOCUMENTS = {fmt: FILES[fmt][0] for fmt in ("md", "html", "json", "explorer")}
TEMPLATES = {"md": "REVIEW.md.j2", "html": "review.html.j2", "explorer": "explorer.html.j2"}
PACKAGED_PREFIX = "crm"
"""Packaged templates are reachable as ``crm/<name>`` too, so a team template of the same name can extend them."""


PARALLEL_FROM_CMOCS = 2_000
"""From this many CMOCs the documents are rendered on two cores; below it, starting a process costs more."""


def render_documents(
    review: Review,
    findings: Findings,
    formats: tuple[str, ...],
    templates: Path,
    verification: QuoteVerification | None = None,
) -> dict[str, str]:
    """The requested documents by file name, rendered in memory."""
    jobs: dict[str, Callable[[], str]] = {}
    wanted = [fmt for fmt in formats if fmt in TEMPLATES]
    if wanted:
        _refuse_unusable_team_templates(templates)
        environment = _environment(templates)
        view = build_view(review, findings, verification) if set(wanted) - {"explorer"} else None
        for fmt in sorted(wanted, key=lambda f: f != "html"):  # the largest first: it goes to the second core
            if fmt == "explorer":
                jobs[DOCUMENTS[fmt]] = partial(_render_explorer, environment, review, findings)
            else:
                jobs[DOCUMENTS[fmt]] = partial(_render, environment, TEMPLATES[fmt], view)
    if "json" in formats:
        jobs[DOCUMENTS["json"]] = partial(review_json, review, findings, verification)
    documents = run_jobs(jobs, parallel=len(review.cmocs()) >= PARALLEL_FROM_CMOCS)
    return {name: documents[name] for name in sorted(documents)}


def run_jobs(jobs: dict[str, Callable[[], str]], *, parallel: bool) -> dict[str, str]:
    """Each job's text by name; with ``parallel``, the first job runs in a forked process meanwhile.

    A forked child shares the loaded review without copying it, so a second core renders the largest
    document while this one renders the rest. Where the platform cannot fork, jobs run one by one.
    """
    if not parallel or len(jobs) < 2 or not hasattr(os, "fork"):
        return {name: job() for name, job in jobs.items()}
    (first, first_job), *rest = jobs.items()
    child = _Forked(first_job)
    try:
        results = {name: job() for name, job in rest}
    finally:
        text = child.result()
    return {first: text, **results}


class _Forked:
    """A job started in a forked child; :meth:`result` waits for its text or raises what it raised."""

    def __init__(self, job: Callable[[], str]) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; coverage cannot follow it
            os.close(read)
            try:
                payload = b"T" + job().encode("utf-8")
            except BaseException as exc:
                payload = b"E" + _pickled(exc)
            with os.fdopen(write, "wb") as out:
                out.write(payload)
            os._exit(0)  # never the parent's clean-up (atexit, buffered files) in the child
        os.close(write)
        self.pid, self.read = pid, read

    def result(self) -> str:
        with os.fdopen(self.read, "rb") as source:
            payload = source.read()
        os.waitpid(self.pid, 0)
        if payload[:1] == b"T":
            return payload[1:].decode("utf-8")
        if payload[:1] == b"E":
            raise pickle.loads(payload[1:])  # our own child's bytes, written a moment ago
        raise RuntimeError("the second rendering process ended without a result")


def _pickled(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(exc)
    except Exception:  # an exception that cannot travel: keep its words
        return pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))


def _render_explorer(environment: jinja2.Environment, review: Review, findings: Findings) -> str:
    """explorer.html reads its own model (the evidence as data for the page's script), not the view."""
    return _render(environment, TEMPLATES["explorer"], explorer_page(review, findings))


def _render(environment: jinja2.Environment, name: str, view: object) -> str:
    """One template rendered; any failure of a template (a team's own, most often) is one line naming it."""
    try:
        text = environment.get_template(name).render(view=view)
        return text if text.endswith("\n") else text + "\n"
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateFailed(
            f"{exc.filename or name}:{exc.lineno}: the template cannot be read: {exc.message}"
        ) from exc
    except RecursionError as exc:
        raise TemplateFailed(f"{name}: the template includes or extends itself without end") from exc
    except UnicodeDecodeError as exc:
        raise TemplateFailed(f"{name}: a template is not UTF-8 text: save it as UTF-8") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateFailed(f"{name}: the template refers to `{exc.name}`, which does not exist") from exc
    except Exception as exc:
        # Jinja puts the template's file and line into the traceback; the user needs that, not the rest.
        raise TemplateFailed(f"{_template_line(exc, name)}: the template failed: {_describe(exc)}") from exc


def _template_line(exc: BaseException, name: str) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else name


def _describe(exc: Exception) -> str:
    message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    return f"{type(exc).__name__}: {one_line(message)}" if message else type(exc).__name__


def _refuse_unusable_team_templates(folder: Path) -> None:
    """A team template that cannot be read must say so, not quietly give way to the packaged one."""
    for name in TEMPLATES.values():
        path = folder / name
        if not (path.exists() or path.is_symlink()):
            continue
        try:
            usable = path.is_file()
        except OSError:  # a symlink loop
            usable = False
        if not usable:
            raise TemplateFailed(
                f"{path}: not a readable file (a folder, or a link that leads nowhere): fix or remove it"
            )


def _environment(templates: Path) -> jinja2.Environment:
    packaged = jinja2.PackageLoader("crm_review", "templates")
    loaders: list[jinja2.BaseLoader] = []
    if templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders += [jinja2.PrefixLoader({PACKAGED_PREFIX: packaged}), packaged]
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "svg.j2"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        finalize=_shown_not_obeyed,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        md=md_inline,
        mermaid=mermaid_label,
        mermaid_id=mermaid_id,
        one_line=one_line,
        anchor=gfm_anchor,
    )
    return environment


def _shown_not_obeyed(value: object) -> object:
    """Every plain text a template prints, with control characters as visible escapes.

    The loader already refuses them in evidence; this is the second line of defence for text from
    anywhere else. Markup (a macro's output, already escaped) is left alone.
    """
    return visible(value) if type(value) is str else value


def gfm_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
