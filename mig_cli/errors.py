"""Named exceptions. The CLI turns any `MigError` into `Error: <message>` and exit code 1."""

from __future__ import annotations


class MigError(Exception):
    """Base class for every error `mig` reports to the user without a traceback."""

    exit_code = 1


class DataError(MigError):
    """Bad input data: names the file, the line (1-based) or row, and the field when known."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        super().__init__(self.format())

    def format(self) -> str:
        where = []
        if self.source is not None:
            where.append(str(self.source))
        if self.line is not None:
            where.append(str(self.line))
        prefix = ":".join(where)
        what = f"field '{self.field}': {self.message}" if self.field else self.message
        return f"{prefix}: {what}" if prefix else what

    def located(self, source: str) -> DataError:
        """The same error with the file name filled in when it was not known yet."""
        if self.source is None:
            self.source = source
            self.args = (self.format(),)
        return self


class GraphError(MigError):
    """A label-graph folder that is missing a file or holds unusable columns."""


class ModelError(MigError):
    """An embedding model that cannot be loaded."""


class RemoteError(MigError):
    """An LLM server that keeps failing after every retry."""


class UsageError(MigError):
    """A bad option value found after parsing (an output the command cannot write): exit 2."""

    exit_code = 2
