"""Settings: flags > environment > ./shipctl.toml > the user config file.

Environment variables: `EASYPOST_API_KEY`, `EASYPOST_API_BASE`, `DATABASE_URL`, and
`SHIPCTL_<SETTING>` for every other setting (e.g. `SHIPCTL_CONCURRENCY`).

As pip's configuration does, each source is read on its own (`SettingsSource`), the
sources are merged once in `OVERRIDE_ORDER`, and the merged values are validated once, so an
invalid value is blamed on the file and key, the environment variable or the flag that
supplied it.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from shipctl.errors import ConfigError
from shipctl.models import Address, CustomsSettings, LabelFormat, RateRule
from shipctl.units import parse_dimensions

PROJECT_CONFIG = Path("shipctl.toml")
_READS_ENVIRONMENT: ContextVar[bool] = ContextVar("shipctl_settings_read_env", default=True)
SECRET_FIELDS = frozenset({"easypost_api_key", "database_url"})


def user_config_path() -> Path:
    """`$XDG_CONFIG_HOME/shipctl/config.toml` (or `~/.config/...`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "shipctl" / "config.toml"


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("shipctl", appauthor=False))


class ParcelPreset(BaseModel):
    """A named box size, written `8x6x4 in` in the config."""

    model_config = ConfigDict(frozen=True)

    length: Decimal
    width: Decimal
    height: Decimal

    @classmethod
    def parse(cls, text: str) -> ParcelPreset:
        length, width, height = parse_dimensions(text)
        return cls(length=length, width=width, height=height)

    def __str__(self) -> str:
        sides = (f"{side.normalize():f}" for side in (self.length, self.width, self.height))
        return "x".join(sides) + " in"


