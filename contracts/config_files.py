"""One typed loader for every YAML file of the project: a pydantic model says what the file holds, and a file that
does not hold it stops the service at start-up with the file, each wrong key and the type it expected.

    policy = load_yaml(Path("services/routing/policy.yaml"), RoutingPolicyFile)

The models forbid keys they do not know (a misspelt key is an error, not a silent default) unless they say
otherwise; values are taken as YAML gives them: a string where a number is expected is an error, not a guess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

T = TypeVar("T")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FileModel(BaseModel):
    """The base of a model of a YAML file: unknown keys are errors, values are checked strictly."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ConfigFileError(ValueError):
    """A YAML file does not hold what its model says; the message names the file, each key and what it expected."""


def describe(error: ValidationError) -> str:
    """'key.sub.0: expected an integer (got 'five')' for each problem, in the order pydantic found them."""
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "(the whole file)"
        got = item.get("input")
        shown = f" (got {got!r})" if not isinstance(got, (dict, list)) and item["type"] != "missing" else ""
        problems.append(f"{where}: {item['msg']}{shown}")
    return "; ".join(problems)


def read_yaml(path: Path) -> Any:
    """The YAML document of `path`; a missing file or a syntax error names the file."""
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as error:
        raise ConfigFileError(f"{path}: cannot be read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ConfigFileError(f"{path}: not valid YAML: {error}") from None


def load_yaml(path: Path, model: type[T]) -> T:
    """The YAML file at `path` as an instance of `model` (a pydantic model or any type pydantic validates)."""
    return validate(read_yaml(path), model, source=str(path))


def validate(raw: Any, model: type[T], *, source: str) -> T:
    """`raw` (already read) as an instance of `model`; `source` names where it came from in the error."""
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(raw)  # type: ignore[return-value]
        return TypeAdapter(model).validate_python(raw)
    except ValidationError as error:
        raise ConfigFileError(f"{source}: {describe(error)}") from None
