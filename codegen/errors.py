"""Exceptions raised by the code generator (spec loading and validation)."""

from __future__ import annotations


class CodegenError(Exception):
    """Base class of every error the generator reports."""


class SpecError(CodegenError):
    """A spec file is invalid; names the file, the path inside it and the problem."""

    def __init__(self, file: str, path: str, problem: str) -> None:
        self.file = file
        self.path = path
        self.problem = problem
        super().__init__(f"{file}: {path}: {problem}")
