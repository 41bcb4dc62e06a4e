"""The only module that touches PyYAML: YAML text to located plain data, and plain data to YAML text.

PyYAML keeps line numbers only on nodes, keeps the last of two equal keys without a word, and reads
``NO`` as a boolean. So files are composed into nodes (with the C loader, never an unsafe one) and
converted here by hand: every key and value keeps its position, duplicate keys and foreign tags are
refused, and alias expansion and nesting are bounded before they can exhaust memory or the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from crm_review.errors import Problem

MAX_DEPTH = 32
"""Evidence is at most five levels deep; anything far deeper is a mistake or an attack on the parser."""

MAX_ALIAS_EXPANSION = 10_000
"""How many nodes aliases may copy in one file: bounds "billion laughs" long before memory suffers."""

_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    """A position in a text: 1-based line and column, 0-based character index."""

    line: int
    col: int
    index: int

    @classmethod
    def of(cls, mark: Any) -> Mark:
        return cls(line=mark.line + 1, col=mark.column + 1, index=mark.index)


@dataclass(frozen=True)
class Scalar:
    """How a scalar was written, so that messages can quote the user's own text."""

    text: str
    tag: str
    plain: bool

    @property
    def kind(self) -> str:
        return self.tag.removeprefix(_TAG)


@dataclass
class Located:
    """Plain data read from a YAML file, with where each key and value stands."""

    data: Any
    key_marks: dict[Loc, Mark] = field(default_factory=dict)
    value_starts: dict[Loc, Mark] = field(default_factory=dict)
    value_ends: dict[Loc, Mark] = field(default_factory=dict)
    scalars: dict[Loc, Scalar] = field(default_factory=dict)

    def mark(self, loc: Loc, *, key: bool = False) -> Mark:
        """Where ``loc`` stands (its key, if asked and it has one), else its nearest ancestor."""
        for end in range(len(loc), -1, -1):
            sub = loc[:end]
            if key and sub in self.key_marks:
                return self.key_marks[sub]
            if sub in self.value_starts:
                return self.value_starts[sub]
        return Mark(1, 1, 0)


