"""YAML loading that remembers where every value came from, and pydantic errors turned into
`InputError`s that name the file, the line, the field and the fix."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import InputError
from sim.spec.base import RefError

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class LineMap:
    """The 1-based line of every mapping key and sequence item of one YAML file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._lines: dict[Loc, int] = {}

    def add(self, loc: Loc, line: int) -> None:
        self._lines[loc] = line

    def line(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest ancestor that has one."""
        for n in range(len(loc), -1, -1):
            if (found := self._lines.get(tuple(loc[:n]))) is not None:
                return found
        return None


def _construct(node: yaml.Node, loc: Loc, lines: LineMap, file: str) -> Any:
    lines.add(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader.construct_object(yaml.SafeLoader(""), key_node)
            if not isinstance(key, str):
                raise InputError(
                    f"key {key!r} is not a name",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    fix="write field names as plain words",
                )
            if key in out:
                raise InputError(
                    f"duplicate key '{key}'",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    fix="keep one of the two entries",
                )
            out[key] = _construct(value_node, (*loc, key), lines, file)
            lines.add((*loc, key), key_node.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), lines, file) for i, item in enumerate(node.value)]
    return yaml.SafeLoader("").construct_object(node)


def load_yaml(path: str | Path) -> tuple[Any, LineMap]:
    """The data of one YAML file and the line of each of its values."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "no such file", file=file, fix="check the path or the catalog name"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", file=file) from None
    return parse_yaml(text, file)


def parse_yaml(text: str, file: str) -> tuple[Any, LineMap]:
    """Like `load_yaml`, from text already read; `file` names it in messages."""
    lines = LineMap(file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InputError(
            f"not valid YAML: {exc.problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            fix="check indentation, colons and quotes on that line",
        ) from None
    if node is None:
        raise InputError("the file is empty", file=file, fix="write the document's fields")
    return _construct(node, (), lines, file), lines


def _data_loc(data: Any, loc: Loc) -> Loc:
    """`loc` as a path into `data`: without the tags pydantic adds for unions, but keeping a
    missing field's name at the end."""
    out: list[str | int] = []
    cur = data
    for i, part in enumerate(loc):
        in_dict = isinstance(cur, dict) and isinstance(part, str) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            out.append(part)
            cur = cur[part]
        elif i == len(loc) - 1 and isinstance(part, str) and isinstance(cur, dict):
            out.append(part)
    return tuple(out)


def dotted(loc: Loc) -> str:
    """A path as people write it: `faults[0].target`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


_known_fields: set[str] = set()


def register_fields(*models: type[BaseModel]) -> None:
    """Teach the error messages every field name, for 'did you mean' hints."""
    seen: set[type] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            _known_fields.add(info.alias or name)
            for arg in _model_args(info.annotation):
                walk(arg)

    for model in models:
        walk(model)


def _model_args(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            found.append(item)
        stack.extend(getattr(item, "__args__", ()) or ())
        stack.extend(getattr(item, "__metadata__", ()) or ())
    return found


def _fix_for(error: dict[str, Any], key: str | int | None) -> str | None:
    kind = error["type"]
    if kind == "extra_forbidden" and isinstance(key, str):
        close = difflib.get_close_matches(key, sorted(_known_fields), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"{hint}remove the field or correct its spelling (see `hasim schema`)"
    if kind == "missing":
        return "add the field"
    if kind in ("literal_error", "enum"):
        return f"use one of: {error.get('ctx', {}).get('expected', '')}"
    if kind == "union_tag_invalid":
        return f"use one of: {error.get('ctx', {}).get('expected_tags', '')}"
    return None


def _problem_for(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _pick(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The error that explains the others: an unknown field (often a typo that makes a
    required one look missing) before a missing one, otherwise the first."""
    for kind in ("extra_forbidden", "union_tag_invalid"):
        for error in errors:
            if error["type"] == kind:
                return error
    return errors[0]


def input_error_from(exc: ValidationError, data: Any, lines: LineMap) -> InputError:
    """The most telling of pydantic's errors as one `InputError` pointing into the file."""
    error = _pick(exc.errors(include_url=False))
    loc = tuple(error["loc"])
    problem = _problem_for(error)
    if error["type"] == "union_tag_invalid":
        key = str(error["ctx"]["discriminator"]).strip("'")
        loc = (*loc, key)
        problem = f"'{error['ctx']['tag']}' is not a known {key}"
    loc = _data_loc(data, loc)
    if error["type"] == "extra_forbidden" and loc:
        problem = f"unknown field '{loc[-1]}'"
    return InputError(
        problem,
        file=lines.file,
        line=lines.line(loc),
        field=dotted(loc) or None,
        fix=_fix_for(error, loc[-1] if loc else None),
    )


def validate(model: type[M], data: Any, lines: LineMap) -> M:
    """`model` built from `data`, or an `InputError` naming the file, line and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise input_error_from(exc, data, lines) from None
    except RefError as exc:
        raise InputError(
            exc.problem,
            file=lines.file,
            line=lines.line(exc.loc),
            field=dotted(exc.loc) or None,
            fix=exc.fix,
        ) from None


def load_model(model: type[M], path: str | Path) -> M:
    """Read a YAML file and validate it as `model`."""
    data, lines = load_yaml(path)
    return validate(model, data, lines)
