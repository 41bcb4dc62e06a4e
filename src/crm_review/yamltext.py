"""The only module that touches PyYAML: YAML text to located plain data, and plain data to YAML text.

PyYAML keeps line numbers only on nodes, keeps the last of two equal keys without a word, and reads
``NO`` as a boolean. So files are composed into nodes (with the C loader, never an unsafe one) and
converted here by hand: every key and value keeps its position, duplicate keys and foreign tags are
refused, and alias expansion and nesting are bounded before they can exhaust memory or the stack.

Most files are ordinary, and locating every value costs more than parsing them. So :func:`plain_data`
reads a file straight from the C parser's events, without positions, and gives up (returns ``None``)
at the first thing that is not ordinary: an alias, a tag, a value YAML would read as anything but
text, a whole number or nothing, a key written twice, a comment right after plain text. Only then, or
when the data turns out to be invalid, is the file read again by :func:`parse`, which locates and
explains. The two agree on every file :func:`plain_data` accepts (a property test holds them to it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Loader
    from yaml._yaml import CParser as _EventParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _EventParser  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from crm_review.errors import Problem

YAML_VERSION: str = yaml.__version__

MAX_DEPTH = 32
"""Evidence is at most five levels deep; anything far deeper is a mistake or an attack on the parser."""

MAX_ALIAS_EXPANSION = 10_000
"""How many nodes aliases may copy in one file: bounds "billion laughs" long before memory suffers."""

MAX_ALIAS_TEXT = 1_000_000
"""How many characters of text aliases may copy in one file: a few aliases of a huge value are as bad."""

MAX_INTEGER_DIGITS = 100
"""No number in a review is longer; Python refuses to read a 5,000-digit one, so it is refused first."""

_NON_PRINTABLE = re.compile(r"[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What YAML refuses to find anywhere in a file (a form feed pasted from a PDF, an escape code)."""

_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7})(?: |$)", re.M)
_BLANK_THEN_COMMENT = re.compile(r"[ \t]+#")

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
    cut_by_comment: dict[Loc, Mark] = field(default_factory=dict)
    source: str = ""
    """Plain text followed by a `` #`` comment on its line, with where the comment starts."""

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
    _check_characters(text, path)
    _check_events(text, path)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise YamlProblems([_syntax_problem(exc, text, path)]) from exc
    except yaml.YAMLError as exc:  # the reader's own complaints carry no mark; _check_characters ran first
        raise YamlProblems([Problem(path, None, None, f"YAML cannot read this file: {exc}")]) from exc
    if node is None:
        raise YamlProblems([Problem(path, 1, 1, "the file is empty: it needs at least `id` and `title`")])
    located = Located(data=None, source=text)
    located.data = _Converter(path, located, text).convert(node, (), 0)
    return located


def _check_characters(text: str, path: Path) -> None:
    """Refuse what YAML cannot read at all, at its place: control characters and git's conflict markers."""
    control = _NON_PRINTABLE.search(text)
    if control is not None:
        line, col = _line_col(text, control.start())
        more = len(_NON_PRINTABLE.findall(text)) - 1
        message = (
            f"an invisible control character ({describe_character(control.group())}), often pasted from a PDF: "
            "delete it" + (f" ({more} more in this file)" if more else "")
        )
        raise YamlProblems([Problem(path, line, col, message)])
    marker = _CONFLICT_MARKER.search(text)
    if marker is not None:
        line, _ = _line_col(text, marker.start())
        message = (
            f"a git conflict marker (`{marker.group(1)}`): two versions of this file were merged here; "
            "keep the lines you want and delete the lines `<<<<<<<`, `=======` and `>>>>>>>`"
        )
        raise YamlProblems([Problem(path, line, 1, message)])


def describe_character(char: str) -> str:
    """``form feed, U+000C``: a character people cannot see, named so that they can find it."""
    names = {"\t": "tab", "\n": "line break", "\r": "carriage return", "\x1b": "escape", "\x00": "null"}
    name = names.get(char) or unicodedata.name(char, "") or "control character"
    if char in "\x07\x08\x0b\x0c" and not unicodedata.name(char, ""):
        name = {"\x07": "bell", "\x08": "backspace", "\x0b": "vertical tab", "\x0c": "form feed"}[char]
    return f"{name.lower()}, U+{ord(char):04X}"


