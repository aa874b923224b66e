"""The errors services raise, each with the command-line exit code it stands for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class ServiceError(Exception):
    exit_code = 1


class BadInput(ServiceError):
    """The user's input is wrong; nothing was changed. Carries one message per problem."""

    exit_code = 2

    def __init__(self, problems: Iterable[object] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RefusedByState(ServiceError):
    """The request is fine but the data's state forbids it (a paid sheet, a non-empty database...)."""

    exit_code = 3


class ValidationFailed(BadInput):
    """Form values that fail validation: messages keyed by field name, for display next to each field."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__(f"{field}: {message}" for field, message in self.errors.items())
