"""The Jinja environment the documents are rendered in: where templates are found, and how text is printed.

A review's own ``templates/`` folder is searched first, then the packaged templates, which are also
reachable as ``crm/<name>`` so that a team template of the same name can extend them.

Every ``{{ ... }}`` a template prints goes through one function: :func:`shown_html` in ``.html.j2`` and
``.svg.j2`` templates (autoescaped), :func:`shown_text` elsewhere. Both show control characters as
visible escapes, never obeyed; :func:`shown_html` also escapes HTML's five special characters. Jinja
would otherwise make three calls per printed value (``finalize``, then markupsafe's ``escape``, which
builds a ``Markup`` object only to be joined into the page); a review prints hundreds of thousands of
values, and that was most of the time spent rendering review.html. The output is the same: markupsafe's
entities, and ``Markup`` (a macro's output, ``|safe``) printed as it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import sys
import traceback
from collections.abc import Iterator
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.bccache import Bucket
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.nodes import Expr, Filter

from crm_review.errors import TemplateFailed
from crm_review.escape import html_text, md_inline, mermaid_id, mermaid_label, one_line, utf8_joined, visible

PACKAGED_PREFIX = "crm"
"""Packaged templates are reachable as ``crm/<name>`` too, so a team template of the same name can extend them."""
AUTOESCAPED = ("html", "html.j2", "svg.j2")


def shown_text(value: Any) -> str:
    """A value printed into a Markdown (not autoescaped) template: control characters shown, not obeyed.

    Whatever the value is (a ``str`` subclass, an object whose ``str()`` a team template prints), its text
    is looked at, not trusted for its type.
    """
    text = value if type(value) is str else str(value)
    return text if text.isprintable() else visible(text)  # most values are one printable line: C speed


def shown_html(value: Any) -> str:
    """A value printed into an HTML template: control characters shown, then escaped as markupsafe does.

    Markup (a macro's output, ``|safe``, anything with ``__html__``) is already HTML and printed as it is.
    """
    if type(value) is str:
        return html_of_text(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html_text(shown_text(value))


def html_of_text(text: str) -> str:
    """:func:`shown_html` of plain text (each environment keeps its own memo of it, see there)."""
    return html_text(text if text.isprintable() else visible(text))


class _OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, printing each value through one call of ours instead of three of Jinja's.

    Plain text, by far the most common value, is recognised inline (``type(...) is str``), so that it
    costs no call at all in Markdown (when printable) and one cached call in HTML.
    """

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if _already_shown(node, frame):
            self.write("(")
        elif frame.eval_ctx.volatile:  # inside {% autoescape %}: decided when rendering
            self.write("(environment.shown_html if context.eval_ctx.autoescape else environment.shown_text)(")
        elif frame.eval_ctx.autoescape:
            self.write("(environment.html_of_text(_shown) if type(_shown := ")
        else:
            self.write("(_shown if type(_shown := ")

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        """What a run of text and ``{{ ... }}`` between two tags prints, as one piece instead of one per part.

        A table row of the evidence is one such run of some twenty parts. Jinja yields each part on its
        own, and every yield travels up through each block and include it is nested in; one joined piece
        makes that journey once. Every part is ``str`` (:meth:`_output_child_pre` sees to it), so joining
        gives exactly the text the parts give. Buffered output (macros, ``{% set %}`` blocks) and output
        that an ``{% extends %}`` may suppress are left to Jinja.
        """
        if frame.buffer is not None or frame.require_output_check:
            super().visit_Output(node, frame)
            return
        finalize = self._make_finalize()
        body: list[list[str] | Expr] = []
        for child in node.nodes:
            try:  # as Jinja does: text is joined now, unless only rendering can tell (inside {% autoescape %})
                if not isinstance(child, nodes.TemplateData):
                    raise nodes.Impossible
                text = self._output_child_to_const(child, frame, finalize)
            except nodes.Impossible:
                body.append(child)
                continue
            if body and isinstance(body[-1], list):
                body[-1].append(text)
            else:
                body.append([text])
        if len(body) < 2:
            super().visit_Output(node, frame)
            return
        self.writeline('yield "".join((')
        self.indent()
        for item in body:
            if isinstance(item, list):
                self.writeline(self._output_const_repr(item) + ",")
            else:
                self.newline(item)  # keeps the template's line for an error in this part
                self._output_child_pre(item, frame, finalize)
                self.visit(item, frame)
                self._output_child_post(item, frame, finalize)
                self.write(",")
        self.outdent()
        self.writeline("))")

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """``x.name`` as Python's own attribute lookup, falling back to Jinja's only when that finds nothing.

        Jinja calls ``environment.getattr`` for every dot in a template: a Python function around the same
        lookup, then ``x["name"]``, then an undefined value. The documents look up some hundreds of thousands
        of attributes of the view, which always has them; inline, each costs no Python call. When the
        attribute is missing, Jinja's function decides exactly as before (an item, or undefined).
        """
        if self.environment.is_async:
            super().visit_Getattr(node, frame)
            return
        self.write("(_found if (_found := getattr((_owner := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, missing)) is not missing else environment.getattr(_owner, {node.attr!r}))")

    def _output_child_post(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if _already_shown(node, frame) or frame.eval_ctx.volatile:
            self.write(")")
        elif frame.eval_ctx.autoescape:
            self.write(") is str else environment.shown_html(_shown))")
        else:
            self.write(") is str and _shown.isprintable() else environment.shown_text(_shown))")


SHOWN_BY_FILTER = frozenset({"md", "mermaid", "mermaid_id", "one_line", "anchor"})
"""Filters whose text is already shown, never obeyed (one line, control characters as escapes, or only
letters and digits): what they print in a Markdown template needs no second look."""


def _already_shown(node: Expr, frame: Frame) -> bool:
    return (
        not frame.eval_ctx.volatile
        and not frame.eval_ctx.autoescape
        and isinstance(node, Filter)
        and node.name in SHOWN_BY_FILTER
    )


class DocumentEnvironment(jinja2.Environment):
    """A Jinja environment whose templates print values through :func:`shown_html` or :func:`shown_text`.

    Escaped text is remembered for as long as the environment lives (one ``crm synthesize``): a CMOC's
    text is printed in each principle's table it informs and again in the evidence appendix, and words
    such as ``positive`` thousands of times. The memos hold every distinct value a run prints, never
    fewer: a bounded cache, smaller than a large review's distinct texts, lost each CMOC's text before
    the appendix reached it (at 20,000 CMOCs, 260,000 escapes for 155,000 texts).
    """

    code_generator_class = _OutputCodeGenerator
    shown_html = staticmethod(shown_html)
    shown_text = staticmethod(shown_text)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.html_of_text = cache(html_of_text)
        self.filters.update(
            md=cache(md_inline),
            anchor=cache(gfm_anchor),
            mermaid=mermaid_label,
            mermaid_id=mermaid_id,
            one_line=one_line,
        )


def document_environment(templates: Path) -> DocumentEnvironment:
    """The environment for a review whose own templates are in ``templates`` (which may not exist)."""
    packaged = jinja2.PackageLoader("crm_review", "templates")
    loaders: list[jinja2.BaseLoader] = []
    if templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders += [jinja2.PrefixLoader({PACKAGED_PREFIX: packaged}), packaged]
    return DocumentEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        bytecode_cache=compiled_templates_cache(),
        autoescape=jinja2.select_autoescape(enabled_extensions=AUTOESCAPED, default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # a template does not change during a run: no file check at every include
    )


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's on-disk cache of compiled templates, which never fails a run: a cache that cannot be
    read or written is only a cache missed."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # damaged or unreadable: compile the template instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # a full disk or a read-only home: compile again next time
            super().dump_bytecode(bucket)


def compiled_templates_cache() -> jinja2.BytecodeCache | None:
    """Where compiled templates are kept between runs, as Python keeps ``__pycache__``; None if nowhere.

    Compiling the three document templates takes about 0.14 s, the whole of a small review's rendering;
    loading them compiled takes 3 ms. The folder is the user's own (``$XDG_CACHE_HOME/crm-review``, else
    ``~/.cache/crm-review``, made private), and its name carries a fingerprint of everything that shapes
    the compiled code: crm's version, this module's source (the code generator and the environment's
    settings), Jinja's version and Python's. Jinja itself checks each template's source against the
    checksum stored with it, so an edited team template is compiled again. ``CRM_TEMPLATE_CACHE=off``
    turns the cache off.
    """
    if os.environ.get("CRM_TEMPLATE_CACHE", "").lower() in ("off", "0", "no"):
        return None
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        if not base.is_absolute():  # the XDG rule: a relative path is to be ignored
            base = Path.home() / ".cache"
        folder = base / "crm-review" / f"templates-{_code_fingerprint()}"
        folder.mkdir(mode=stat.S_IRWXU, parents=True, exist_ok=True)
        info = folder.stat()
    except (OSError, RuntimeError):  # RuntimeError: no home folder can be found
        return None
    # Compiled code is run as it is: only a folder of this user's, closed to others, is trusted.
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)):
        return None
    return _CompiledTemplates(str(folder), "%s.jinja")


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    from importlib.resources import files

    from crm_review import __version__

    # Read through the package's loader: crm may run from a wheel or a zip, where there is no file.
    digest = hashlib.sha256(files("crm_review").joinpath("templating.py").read_bytes())
    digest.update(f"{__version__}|{jinja2.__version__}|{sys.implementation.cache_tag}".encode())
    return digest.hexdigest()[:16]


def gfm_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


_RUN_BYTES = 65_536
"""Template output is written in runs of about this many bytes: few writes, and never a whole document in memory."""
_PIECES_AT_ONCE = 64
"""Pieces encoded and joined by one call (in C); a piece is a run of text between two template tags."""


def rendered(environment: DocumentEnvironment, name: str, model: object) -> Iterator[bytes]:
    """The template's output in UTF-8 runs; any failure of a template (a team's own, most often) as one line."""
    try:
        pieces = environment.get_template(name).generate(view=model)
        run: list[bytes] = []
        size = 0
        while joined := utf8_joined(islice(pieces, _PIECES_AT_ONCE)):
            run.append(joined)
            size += len(joined)
            if size >= _RUN_BYTES:
                yield b"".join(run)
                run, size = [], 0
        if run:
            yield b"".join(run)
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