def _line_col(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


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
        raise YamlProblems([_syntax_problem(exc, text, path)]) from exc
    except yaml.YAMLError as exc:
        raise YamlProblems([Problem(path, None, None, f"YAML cannot read this file: {exc}")]) from exc


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, path: Path) -> Problem:
    """PyYAML's complaint in the user's words, at the line where the mistake is (not where YAML noticed it)."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    context = exc.context or ""
    lines = text.splitlines()
    if "tab" in problem or "'\\t'" in problem:
        problem = "a tab character: YAML indents with spaces only, replace the tab with spaces"
    elif "expected a single document" in context + problem:
        problem = "the file holds several YAML documents (a second `---`): keep one source per file"
    elif "quoted scalar" in context and "end of stream" in problem and exc.context_mark:
        mark = exc.context_mark
        quote = _char_at(lines, mark.line, mark.column) or '"'
        problem = f"the text that opens with `{quote}` here is never closed: end the text with `{quote}`"
    elif "could not find expected ':'" in problem and exc.context_mark:
        mark = exc.context_mark
        problem = (
            "this line has no `:` after its key: write `key: value`; "
            "if it continues the text above, put that text in quotes"
        )
    elif "mapping values are not allowed" in problem and mark is not None:
        line = lines[mark.line] if mark.line < len(lines) else ""
        key, sep, value = line.partition(": ")
        if sep and len(key) < mark.column and key.strip() and not key.strip().startswith("- "):
            problem = (
                "a colon and a space inside text make YAML read a new key: "
                f'put the whole text in quotes, {key.strip()}: "{value.strip()}"'
            )
        else:
            problem = "this line is indented more than the key above it: line it up with the other keys"
    elif "maximum nesting depth" in problem:  # PyYAML 6.0.4's scanner stops runaway nesting before we count it
        problem = f"nesting deeper than {MAX_DEPTH} levels: evidence files are never this deep"
    elif "flow" in context and exc.context_mark:
        mark = exc.context_mark
        opening = _char_at(lines, mark.line, mark.column) or "["
        closing = {"[": "]", "{": "}"}.get(opening, "]")
        problem = (
            f"the list that opens with `{opening}` here is not closed: end it with `{closing}` on the same line, "
            "with a comma between items"
        )
    else:
        problem = f"YAML syntax: {problem}"
        if exc.context and exc.context not in problem:
            problem += f" ({exc.context})"
    line_number = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    return Problem(path, line_number, col, problem)


def _char_at(lines: list[str], line: int, column: int) -> str:
    return lines[line][column : column + 1] if line < len(lines) else ""


class _Converter:
    """Nodes to plain data, recording positions; bounded in depth and in expanded size."""

    def __init__(self, path: Path, located: Located, text: str) -> None:
        self.path = path
        self.located = located
        self.text = text
        self.visited: set[int] = set()
        self.copied_by_aliases = 0
        self.text_copied_by_aliases = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, message: str) -> YamlProblems:
        mark = Mark.of(node.start_mark)
        return YamlProblems([Problem(self.path, mark.line, mark.col, message)])

    def convert(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        if id(node) in self.visited:
            self.copied_by_aliases += 1
            if isinstance(node, yaml.ScalarNode):
                self.text_copied_by_aliases += len(node.value)
        self.visited.add(id(node))
        if self.copied_by_aliases > MAX_ALIAS_EXPANSION or self.text_copied_by_aliases > MAX_ALIAS_TEXT:
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
        plain = not node.style
        self.located.scalars.setdefault(loc, Scalar(node.value, node.tag, plain))
        if plain and node.tag == _TAG + "int":
            self._check_integer(node)
        if plain and node.tag == _TAG + "str":
            self._note_comment_after(node, loc)
        return self.constructor.construct_object(node)

    def _check_integer(self, node: yaml.ScalarNode) -> None:
        text = node.value
        if not _DECIMAL.fullmatch(text):
            digits = text.lstrip("+-").lower()
            base = "60" if ":" in text else {"0x": "16", "0b": "2"}.get(digits[:2], "8" if digits[:1] == "0" else "")
            reading = f" in base {base}" if base else ""
            raise self.fail(
                node,
                f"YAML reads {text} as a number{reading}: write numbers with the digits 0-9 only (2020), "
                f'or put text in quotes, "{text}"',
            )
        if len(text.lstrip("+-")) > MAX_INTEGER_DIGITS:
            raise self.fail(
                node,
                f"a number with {len(text.lstrip('+-')):,} digits: no value in a review is this long (a year: 2020)",
            )

    def _note_comment_after(self, node: yaml.ScalarNode, loc: Loc) -> None:
        """Remember plain text followed by `` #`` on its line: YAML dropped the rest of the line as a comment."""
        after = _BLANK_THEN_COMMENT.match(self.text, node.end_mark.index)
        if after is not None:
            self.located.cut_by_comment[loc] = Mark(
                line=node.end_mark.line + 1, col=node.end_mark.column + len(after.group()), index=after.end() - 1
            )

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == _TAG + "merge"
                or _CONTROL_IN_TEXT.search(key_node.value)
            ):
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


