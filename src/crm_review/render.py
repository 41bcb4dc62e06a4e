"""Findings to documents: REVIEW.md and review.html from Jinja templates, review.json from output models.

A review's own ``templates/`` folder is searched first, so a team can replace a whole template by saving
one of the same name, or extend a packaged one and replace a block:
``{% extends "crm/review.html.j2" %}{% block method %}...{% endblock %}``. Evidence text reaches
templates as data and is escaped by filters (Markdown) or autoescape (HTML), never compiled:
``{{ 7*7 }}`` in a quote comes out as written.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import jinja2

from crm_review.analysis import Findings
from crm_review.errors import TemplateFailed
from crm_review.escape import md_inline, mermaid_id, mermaid_label, one_line
from crm_review.model import Review
from crm_review.output import review_json
from crm_review.view import build_view

DOCUMENTS = {"md": "REVIEW.md", "html": "review.html", "json": "review.json"}
TEMPLATES = {"md": "REVIEW.md.j2", "html": "review.html.j2"}
PACKAGED_PREFIX = "crm"
"""Packaged templates are reachable as ``crm/<name>`` too, so a team template of the same name can extend them."""


def render_documents(review: Review, findings: Findings, formats: tuple[str, ...], templates: Path) -> dict[str, str]:
    """The requested documents by file name, rendered in memory."""
    documents: dict[str, str] = {}
    if "json" in formats:
        documents[DOCUMENTS["json"]] = review_json(review, findings)
    wanted = [fmt for fmt in formats if fmt in TEMPLATES]
    if wanted:
        _refuse_unusable_team_templates(templates)
        environment = _environment(templates)
        view = build_view(review, findings)
        for fmt in wanted:
            text = _render(environment, TEMPLATES[fmt], view)
            documents[DOCUMENTS[fmt]] = text if text.endswith("\n") else text + "\n"
    return {name: documents[name] for name in sorted(documents)}


def _render(environment: jinja2.Environment, name: str, view: object) -> str:
    """One template rendered; any failure of a template (a team's own, most often) is one line naming it."""
    try:
        return environment.get_template(name).render(view=view)
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


def gfm_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
