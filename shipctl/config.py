"""Settings: flags > environment > ./shipctl.toml > the user config file.

Environment variables: `EASYPOST_API_KEY`, `EASYPOST_API_BASE`, `DATABASE_URL`, and
`SHIPCTL_<SETTING>` for every other setting (e.g. `SHIPCTL_CONCURRENCY`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

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
from shipctl.models import Address, LabelFormat, RateRule
from shipctl.units import parse_dimensions

PROJECT_CONFIG = Path("shipctl.toml")
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

    model_config = SettingsConfigDict(
        env_prefix="SHIPCTL_", extra="forbid", frozen=True, populate_by_name=True
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
    parcels: dict[str, ParcelPreset] = Field(default_factory=dict)
    default_parcel: str | None = None
    default_rate_rule: str = "cheapest"
    label_format: LabelFormat = LabelFormat.PDF
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
        # Files are read by `load_settings`, which names the file in any error.
        return (init_settings, env_settings)

    def effective_concurrency(self) -> int:
        """`--concurrency`, else 8 calls in flight per core (see README: Concurrency)."""
        return self.concurrency or default_concurrency()

    def rate_rule(self) -> RateRule:
        return RateRule.parse(self.default_rate_rule)


def default_concurrency() -> int:
    # Each SDK call spends ~all its time waiting on the network, so threads are cheap; 8 per
    # core keeps a 2-core machine busy at 150 ms latency without tripping a rate limit.
    return 8 * (os.cpu_count() or 2)


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus where each value came from (`flag`, `env VAR`, a file path, `default`)."""

    settings: Settings
    sources: dict[str, str]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from error


def _check_file(path: Path, values: dict[str, Any]) -> None:
    """Raise a ConfigError naming the file, key and problem for the first bad key."""
    known = set(Settings.model_fields)
    for key in values:
        if key not in known:
            raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(sorted(known))})")
    try:
        Settings(**values)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "?"
        raise ConfigError(f"{path}: {key}: {_plain(first['msg'])}") from None


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ")


def _env_values() -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    aliases = {"easypost_api_key": "EASYPOST_API_KEY", "easypost_api_base": "EASYPOST_API_BASE",
               "database_url": "DATABASE_URL"}
    for name in Settings.model_fields:
        var = aliases.get(name, f"SHIPCTL_{name.upper()}")
        if os.environ.get(var):
            values[name] = os.environ[var]
            sources[name] = f"env {var}"
    return values, sources


def project_config_path(explicit: Path | None = None) -> Path:
    """`--config FILE`, else `SHIPCTL_CONFIG`, else `./shipctl.toml`."""
    if explicit is not None:
        return explicit
    configured = os.environ.get("SHIPCTL_CONFIG")
    return Path(configured) if configured else PROJECT_CONFIG


def load_settings(
    flags: Mapping[str, Any] | None = None, *, config_file: Path | None = None
) -> LoadedSettings:
    """Merge every layer, lowest first, and validate the result."""
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    project = project_config_path(config_file)
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"{config_file}: no such settings file")
    for path in (user_config_path(), project):
        if path.is_file():
            values = _read_toml(path)
            _check_file(path, values)
            merged.update(values)
            sources.update(dict.fromkeys(values, str(path)))
    env, env_sources = _env_values()
    merged.update(env)
    sources.update(env_sources)
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    merged.update(given)
    sources.update(dict.fromkeys(given, "flag"))
    try:
        settings = Settings(**merged)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "?"
        where = sources.get(str(first["loc"][0]) if first["loc"] else "", "settings")
        raise ConfigError(f"{where}: {key}: {_plain(first['msg'])}") from None
    for name in Settings.model_fields:
        sources.setdefault(name, "default")
    return LoadedSettings(settings=settings, sources=sources)


def describe(loaded: LoadedSettings) -> list[tuple[str, str, str]]:
    """(setting, value as shown, source) rows with secrets masked."""
    rows = []
    data = loaded.settings.model_dump()
    for name in Settings.model_fields:
        value = data[name]
        if name == "database_url" and value is not None:
            shown = mask_url(value.get_secret_value())
        elif name in SECRET_FIELDS and value is not None:
            shown = mask_secret(value.get_secret_value())
        elif name == "parcels":
            shown = ", ".join(f"{k} = {ParcelPreset(**v)}" for k, v in value.items()) or "-"
        elif name == "from_address" and value:
            shown = ", ".join(str(v) for v in value.values() if v)
        elif name == "simulate_carriers":
            shown = ",".join(value)
        else:
            shown = "-" if value is None else str(value)
        rows.append((name, shown, loaded.sources[name]))
    return rows


def mask_secret(secret: str) -> str:
    """`EZTK…` style: the kind of key shows, the key does not."""
    return f"{secret[:4]}…(hidden)" if len(secret) > 8 else "…(hidden)"


def mask_url(url: str) -> str:
    """The URL with any password replaced by `***`."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
