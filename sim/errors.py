"""The one kind of error a user sees: bad input, named by file, line and field, with the fix.

Why a separate class: the CLI and the dashboard show an `InputError` once, without a
traceback, and exit 2; anything else is a bug in hasim and keeps its traceback.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input: a file, the line and field at fault, what is wrong and how to fix it."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.line = line
        self.field = field
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.field:
            text += f"{self.field}: "
        text += self.problem
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text
