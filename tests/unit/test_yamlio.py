"""YAML with line marks: errors point at the line, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import InputError
from sim.spec.base import Spec
from sim.units import Duration
from sim.yamlio import load_model, load_yaml, parse_yaml, validate


class Timer(Spec):
    """A small model for the tests: a name and a duration."""

    name: str
    every: Duration


class Doc(Spec):
    """A document holding a list of timers."""

    title: str
    timers: list[Timer]


TEXT = """\
title: demo
timers:
  - name: a
    every: 5s
  - name: b
    every: 10
"""


def test_line_map_points_at_keys_and_items() -> None:
    data, lines = parse_yaml(TEXT, "demo.yaml")
    assert data == {
        "title": "demo",
        "timers": [{"name": "a", "every": "5s"}, {"name": "b", "every": 10}],
    }
    assert lines.line(("title",)) == 1
    assert lines.line(("timers",)) == 2
    assert lines.line(("timers", 1)) == 5
    assert lines.line(("timers", 1, "every")) == 6
    # A path with no line of its own falls back to its nearest ancestor.
    assert lines.line(("timers", 0, "missing")) == 3


def test_validation_error_names_file_line_and_field() -> None:
    data, lines = parse_yaml(TEXT, "demo.yaml")
    with pytest.raises(InputError) as info:
        validate(Doc, data, lines)
    err = info.value
    assert (err.file, err.line, err.field) == ("demo.yaml", 6, "timers[1].every")
    assert "10 has no unit" in err.problem
    assert str(err).startswith("demo.yaml:6: timers[1].every: 10 has no unit")


def test_missing_field_points_at_its_parent() -> None:
    data, lines = parse_yaml("title: demo\ntimers:\n  - name: a\n", "demo.yaml")
    with pytest.raises(InputError) as info:
        validate(Doc, data, lines)
    assert (info.value.line, info.value.field) == (3, "timers[0].every")
    assert info.value.problem == "required field is missing"
    assert info.value.fix == "add the field"


def test_unknown_field_is_named_with_a_suggestion() -> None:
    data, lines = parse_yaml("title: demo\ntimers:\n  - name: a\n    evry: 5s\n", "d.yaml")
    with pytest.raises(InputError) as info:
        validate(Doc, data, lines)
    assert (info.value.line, info.value.field) == (4, "timers[0].evry")
    assert info.value.problem == "unknown field 'evry'"


def test_duplicate_key_rejected_with_its_line() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("title: a\ntimers: []\ntitle: b\n", "dup.yaml")
    assert (info.value.file, info.value.line) == ("dup.yaml", 3)
    assert info.value.problem == "duplicate key 'title'"


def test_duplicate_key_in_nested_mapping() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("timers:\n  - name: a\n    every: 1s\n    every: 2s\n", "dup.yaml")
    assert info.value.line == 4
    assert "duplicate key 'every'" in str(info.value)


def test_invalid_yaml_reported_with_its_line() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("title: demo\ntimers:\n  - name: [a\n  - name: b\n", "bad.yaml")
    assert info.value.file == "bad.yaml"
    assert info.value.line == 4
    assert info.value.problem.startswith("not valid YAML")


def test_tab_indentation_is_invalid_yaml() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("title: demo\ntimers:\n\t- name: a\n", "tab.yaml")
    assert info.value.line == 3


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_yaml(text, "empty.yaml")
    assert info.value.problem == "the file is empty"
    assert str(info.value).startswith("empty.yaml: the file is empty")


def test_non_string_key_rejected() -> None:
    with pytest.raises(InputError) as info:
        parse_yaml("title: demo\n3: x\n", "k.yaml")
    assert info.value.line == 2


def test_load_from_file_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("title: t\ntimers:\n  - {name: a, every: 250ms}\n", encoding="utf-8")
    doc = load_model(Doc, path)
    assert doc.timers[0].every == 0.25
    with pytest.raises(InputError) as info:
        load_yaml(tmp_path / "absent.yaml")
    assert info.value.problem == "no such file"
    assert info.value.file == str(tmp_path / "absent.yaml")