class Settings(BaseSettings):
    """Every setting shipctl reads, validated."""

    # hide_input_in_errors: a ValidationError's text must not carry DATABASE_URL or the key.
    model_config = SettingsConfigDict(
        env_prefix="SHIPCTL_", extra="forbid", frozen=True, populate_by_name=True,
        hide_input_in_errors=True,
    )

    easypost_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("easypost_api_key", "EASYPOST_API_KEY")
    )
    easypost_api_base: str | None = Field(
        default=None, validation_alias=AliasChoices("easypost_api_base", "EASYPOST_API_BASE")
    )
    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("database_url", "DATABASE_URL")
    )
    simulate: bool = False
    # Fast-forward for `--simulate`: simulated days per real minute; unset, real time.
    simulate_days_per_minute: float | None = Field(default=None, gt=0, le=1_000_000)
    # The carriers `--simulate`'s simulator rates with (`shipctl simulator serve` has its own
    # `--carriers`, USPS only by default like a new EasyPost test account).
    # `SHIPCTL_SIMULATE_CARRIERS=USPS,UPS`: a comma-separated list, not JSON.
    simulate_carriers: Annotated[tuple[str, ...], NoDecode] = ("USPS", "UPS", "FedEx")
    concurrency: int | None = Field(default=None, ge=1, le=512)
    timeout: float = Field(default=30.0, gt=0, le=600)
    # How long one EasyPost call is retried (429, 5xx, timeouts, lost connections) before
    # shipctl gives up on it; a buy whose outcome is still unknown then is left `unknown`.
    retry_seconds: float = Field(default=120.0, gt=0, le=3600)
    # The store namespace: `#1001` of two shops are two orders.
    store: str = Field(default="default", min_length=1, max_length=100)
    from_address: Address | None = None
    # International labels: the customs declaration's terms, the product catalog, and the
    # phone of foreign recipients whose order gives none.
    customs: CustomsSettings = Field(default_factory=CustomsSettings)
    catalog: Path | None = None
    default_phone: str | None = None
    parcels: dict[str, ParcelPreset] = Field(default_factory=dict)
    default_parcel: str | None = None
    default_rate_rule: str = "cheapest"
    # To residential destinations, these carriers instead of the rule's (`--residential-
    # carriers`); `SHIPCTL_RESIDENTIAL_CARRIERS=USPS,!UPS`: comma-separated, not JSON.
    residential_carriers: Annotated[tuple[str, ...], NoDecode] = ()
    label_format: LabelFormat = LabelFormat.PDF
    # What is printed on each label (print_custom_1): the order reference, or nothing.
    label_reference: Literal["reference", "none"] = "reference"
    printer: str | None = Field(default=None, min_length=1, max_length=200)  # CUPS, for --print
    # `bulk` verifies every destination with EasyPost before quoting: off, on or strict.
    verify: Literal["off", "on", "strict"] = "off"
    data_dir: Path = Field(default_factory=default_data_dir)

    @field_validator("parcels", mode="before")
    @classmethod
    def _parse_presets(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                name: ParcelPreset.parse(spec) if isinstance(spec, str) else spec
                for name, spec in value.items()
            }
        return value

    @field_validator("simulate_carriers", mode="before")
    @classmethod
    def _parse_carriers(cls, value: Any) -> Any:
        from shipctl.simulator.config import parse_carriers

        if isinstance(value, str | list | tuple):
            return parse_carriers(value)
        return value

    @field_validator("default_rate_rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        RateRule.parse(value)
        return value

    @field_validator("residential_carriers", mode="before")
    @classmethod
    def _carrier_words(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [word for word in value.replace(";", ",").split(",")]
        if isinstance(value, list | tuple):
            words = tuple(str(word).strip() for word in value if str(word).strip())
            RateRule.parse(residential_carriers=words)  # USPS, UPS:Ground or !FedEx
            return words
        return value

    @field_validator("label_format", mode="before")
    @classmethod
    def _upper_format(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `Settings(...)` in library code reads the environment itself; `load_settings` has
        # read it already, as one source of several, and validates with this switched off.
        if _READS_ENVIRONMENT.get():
            return (init_settings, env_settings)
        return (init_settings,)

    @field_validator("database_url")
    @classmethod
    def _parsable_dsn(cls, value: SecretStr | None) -> SecretStr | None:
        from shipctl.store.dsn import InvalidDsn, parse_dsn

        if value is not None:
            try:
                parse_dsn(value.get_secret_value())
            except InvalidDsn as error:  # its message never quotes the DSN
                raise ValueError(str(error)) from None
        return value

    @property
    def database_dsn(self) -> str | None:
        """`DATABASE_URL` as given (None: the embedded server). Never print it."""
        return self.database_url.get_secret_value() if self.database_url else None

    def require_from_address(self) -> Address:
        """The warehouse address labels are sent from; a ConfigError when none is set."""
        if self.from_address is None:
            raise ConfigError(
                "from_address is not set: labels need a sender; add a [from_address] table "
                "(name, street1, city, state, zip) to ./shipctl.toml or "
                f"{user_config_path()}, or set SHIPCTL_FROM_ADDRESS to its JSON"
            )
        return self.from_address

    def require_customs_signer(self) -> str:
        """Who signs customs declarations; a ConfigError when no one is set."""
        if not self.customs.signer:
            raise ConfigError(
                "customs.signer is not set: international labels need a customs signer; add "
                "signer = \"Your Name\" under [customs] in ./shipctl.toml or "
                f"{user_config_path()}"
            )
        return self.customs.signer

    def effective_concurrency(self) -> int:
        """`--concurrency`, else 8 calls in flight per core (see README: Concurrency)."""
        return self.concurrency or default_concurrency()

    def rate_rule(self) -> RateRule:
        return RateRule.parse(self.default_rate_rule,
                              residential_carriers=self.residential_carriers)


def default_concurrency() -> int:
    # Each SDK call spends ~all its time waiting on the network, so threads are cheap; 8 per
    # core keeps a 2-core machine busy at 150 ms latency without tripping a rate limit.
    return 8 * (os.cpu_count() or 2)


@dataclass(frozen=True)
class Origin:
    """Where one value came from, for `config show` and for blaming an invalid value."""

    where: str  # a file path, `env VAR`, `flag` or `default`
    key: str

    def blame(self, location: str, message: str) -> str:
        """One error line naming the file and key, the environment variable, or the flag."""
        if self.where.startswith("env ") or self.where == "flag":
            head = (f"--{self.key.replace('_', '-')}" if self.where == "flag"
                    else f"environment variable {self.where.removeprefix('env ')}")
            inner = location.removeprefix(self.key).lstrip(".")
            return f"{head}: {inner}: {message}" if inner else f"{head}: {message}"
        if self.where == "settings":
            return f"settings: {message}"
        return f"{self.where}: {location}: {message}"


@dataclass(frozen=True)
class SettingsSource:
    """One layer of settings, read on its own: its values and where each key came from."""

    kind: str  # "user file", "project file", "environment" or "flags"
    values: dict[str, Any]
    origins: dict[str, Origin]
    path: Path | None = None
    exists: bool = True


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus where each value came from (`flag`, `env VAR`, a file path, `default`)."""

    settings: Settings
    sources: dict[str, str]
    layers: tuple[SettingsSource, ...] = ()

    @property
    def files(self) -> list[SettingsSource]:
        """The settings files, lowest first, whether or not they exist."""
        return [layer for layer in self.layers if layer.path is not None]


# Lowest first; a later source overrides an earlier one key by key (pip's OVERRIDE_ORDER).
OVERRIDE_ORDER = ("user file", "project file", "environment", "flags")
ENV_NAMES = {"easypost_api_key": "EASYPOST_API_KEY", "easypost_api_base": "EASYPOST_API_BASE",
             "database_url": "DATABASE_URL"}
# Tables in a file; in the environment they are JSON (`SHIPCTL_PARCELS='{"small": "8x6x4"}'`).
JSON_FIELDS = frozenset({"from_address", "parcels", "customs"})


def env_name(name: str) -> str:
    """The environment variable of a setting."""
    return ENV_NAMES.get(name, f"SHIPCTL_{name.upper()}")


def _file_source(kind: str, path: Path, problems: list[str]) -> SettingsSource:
    if not path.is_file():
        return SettingsSource(kind, {}, {}, path=path, exists=False)
    try:
        with path.open("rb") as handle:
            values = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        problems.append(f"{path}: not valid TOML: {error}")
        values = {}
    except OSError as error:
        problems.append(f"{path}: cannot be read: {error.strerror}")
        values = {}
    for key in [key for key in values if key not in Settings.model_fields]:
        problems.append(f"{path}: unknown key {key!r}{_did_you_mean(key)}")
        del values[key]
    return SettingsSource(kind, values, {k: Origin(str(path), k) for k in values}, path=path)


def _did_you_mean(key: str) -> str:
    close = difflib.get_close_matches(key.lower(), Settings.model_fields, n=1)
    return f" (did you mean {close[0]!r}?)" if close else " (see `shipctl config show`)"


def _env_source(environ: Mapping[str, str], problems: list[str]) -> SettingsSource:
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for name in Settings.model_fields:
        var = env_name(name)
        text = environ.get(var, "")
        if not text:
            continue
        if name in JSON_FIELDS:
            try:
                values[name] = json.loads(text)
            except json.JSONDecodeError:
                problems.append(f"environment variable {var}: not valid JSON")
                continue
        else:
            values[name] = text
        origins[name] = Origin(f"env {var}", name)
    return SettingsSource("environment", values, origins)


def _flag_source(flags: Mapping[str, Any] | None) -> SettingsSource:
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    return SettingsSource("flags", given, {k: Origin("flag", k) for k in given})


def project_config_path(explicit: Path | None = None) -> Path:
    """`--config FILE`, else `SHIPCTL_CONFIG`, else `./shipctl.toml`."""
    if explicit is not None:
        return explicit
    configured = os.environ.get("SHIPCTL_CONFIG")
    return Path(configured) if configured else PROJECT_CONFIG


def read_sources(
    flags: Mapping[str, Any] | None = None, *, config_file: Path | None = None
) -> tuple[list[SettingsSource], list[str]]:
    """Every source in OVERRIDE_ORDER, each read on its own, and the problems found reading."""
    problems: list[str] = []
    project = project_config_path(config_file)
    named = config_file is not None or bool(os.environ.get("SHIPCTL_CONFIG"))
    if named and not project.is_file():
        via = "--config" if config_file is not None else "SHIPCTL_CONFIG"
        raise ConfigError(f"{project}: no such settings file (named by {via})")
    read = [
        _file_source("user file", user_config_path(), problems),
        _file_source("project file", project, problems),
        _env_source(os.environ, problems),
        _flag_source(flags),
    ]
    by_kind = {source.kind: source for source in read}
    return [by_kind[kind] for kind in OVERRIDE_ORDER], problems


def load_settings(
    flags: Mapping[str, Any] | None = None, *, config_file: Path | None = None
) -> LoadedSettings:
    """Read each source, merge them once in OVERRIDE_ORDER, validate once.

    Every problem is one line that names the source that supplied the value; all of them
    are raised together as one ConfigError (exit 3).
    """
    layers, problems = read_sources(flags, config_file=config_file)
    merged: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for layer in layers:  # already in OVERRIDE_ORDER
        merged.update(layer.values)
        origins.update(layer.origins)
    # The environment was read above, once; Settings must not read it again and have its
    # values blamed on whichever source is being validated.
    reads_environment = _READS_ENVIRONMENT.set(False)
    try:
        settings = Settings(**merged)
    except ValidationError as error:
        problems += [_blame(detail, origins, merged) for detail in error.errors()]
        settings = None
    finally:
        _READS_ENVIRONMENT.reset(reads_environment)
    if problems or settings is None:
        raise ConfigError("\n".join(dict.fromkeys(problems)))
    sources = {name: origins[name].where if name in origins else "default"
               for name in Settings.model_fields}
    return LoadedSettings(settings=settings, sources=sources, layers=tuple(layers))


def _blame(detail: Any, origins: dict[str, Origin], merged: dict[str, Any]) -> str:
    loc = [str(part) for part in detail["loc"]]
    name = loc[0] if loc else ""
    location = ".".join(loc) or "settings"
    message = _plain(detail["msg"])
    origin = origins.get(name, Origin("settings", name))
    value = merged.get(name)
    if (origin.where.startswith("env ") or origin.where == "flag") and isinstance(
        value, str | int | float
    ) and name not in SECRET_FIELDS:
        message = f"{message} (got {str(value)!r})"
    return origin.blame(location, message)


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ")


def describe(loaded: LoadedSettings) -> list[tuple[str, str, str]]:
    """(setting, value as shown, source) rows with secrets masked."""
    from shipctl.store.dsn import mask_dsn

    rows = []
    settings = loaded.settings
    data = settings.model_dump()
    for name in Settings.model_fields:
        value = data[name]
        if name == "database_url":
            shown = mask_dsn(settings.database_dsn) if settings.database_dsn else "-"
        elif name in SECRET_FIELDS and value is not None:
            shown = mask_secret(value.get_secret_value())
        elif name == "parcels":
            shown = ", ".join(f"{k} = {ParcelPreset(**v)}" for k, v in value.items()) or "-"
        elif name == "from_address" and value:
            shown = ", ".join(str(v) for v in value.values() if v)
        elif name == "simulate_carriers":
            shown = ",".join(value)
        elif name == "customs":
            shown = ", ".join(f"{k} = {v}" for k, v in value.items() if v is not None)
        elif name == "concurrency" and value is None:
            shown = f"{settings.effective_concurrency()} (8 per core)"
        else:
            shown = "-" if value is None else str(value)
        rows.append((name, shown, loaded.sources[name]))
    return rows


def mask_secret(secret: str) -> str:
    """`EZTK…` style: the kind of key shows, the key does not."""
    return f"{secret[:4]}…(hidden)" if len(secret) > 8 else "…(hidden)"