class YamlProblems(Exception):
    """Raised by :func:`parse` with every problem that stops a file from being read."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(problems[0].message if problems else "invalid YAML")


def decode(raw: bytes, path: Path) -> str:
    """Bytes to text, refusing binary content and anything that is not UTF-8."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlProblems([Problem(path, 1, 1, "the file is saved as UTF-16: save it as UTF-8 text")])
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise YamlProblems([Problem(path, line, None, "the file holds binary data, not YAML text")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        message = f"byte 0x{raw[exc.start]:02x} is not valid UTF-8: save the file as UTF-8 text"
        raise YamlProblems([Problem(path, line, col, message)]) from exc


def parse(text: str, path: Path) -> Located:
    """Read one YAML document into located plain data, or raise :class:`YamlProblems`."""
    _check_events(text, path)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise YamlProblems([_syntax_problem(exc, path)]) from exc
    if node is None:
        raise YamlProblems([Problem(path, 1, 1, "the file is empty: it needs at least `id` and `title`")])
    located = Located(data=None)
    located.data = _Converter(path, located).convert(node, (), 0)
    return located


def _check_events(text: str, path: Path) -> None:
    """Refuse absurd nesting and several documents from the event stream, which needs no recursion."""
    depth = 0
    documents = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    mark = Mark.of(event.start_mark)
                    message = "the file holds several YAML documents (a second `---`): keep one source per file"
                    raise YamlProblems([Problem(path, mark.line, mark.col, message)])
            elif isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = Mark.of(event.start_mark)
                    message = f"nesting deeper than {MAX_DEPTH} levels: evidence files are never this deep"
                    raise YamlProblems([Problem(path, mark.line, mark.col, message)])
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        raise YamlProblems([_syntax_problem(exc, path)]) from exc


def _syntax_problem(exc: yaml.MarkedYAMLError, path: Path) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if "tab" in problem or "'\\t'" in problem:
        problem = "a tab character: YAML indents with spaces only, replace the tab with spaces"
    elif "expected a single document" in (exc.context or "") + problem:
        problem = "the file holds several YAML documents (a second `---`): keep one source per file"
    else:
        problem = f"YAML syntax: {problem}"
        if exc.context and exc.context not in problem:
            problem += f" ({exc.context})"
    line = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    return Problem(path, line, col, problem)


class _Converter:
    """Nodes to plain data, recording positions; bounded in depth and in expanded size."""

    def __init__(self, path: Path, located: Located) -> None:
        self.path = path
        self.located = located
        self.visited: set[int] = set()
        self.copied_by_aliases = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, message: str) -> YamlProblems:
        mark = Mark.of(node.start_mark)
        return YamlProblems([Problem(self.path, mark.line, mark.col, message)])

    def convert(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        if id(node) in self.visited:
            self.copied_by_aliases += 1
        self.visited.add(id(node))
        if self.copied_by_aliases > MAX_ALIAS_EXPANSION:
            raise self.fail(node, "aliases (`*name`) expand to too much data: write the values out instead")
        if depth > MAX_DEPTH:
            raise self.fail(node, "an alias refers to itself or nests too deep: write the values out instead")
        if node.tag not in _ALLOWED_TAGS:
            tag = node.tag.replace(_TAG, "!!")
            raise self.fail(node, f"YAML tag `{tag}` is not allowed in evidence: remove it and write plain text")
        self.located.value_starts.setdefault(loc, Mark.of(node.start_mark))
        self.located.value_ends.setdefault(loc, Mark.of(node.end_mark))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        self.located.scalars.setdefault(loc, Scalar(node.value, node.tag, not node.style))
        return self.constructor.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _TAG + "merge":
                raise self.fail(key_node, "keys must be plain names such as `title:`")
            key = key_node.value
            key_mark = Mark.of(key_node.start_mark)
            if key in first_seen:
                message = f"`{key}` appears twice in this mapping (first on line {first_seen[key].line}): keep one"
                raise self.fail(key_node, message)
            first_seen[key] = key_mark
            self.located.key_marks[(*loc, key)] = key_mark
            result[key] = self.convert(value_node, (*loc, key), depth + 1)
        return result


class _ReviewDumper(yaml.SafeDumper):
    """Block style for records, flow style (``[a, b]``) for short lists of plain values.

    The pure-Python dumper, since only it lets nested lists be indented as people write them by hand;
    crm writes one record at a time, so its speed does not matter.
    """

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_list(dumper: _ReviewDumper, data: list[Any]) -> yaml.Node:
    flow = bool(data) and all(isinstance(item, str | int) and len(str(item)) < 60 for item in data)
    return dumper.represent_sequence(_TAG + "seq", data, flow_style=flow)


def _represent_str(dumper: _ReviewDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar(_TAG + "str", data, style=style)


def _represent_dict(dumper: _ReviewDumper, data: dict[str, Any]) -> yaml.Node:
    """``{relevance: high, rigour: low}`` on one line; longer records in block style."""
    flow = bool(data) and all(isinstance(v, str) and len(v) <= 12 and "\n" not in v for v in data.values())
    return dumper.represent_mapping(_TAG + "map", data, flow_style=flow)


_ReviewDumper.add_representer(dict, _represent_dict)
_ReviewDumper.add_representer(list, _represent_list)
_ReviewDumper.add_representer(str, _represent_str)


class _FoldingDumper(_ReviewDumper):
    """Long one-line text as folded blocks (``>-``), for files people read and edit, such as assessments."""


def _represent_folded(dumper: _ReviewDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else (">" if len(data) > FOLD_WIDTH - 20 else None)
    return dumper.represent_scalar(_TAG + "str", data, style=style)


_FoldingDumper.add_representer(str, _represent_folded)
FOLD_WIDTH = 100


def dump(data: Any, *, fold: bool = False) -> str:
    """Plain data as YAML text: keys in the given order, Unicode kept; long text folded only if asked."""
    text: str = yaml.dump(
        data,
        Dumper=_FoldingDumper if fold else _ReviewDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=FOLD_WIDTH if fold else 10_000,
        indent=2,
    )
    return text
