"""One typed loader for every YAML file of the project: a pydantic model says what the file holds, and a file that
does not hold it stops the service at start-up with the file, each wrong key and the type it expected.

    policy = load_yaml(Path("profiles/default/routing/policy.yaml"), RoutingPolicyFile)

The models forbid keys they do not know (a misspelt key is an error, not a silent default) unless they say
otherwise; values are taken as YAML gives them: a string where a number is expected is an error, not a guess. What
YAML naturally gives for a type passes: an integer where a float is expected, a list where the model keeps a tuple
(`Items`), an unquoted date where the model keeps its ISO text (`IsoDate`, `Label`). A file that holds exactly the
fields of a dataclass gets its model from it (`model_of`), so the fields are declared once.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, create_model
from pydantic_core import PydanticCustomError

T = TypeVar("T")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SHOWN = 60  # characters of a wrong value an error repeats


class FileModel(BaseModel):
    """The base of a model of a YAML file: unknown keys are errors, values are checked strictly."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ConfigFileError(ValueError):
    """A YAML file does not hold what its model says; the message names the file, each key and what it expected."""

    def __init__(self, source: str, problems: str):
        super().__init__(f"{source}: {problems}")
        self.source, self.problems = source, problems


def _tuple(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    raise PydanticCustomError("list_type", "Input should be a valid list")


def _iso_date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise PydanticCustomError("date_type", "Input should be a date written YYYY-MM-DD") from None


def _label(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# A YAML list, kept as a tuple (the dataclasses the loaders build hold tuples).
Items = Annotated[tuple[T, ...], BeforeValidator(_tuple)]
# A date, unquoted (YAML reads a date) or quoted; kept as its ISO text, which sorts as the date does.
IsoDate = Annotated[str, BeforeValidator(_iso_date)]
# A name or a version: text, or a date YAML read from an unquoted 2026-12-06 (kept as its ISO text).
Label = Annotated[str, BeforeValidator(_label)]


def model_of(cls: type, /, **narrower: Any) -> type[FileModel]:
    """A file model with the fields, types and defaults of the dataclass `cls`, for a file that holds exactly it
    (a tuple field is given as a YAML list); `narrower` gives some fields a narrower type (a Literal for a str, the
    model of a nested dataclass)."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        kind = narrower.get(field.name, hints[field.name])
        if typing.get_origin(kind) is tuple:
            kind = Annotated[kind, BeforeValidator(_tuple)]
        if field.default is not dataclasses.MISSING:
            fields[field.name] = (kind, field.default)
        elif field.default_factory is not dataclasses.MISSING:
            fields[field.name] = (kind, Field(default_factory=field.default_factory))
        else:
            fields[field.name] = (kind, ...)
    return create_model(f"{cls.__name__}File", __base__=FileModel, **fields)


def describe(error: ValidationError, raw: Any = None) -> str:
    """'key.sub.0: Input should be a valid integer (got 'five')' for each problem, in the order pydantic found them.
    With the document `raw`, a location names only its keys and positions (not pydantic's names for the branches
    of a union), and the branches' complaints about one place are joined."""
    problems: dict[str, list[str]] = {}
    got: dict[str, str] = {}
    for item in error.errors(include_url=False):
        where = ".".join(map(str, _in_document(item["loc"], raw, item["type"] == "missing"))) or "(the whole file)"
        message = item["msg"].split(" or instance of ")[0]
        if where in problems:
            message = message.removeprefix("Input should be ")
        problems.setdefault(where, []).append(message)
        value = item.get("input")
        if item["type"] != "missing" and not isinstance(value, (dict, list)):
            shown = repr(value)
            got[where] = f" (got {shown if len(shown) <= SHOWN else shown[:SHOWN - 3] + '...'})"
    return "; ".join(f"{where}: {' or '.join(messages)}{got.get(where, '')}" for where, messages in problems.items())


def _in_document(location: tuple, raw: Any, missing: bool) -> list:
    """The parts of pydantic's `location` that are keys or positions in the document (and a missing key, last)."""
    if raw is None:
        return list(location)
    kept, node = [], raw
    for number, part in enumerate(location):
        if isinstance(node, dict) and part in node:
            kept.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            kept.append(part)
            node = node[part]
        elif missing and number == len(location) - 1:
            kept.append(part)
    return kept


def read_yaml(path: Path) -> Any:
    """The YAML document of `path`; a missing file, text that is not UTF-8 or a syntax error names the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigFileError(str(path), f"cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigFileError(str(path), "not UTF-8 text") from None
    return parse_yaml(text, source=str(path))


def parse_yaml(text: str, *, source: str) -> Any:
    """The YAML document in `text` (with PyYAML's C parser where it is built: the vocabulary files are large)."""
    try:
        return yaml.load(text, Loader=_LOADER)
    except (yaml.YAMLError, ValueError) as error:  # ValueError: an impossible unquoted date (2026-13-01)
        raise ConfigFileError(source, f"not valid YAML: {error}") from None


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
        raise ConfigFileError(source, describe(error, raw)) from None
