"""Parsing one fixture file's YAML defensively, before any model sees it.

yaml.safe_load alone lets through what curators never mean and what a hostile file can
use: a repeated key silently replaces the first value; aliases let a few hundred bytes
expand into gigabytes when the data is serialised; deep nesting exhausts the parser's
recursion; and numbers or strings that YAML accepts (.nan, .inf, 10**20, "\\0") either
vanish on the way into the database (NaN and infinity are served as null) or make loading
fail after validation said the files were fine.
"""

import math
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = tuple[str | int, ...]
Issue = tuple[Loc, str]

# libyaml's loader where PyYAML has it (several times faster on large fixture sets). It composes
# nested nodes by C recursion, so a deeply nested hostile file would crash the process rather
# than raise RecursionError: _too_deep measures the nesting from the parser's flat event stream
# first, and such files never reach the composer.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_NESTING = 64
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _too_deep(text: str) -> bool:
    depth = 0
    for event in yaml.parse(text, Loader=SAFE_LOADER):
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif isinstance(event, _CLOSE):
            depth -= 1
    return False


# Integer columns are 32-bit in PostgreSQL (SQLite's are 64-bit): the narrower range holds everywhere.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def _node_issues(root: Node) -> list[Issue]:
    """Aliases and repeated keys, found in the composed node graph before anything is constructed.
    Aliases are said once, with their count: 600,000 of them in a 1.8 MB file were as many lines
    (session 12's probe, B9)."""
    issues: list[Issue] = []
    aliases: list[Loc] = []
    seen: set[int] = set()
    stack: list[tuple[Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        # An alias is the very node object of its anchor, met a second time; never descend
        # into it again, or walking an alias bomb would itself explode.
        if id(node) in seen:
            aliases.append(loc)
            continue
        seen.add(id(node))
        children: list[tuple[Node, Loc]] = []
        if isinstance(node, MappingNode):
            keys: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, ScalarNode) else str(key_node.tag)
                if key in keys:
                    line = key_node.start_mark.line + 1
                    issues.append(((*loc, key), f"duplicate key {key!r} (again at line {line}); keep one"))
                keys.add(key)
                children.append((value_node, (*loc, key)))
        elif isinstance(node, SequenceNode):
            children = [(child, (*loc, i)) for i, child in enumerate(node.value)]
        elif _number_not_in_decimal(node):
            line = node.start_mark.line + 1
            issues.append((loc, f"{node.value!r} (line {line}) is a YAML 1.1 number form; write it in decimal digits"))
        stack.extend(reversed(children))  # document order, so the first use is not the one reported
    if aliases:
        count = f" ({len(aliases)} in this file)" if len(aliases) > 1 else ""
        issues.insert(0, (aliases[0], f"YAML aliases (*name) are not allowed: write the value out{count}"))
    return issues


# A number as a curator writes it; YAML 1.1 also reads 1:30 as 90 (base 60), 0x10 as 16, 010 as 8
# and 1_0 as 10, silently. The query face refuses such forms too (models/numbers.py).
_DECIMAL = re.compile(
    r"[-+]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][-+]?[0-9]+)?"
    r"|[-+]?\.[0-9]+([eE][-+]?[0-9]+)?"
    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"  # refused apart, as values (_value_issue)
)
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_RESOLVER = yaml.resolver.Resolver()


def _number_not_in_decimal(node: Node) -> bool:
    """A plain scalar YAML reads as a number by its form alone, written other than in decimal
    (text tagged !!int by hand is left to the constructor, which says it is no integer)."""
    return (
        isinstance(node, ScalarNode)
        and not node.style  # plain: None from PyYAML's own parser, '' from libyaml's
        and node.tag in _NUMBER_TAGS
        and _RESOLVER.resolve(ScalarNode, node.value, (True, False)) == node.tag  # type: ignore[no-untyped-call]
        and _DECIMAL.fullmatch(node.value) is None
    )


def _value_issue(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, bytes | bytearray | set | frozenset):
        # !!binary and !!set: no fixture field holds them, and they would reach the
        # database as their Python repr (b'...').
        return f"YAML {type(value).__name__} values (!!binary, !!set) are not allowed: write plain text or a list"
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        return f"integer {value} is outside the range the database stores ({INT_MIN} to {INT_MAX})"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number (it would be served as null)"
    if isinstance(value, str):
        if "\x00" in value:
            return "text contains a NUL character (\\0), which PostgreSQL cannot store"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text contains a lone surrogate (\\ud800-\\udfff), which is not valid Unicode"
    return None


def _value_issues(data: Any) -> list[Issue]:
    """Values no database can store faithfully, in the constructed (alias-free) data."""
    issues: list[Issue] = []
    stack: list[tuple[Any, Loc]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, dict):
            # Every key a fixture file has is text: a date, number or boolean read as a key (`2024-01-01:`)
            # could not even be written out as JSON (a traceback: session 11's second probe, Q11).
            issues += [
                ((*loc, str(k)), f"the key {str(k)!r} is read as a YAML {type(k).__name__}, not text: quote it")
                for k in value
                if not isinstance(k, str)
            ]
            stack.extend(reversed([(v, (*loc, str(k))) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(v, (*loc, i)) for i, v in enumerate(value)]))
        elif (message := _value_issue(value)) is not None:
            issues.append((loc, message))
    return issues


def load_fixture_yaml(text: str) -> tuple[Any, list[Issue]]:
    """The document's data, or None with the issues that make it unusable.

    Raises yaml.YAMLError for syntax errors, as yaml.safe_load does.
    """
    try:
        if _too_deep(text):
            return None, [((), "YAML is nested too deeply")]
        return _load(text, SAFE_LOADER)
    except yaml.YAMLError:
        if SAFE_LOADER is yaml.SafeLoader:
            raise
        # libyaml refuses some input outright (a lone surrogate escape) that the pure-Python
        # parser reads and _value_issues then names by field; let it say what it finds.
        return _load(text, yaml.SafeLoader)


# What PyYAML's constructors raise for a scalar they cannot build: ValueError and OverflowError for
# forms it resolves (2024-02-30, a 5,000-digit integer), AttributeError, KeyError and TypeError for
# an explicit tag on text that is no such value (`!!timestamp abc`, `!!bool maybe`: session 11's probe).
UNBUILDABLE = (ValueError, OverflowError, AttributeError, KeyError, TypeError)


def _unbuildable_scalar(root: Node, loader_class: type[Any]) -> Issue:
    """Where in the document the first scalar YAML cannot build as the type it resolves to is, and why."""
    builder = loader_class("")
    try:
        stack: list[tuple[Node, Loc]] = [(root, ())]
        while stack:
            node, loc = stack.pop()
            if isinstance(node, ScalarNode):
                try:
                    builder.construct_object(node)
                except UNBUILDABLE as exc:
                    where = f"line {node.start_mark.line + 1}: "
                    # Not the advice to raise Python's digit limit, nor a constructor's own failure (a KeyError).
                    why = str(exc).split(";")[0] if isinstance(exc, ValueError | OverflowError) else "it is not one"
                    return loc, f"{where}{node.value[:40]!r} cannot be read as {_tag_name(node.tag)}: {why}"
            elif isinstance(node, MappingNode):
                children: list[tuple[Node, Loc]] = []
                for key_node, value_node in node.value:
                    at = (*loc, key_node.value if isinstance(key_node, ScalarNode) else str(key_node.tag))
                    children += [(key_node, at), (value_node, at)]  # a key is reported where its value is
                stack.extend(reversed(children))
            elif isinstance(node, SequenceNode):
                stack.extend(reversed([(child, (*loc, i)) for i, child in enumerate(node.value)]))
    finally:
        builder.dispose()
    return (), "a value YAML cannot read as its type"  # not met again node by node: said without a place


def _tag_name(tag: str) -> str:
    # tag:yaml.org,2002:timestamp -> a timestamp (a date, or a date and time)
    name = tag.rsplit(":", 1)[-1]
    return {"timestamp": "a date", "int": "an integer", "float": "a number"}.get(name, f"a YAML {name}")


def _load(text: str, loader_class: type[Any]) -> tuple[Any, list[Issue]]:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, []
        issues = _node_issues(root)
        if issues:
            return None, issues
        data = loader.construct_document(root)
    except RecursionError:
        # PyYAML composes and constructs recursively; fixtures never nest more than a few levels.
        return None, [((), "YAML is nested too deeply")]
    except UNBUILDABLE:
        # A scalar whose tag or form YAML resolves to a type it then cannot build: 2024-02-30 (a date),
        # `!!int abc`, an integer of more than 4,300 digits. PyYAML says neither where nor which.
        return None, [_unbuildable_scalar(root, loader_class)]
    finally:
        loader.dispose()
    issues = _value_issues(data)
    return (None, issues) if issues else (data, [])