_CONTROL_IN_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FIRST_CHARS_YAML_MAY_RETYPE = frozenset(yaml.resolver.Resolver.yaml_implicit_resolvers)
_RESOLVER = yaml.resolver.Resolver()


class _NotOrdinary(Exception):
    """Raised inside :func:`plain_data` when a file needs :func:`parse` to be read and explained."""


def plain_data(text: str) -> Any:
    """The file's data, read fast and without positions; ``None`` when only :func:`parse` may read it.

    Accepts only what :func:`parse` reads the same way: mappings, lists, text, decimal whole numbers and
    empty values, once each key, no alias, no tag, no comment right after plain text, no control
    character. Anything else, and every YAML error, is left to :func:`parse` to locate and explain.
    """
    if _NON_PRINTABLE.search(text) is not None:
        return None
    comments = "#" in text and _BLANK_THEN_COMMENT.search(text) is not None
    try:
        return _plain_events(text, comments, "\t" in text)
    except (_NotOrdinary, yaml.YAMLError):
        return None


def _plain_events(text: str, comments: bool, tabs: bool) -> Any:
    parser = _EventParser(text)
    next_event = parser.get_event
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    collection_end = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    first_chars = _FIRST_CHARS_YAML_MAY_RETYPE
    stack: list[tuple[Any, Any]] = []
    top: Any = None
    key: Any = None
    result: Any = None
    if next_event().__class__ is not yaml.StreamStartEvent or next_event().__class__ is not yaml.DocumentStartEvent:
        raise _NotOrdinary
    while True:
        event: Any = next_event()  # PyYAML's event classes are untyped
        kind = event.__class__
        if kind is scalar_event:
            if event.anchor is not None or event.tag is not None:
                raise _NotOrdinary
            value: Any = event.value
            if not event.style:
                if value[:1] in first_chars:
                    value = _plain_scalar(value)
                if comments and value.__class__ is str and _BLANK_THEN_COMMENT.match(text, event.end_mark.index):
                    raise _NotOrdinary
            if top.__class__ is dict:
                if key is None:
                    if value.__class__ is not str or value in top:
                        raise _NotOrdinary
                    if (event.style or tabs) and _CONTROL_IN_TEXT.search(value):
                        raise _NotOrdinary  # a key holding a tab, a line break or an escaped control character
                    key = value
                    continue
                top[key] = value
                key = None
            elif top is None:
                raise _NotOrdinary  # a file that is one value: parse says what it should hold
            else:
                top.append(value)
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or (event.tag is not None and not event.implicit):
                raise _NotOrdinary
            new: Any = {} if kind is mapping_start else []
            if top is None:
                result = new
            elif top.__class__ is dict:
                if key is None:
                    raise _NotOrdinary
                top[key] = new
            else:
                top.append(new)
            stack.append((top, key))
            if len(stack) > MAX_DEPTH:
                raise _NotOrdinary
            top, key = new, None
        elif kind in collection_end:
            top, key = stack.pop()
            key = None
        elif kind is yaml.DocumentEndEvent:
            break
        else:
            raise _NotOrdinary
    if next_event().__class__ is not yaml.StreamEndEvent:
        raise _NotOrdinary
    return result


def _plain_scalar(value: str) -> Any:
    """A plain scalar whose first character may make YAML read it as other than text."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    if tag == _TAG + "str":
        return value
    if tag == _TAG + "int" and _DECIMAL.fullmatch(value) and len(value.lstrip("+-")) <= MAX_INTEGER_DIGITS:
        return int(value)
    if tag == _TAG + "null":
        return None
    raise _NotOrdinary


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


def _multi_line_style(data: str) -> str:
    """``|`` for text on several lines, unless it ends in blank lines: double quotes then.

    Keeping those needs ``|+``, which PyYAML ends with a document end (``...``) when it is the last value,
    and which takes in every blank line after it: spliced into a file (a new CMOC), either breaks it.
    """
    return '"' if data.endswith("\n\n") or not data.strip("\n") else "|"


def _represent_str(dumper: _ReviewDumper, data: str) -> yaml.Node:
    style = _multi_line_style(data) if "\n" in data else None
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
    style = _multi_line_style(data) if "\n" in data else (">" if len(data) > FOLD_WIDTH - 20 else None)
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
