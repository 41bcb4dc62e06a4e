"""Findings to documents: REVIEW.md and review.html from Jinja templates, review.json from output models.

A review's own ``templates/`` folder is searched first (``templating.py``), so a team can replace a whole
template by saving one of the same name, or extend a packaged one and replace a block:
``{% extends "crm/review.html.j2" %}{% block method %}...{% endblock %}``. Evidence text reaches
templates as data and is escaped by filters (Markdown) or autoescape (HTML), never compiled:
``{{ 7*7 }}`` in a quote comes out as written.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from crm_review.errors import TemplateFailed
from crm_review.explorer import explorer_page
from crm_review.files import ByteSink, Writer
from crm_review.outputs import FILES
from crm_review.templating import DocumentEnvironment, document_environment, rendered
from crm_review.view import AnalysedReview

DOCUMENTS = {fmt: FILES[fmt][0] for fmt in ("md", "html", "json", "explorer")}
TEMPLATES = {"md": "REVIEW.md.j2", "html": "review.html.j2", "explorer": "explorer.html.j2"}


def document_writers(analysed: AnalysedReview, formats: tuple[str, ...], templates: Path) -> dict[str, Writer]:
    """For each requested text document, by file name, a function that renders it into a file as it goes.

    Nothing is rendered here: a writer renders when it is called (perhaps in another process, see
    ``workers.py``), from the view that ``analysed`` builds once.
    """
    writers: dict[str, Writer] = {}
    wanted = [fmt for fmt in formats if fmt in TEMPLATES]
    if wanted:
        _refuse_unusable_team_templates(templates)
        environment = document_environment(templates)
        for fmt in wanted:
            if fmt == "explorer":
                writers[DOCUMENTS[fmt]] = partial(_write_explorer, environment, analysed)
            else:
                writers[DOCUMENTS[fmt]] = partial(_write_view, environment, TEMPLATES[fmt], analysed)
    if "json" in formats:
        writers[DOCUMENTS["json"]] = partial(_write_json, analysed)
    return writers


def _write_json(analysed: AnalysedReview, out: ByteSink) -> None:
    from crm_review.output import write_review_json  # its models take a while to build: only where it is made

    write_review_json(out, analysed.review, analysed.findings, analysed.verification)


def _write_explorer(environment: DocumentEnvironment, analysed: AnalysedReview, out: ByteSink) -> None:
    """explorer.html reads its own model (the evidence as data for the page's script), not the view."""
    model = explorer_page(analysed.review, analysed.findings, analysed.verification)
    _write_template(environment, TEMPLATES["explorer"], model, out)


def _write_view(environment: DocumentEnvironment, name: str, analysed: AnalysedReview, out: ByteSink) -> None:
    _write_template(environment, name, analysed.view, out)


def _write_template(environment: DocumentEnvironment, name: str, model: object, out: ByteSink) -> None:
    """One template rendered into ``out``, ending with a newline; a template's failure is one line naming it."""
    last = b""
    for chunk in rendered(environment, name, model):
        out.write(chunk)  # outside _rendered: a full disk is not a template's failure
        last = chunk
    if not last.endswith(b"\n"):
        out.write(b"\n")


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
