"""All settings in one place, read from the environment (prefix TALL_)."""

import difflib
import ipaddress
import json
import os
import re
import signal
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, BeforeValidator, Field, StringConstraints, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Where a non-editable install (pip install .) puts fixtures/ and seeds/ (pyproject: data-files).
MCP_PATH = "/mcp"
"""Where the MCP server answers (streamable HTTP); the one path that takes POST."""
MCP_ALLOW = "POST, OPTIONS"
"""The methods the MCP endpoint takes (its Allow header)."""
LOG_NAME = "tall_evidence"
"""The service's own logger; `serve` writes it through uvicorn's handler, as uvicorn's own lines."""
INSTALLED_DATA = Path(sys.prefix) / "share" / "tall-evidence"


FHIR_CANONICAL_BASE_PLACEHOLDER = "https://canonical-base-not-configured.example.org/fhir"
HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def data_dir() -> Path:
    """The curated data: the source checkout's, else the installed copy (checked at start-up by the loader)."""
    return PROJECT_ROOT if (PROJECT_ROOT / "fixtures").is_dir() else INSTALLED_DATA


def split_list(value: object, separator: str) -> object:
    """A list setting given in the environment: a JSON list, or items joined by separator (blanks dropped).
    Text that starts as JSON does ('[', '{' or '"') must be a JSON list, not split."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("[", "{", '"')):
            found = json.loads(text)
            if not isinstance(found, list):
                kind = type(found).__name__
                raise ValueError(f"must be a JSON list or items separated by {separator!r}, not a JSON {kind}")
            return found
        return [item.strip() for item in text.split(separator) if item.strip()]
    return value


def printable_text(value: str, *, example: str) -> str:
    """Text written as it is into answers (and so into headers or documents): no control
    characters (a newline would start another line), not blank, no spaces around it."""
    if not value.strip() or value != value.strip() or not value.isprintable():
        raise ValueError(f"must be printable text, not blank, with no control character (a newline...), e.g. {example}")
    return value


def texts_dir() -> Path:
    """The source texts are not shipped: beside a checkout (../shared/seeds), else a named place to put them."""
    return PROJECT_ROOT.parent / "shared" / "seeds" if data_dir() == PROJECT_ROOT else INSTALLED_DATA / "texts"


def http_base(value: str, *, example: str) -> str:
    """An absolute http(s) URL with a host, to build other URLs on: printable ASCII with no spaces
    (it is written into links as it is), no user name or password, query or fragment, and a valid
    port if any; without its trailing slash."""
    if any(not c.isascii() or not c.isprintable() or c.isspace() for c in value):
        raise ValueError(f"must be printable ASCII with no spaces (percent-encode the rest), e.g. {example}")
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (read for its check: a port that is not a number from 0 to 65535 raises)
    except ValueError as exc:
        raise ValueError(f"has an invalid port ({exc}), e.g. {example}") from None
    # '?' and '#' themselves: urlsplit gives an empty query for 'http://x.example?', which links built
    # on it would then carry ('http://x.example?/v1/...' is the site's root).
    if parts.scheme not in ("http", "https") or not parts.hostname or "?" in value or "#" in value:
        raise ValueError(f"must be an absolute http(s) URL with a host and no query or fragment, e.g. {example}")
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        raise ValueError(f"must not have '.' or '..' path segments (write the path they stand for), e.g. {example}")
    if parts.username is not None:
        raise ValueError(f"must not carry a user name or password, e.g. {example}")
    return value.rstrip("/")


Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
# A dataset version as /v1/meta gives it: lowercase hex digits (it names a PostgreSQL schema too).
DATASET_VERSION_PATTERN = r"^[0-9a-f]{1,48}$"


def whole_number(value: object) -> object:
    """A count, port or number of seconds given in the environment: ASCII digits only. pydantic
    would also take '18205.0', '1_8205' and ' 18205 ', which are more likely a mistake than meant."""
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+", value):
        raise ValueError("must be a whole number written in digits (no decimal point, '_' or spaces), e.g. 8000")
    return value


WholeNumber = Annotated[int, BeforeValidator(whole_number)]


def whole_number_or_none(value: object) -> object:
    """A whole number, or set empty in the environment for none."""
    return None if isinstance(value, str) and not value.strip() else whole_number(value)


def origin(value: str) -> str:
    """A CORS origin as a browser sends it: '*', or scheme://host[:port] with no path, query,
    fragment or user, in printable ASCII. Anything else would never match, allowing nobody."""
    example = "https://lab.example.org"
    if value == "*":
        return value
    if value != value.strip() or http_base(value, example=example) != value or urlsplit(value).path:
        raise ValueError(f"{value!r} is not an origin ('*' or scheme://host[:port], no path), e.g. {example}")
    return value


# The most any Cache-Control duration here may be: RFC 9111 sets none, RFC 2616 (14.21) told servers
# not to promise freshness more than a year ahead, and the usual practice still follows it. A figure
# over it is more likely a typing slip than meant, and a cache keeps what it was told.
ONE_YEAR_SECONDS = 31_536_000


# The largest fixture or coverage file read (TALL_MAX_FIXTURE_BYTES' default), and the most it may be set to.
MAX_FIXTURE_BYTES = 2_000_000
MOST_FIXTURE_BYTES = 2**30
# Each worker is a process with the whole read side in memory: a mistyped count must not start
# thousands of them (a probe's --workers 99999 took a shared machine's memory).
MAX_WORKERS = 64
# Environment variables under the settings' prefix that are not settings: the test suite's own
# (TALL_TEST_POSTGRES_URL...). Any other TALL_ name is refused, since a misspelled setting
# (TALL_CORS_ORIGIN for TALL_CORS_ORIGINS) would otherwise be ignored without a word.
RESERVED_PREFIX = "TALL_TEST_"
# What stops `serve` and its workers' supervisor, gracefully.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TALL_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "TALL_DATABASE_URL"),
        description=(
            "SQLAlchemy URL; unset means an embedded SQLite file in a private temporary directory. A PostgreSQL "
            "URL's own `connect_timeout` (a whole number of seconds from 1) bounds the serving connections; "
            "`serve`, `build` and `export` refuse one that is not."
        ),
    )
    database_file: Path | None = Field(
        default=None,
        description="A database file written by `tall-evidence build`, served read-only and immutable as it is "
        "(no fixtures read). Env TALL_DATABASE_FILE; `serve --database FILE` sets it.",
    )
    previous_database_files: Annotated[list[Path], NoDecode] = Field(
        default=[],
        description="Earlier builds (files written by `tall-evidence build`) served beside the current one, oldest "
        "first, and answered under ?version=<their version>. Env TALL_PREVIOUS_DATABASE_FILES: a JSON list or "
        "paths separated by the platform's path separator; `serve --database OLD --database NEW` sets it.",
    )
    previous_database_files_sha256: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]], NoDecode
    ] = Field(
        default=[],
        description="The SHA-256 of each of previous_database_files' bytes, in the same order, as `serve --database` "
        "checked them before any worker started; each worker serves an earlier build only if its bytes still have "
        "it. Env TALL_PREVIOUS_DATABASE_FILES_SHA256: a JSON list or comma-separated. Set by `serve` for its workers.",
    )
    verify_database_file: bool = Field(
        default=True,
        description="Check database_file's contents against its recorded hash before serving it. "
        "`serve --database` checks once and turns this off for its workers.",
    )
    database_file_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="The SHA-256 of database_file's bytes as `serve --database` checked them before any worker "
        "started; each worker serves the file only if its bytes still have it. Set by `serve` for its workers.",
    )
    dataset_version: Annotated[str, StringConstraints(pattern=DATASET_VERSION_PATTERN)] | None = Field(
        default=None,
        description="With a PostgreSQL DATABASE_URL: the built dataset version (schema tall_<version>) to attach "
        "read-only. Unset: build the fixtures' version into its schema first, unless it is there already. Set "
        "where no schema is served (a file, or the fixtures on SQLite), `serve` and `mcp` refuse it.",
    )
    fixtures_dir: Path = Field(
        default_factory=lambda: data_dir() / "fixtures", description="Where the fixture files live."
    )
    sources_registry: Path = Field(
        default_factory=lambda: data_dir() / "seeds" / "sources.yaml", description="The seed registry file."
    )
    coverage_dir: Path = Field(
        default_factory=lambda: data_dir() / "seeds" / "coverage",
        description="Per-document lists of figures left out.",
    )
    spans_file: Path = Field(
        default_factory=lambda: data_dir() / "seeds" / "spans.yaml",
        description="Where each record's printed words sit in its source text (written by `tall-evidence resolve`).",
    )
    terminology_file: Path = Field(
        default_factory=lambda: data_dir() / "seeds" / "terminology.csv",
        description="The verified code list (CURIEs with where each was verified).",
    )
    term_codes_file: Path = Field(
        default_factory=lambda: data_dir() / "seeds" / "term_codes.yaml",
        description="Which verified codes each term of our vocabularies carries.",
    )
    seeds_text_dir: Path | None = Field(
        default_factory=texts_dir,
        description="Directory holding the source documents' texts (file name = document id). `validate` checks every "
        "locator and printed figure against them; left unset where the default is absent, or set empty, it checks the "
        "committed spans file instead. Set to a path that is not a readable directory, `validate` and `resolve` stop.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL the service is reached at (no trailing slash); figures' permalinks are written on it "
        "by `build`, which records it in the file. `serve` and `mcp` of a built file refuse another value; left "
        "unset there, the file's own is used.",
    )
    fhir_canonical_base: str = Field(
        default=FHIR_CANONICAL_BASE_PLACEHOLDER,
        description="Canonical base of the FHIR face's own definitions (extensions, code systems, naming "
        "systems): a name, not where a request reached us, so it never follows the Host header. The default is a "
        "placeholder under example.org; set it for a public deployment to the URL (path ending /fhir) at which "
        "this service's /fhir is reached, and every definition is then served at its canonical URL. "
        "Env TALL_FHIR_CANONICAL_BASE.",
    )
    host: str = Field(default="127.0.0.1", description="Interface `tall-evidence serve` binds (`--host` overrides it).")
    workers: WholeNumber = Field(
        default=1,
        ge=1,
        le=MAX_WORKERS,
        validation_alias=AliasChoices("WEB_CONCURRENCY"),
        description="Worker processes `tall-evidence serve` runs (`--workers` overrides it), under the name "
        f"uvicorn and gunicorn read it by; at most {MAX_WORKERS} (each holds its own copy of the read side, "
        "100-200 MiB). Env WEB_CONCURRENCY.",
    )
    port: WholeNumber = Field(
        default=8000,
        ge=1,
        le=65535,
        description=(
            "Port `tall-evidence serve` listens on (`--port` overrides it); one another process listens on is "
            "refused before anything is loaded, in one line naming it, exit status 2."
        ),
    )
    header_timeout: float = Field(
        default=10.0,
        ge=0.1,
        le=600,
        description="Seconds a request head (request line and headers) may take to arrive, from its first byte "
        "or from the connection's opening; a connection that sends nothing is closed after this long.",
    )
    send_timeout: float = Field(
        default=30.0,
        ge=0.1,
        le=600,
        description="Seconds a response may stay blocked on a client that reads nothing (the connection's send "
        "buffer full) before the connection is closed.",
    )
    max_connections: WholeNumber = Field(
        default=1024,
        ge=1,
        le=1_000_000,
        description="Connections a worker holds open at once; a new one past them is answered 503 with "
        "Retry-After and closed, before anything of it is read. Each open connection costs its buffers (up to "
        "the 16 KiB request-head bound) until it closes; raise the process's descriptor limit with it.",
    )
    body_timeout: float = Field(
        default=10.0,
        ge=0.1,
        le=600,
        description="Seconds a request body may take to arrive once its head has. A POST /mcp or FHIR POST "
        "_search body not in by then is answered 408 and the connection closed; of a request answered before "
        "its body ended, the rest is read and dropped until then (64 KiB at most), then the connection is ended.",
    )
    keep_alive_timeout: WholeNumber = Field(
        default=5, ge=1, le=600, description="Seconds an idle connection is kept open after a response."
    )
    shutdown_timeout: WholeNumber = Field(
        default=10,
        ge=1,
        le=600,
        description=(
            "Seconds requests in flight may take to finish after SIGTERM "
            "(for `tall-evidence mcp`, after its client closes stdin)."
        ),
    )
    data_licence: str = Field(
        default="CC-BY-4.0", description="Licence of the curated data, stated in `/v1/meta` and the OpenAPI document."
    )
    max_fixture_bytes: WholeNumber = Field(
        default=MAX_FIXTURE_BYTES,
        ge=1,
        # Read whole into memory, and past 2**63 not even a size a read can be asked for (a traceback).
        le=MOST_FIXTURE_BYTES,
        description="Largest fixture file read, in bytes (at most 1 GiB); a larger one stops start-up naming it.",
    )
    # NoDecode: the environment gives a comma-separated list, not JSON (see _split_origins).
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=["*"],
        description="Origins allowed to read the API from a browser; '*' is any, [] none. Env: comma-separated list "
        "or a JSON list; set but blank is refused (an unset variable in a script would turn off every browser read).",
    )
    cache_max_age: WholeNumber = Field(
        default=300,
        ge=0,
        le=ONE_YEAR_SECONDS,
        description="Seconds browsers and shared caches may reuse a response without asking (max-age); "
        f"at most {ONE_YEAR_SECONDS} (a year).",
    )

    cache_s_maxage: Annotated[int | None, BeforeValidator(whole_number_or_none)] = Field(
        default=3600,
        ge=0,
        le=ONE_YEAR_SECONDS,
        description="Seconds shared caches (proxies, CDNs) may reuse a response (s-maxage); set empty to leave "
        f"it out (shared caches then use max-age); at most {ONE_YEAR_SECONDS} (a year).",
    )
    cache_stale_while_revalidate: WholeNumber = Field(
        default=86400,
        ge=0,
        le=ONE_YEAR_SECONDS,
        description="Seconds a cache may keep answering with an expired response while it revalidates it "
        f"(stale-while-revalidate); 0 leaves it out; at most {ONE_YEAR_SECONDS} (a year).",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """Accept 'https://a.org, https://b.org' (or a JSON list) as well as a list; blank is no list
        (session 12's probe, B10: it meant no origin, without a word): '[]' says none."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("is set but blank: give origins, '*' for any, or [] for none")
        return split_list(value, ",")

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [origin(item) for item in value]

    frame_ancestors: str = Field(
        default="*",
        description=(
            "CSP frame-ancestors source list for HTML responses (env TALL_FRAME_ANCESTORS), e.g. "
            "\"'self' https://lab.example.org\". Defaults to '*' because lab websites embed our HTML views."
        ),
    )

    @field_validator("seeds_text_dir", mode="before")
    @classmethod
    def _no_texts_when_empty(cls, value: object) -> object:
        # Set empty on purpose: the texts are not read (an empty path would otherwise be the working directory).
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "database_file",
        "fixtures_dir",
        "sources_registry",
        "coverage_dir",
        "spans_file",
        "terminology_file",
        "term_codes_file",
        mode="before",
    )
    @classmethod
    def _path_not_empty(cls, value: object) -> object:
        # An empty path is the working directory: an unset shell variable (TALL_COVERAGE_DIR=$DIR) would
        # read the checkout's root as the corrections' directory, find none and build without them.
        if isinstance(value, str) and not value.strip():
            raise ValueError("must be a path, not empty (unset it for the default)")
        return value

    @field_validator("previous_database_files", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        """Accept 'old.sqlite3:older.sqlite3' (os.pathsep) or a JSON list as well as a list."""
        paths = split_list(value, os.pathsep)
        if isinstance(paths, list) and any(isinstance(path, str) and not path.strip() for path in paths):
            # Path("") is ".": a blank entry would name the working directory.
            raise ValueError("each entry must name a file, not be blank")
        return paths

    @field_validator("database_url")
    @classmethod
    def _named_once(cls, url: str | None) -> str | None:
        # Either name sets it; both, with different URLs, would leave one ignored without a word
        # (session 11's second probe, Q13).
        given = {os.environ[name] for name in ("DATABASE_URL", "TALL_DATABASE_URL") if name in os.environ}
        if len(given) > 1:
            raise ValueError("DATABASE_URL and TALL_DATABASE_URL are both set, to different URLs; set one")
        return url

    @field_validator("data_licence")
    @classmethod
    def _printable_licence(cls, value: str) -> str:
        return printable_text(value, example="CC-BY-4.0")

    @field_validator("previous_database_files_sha256", mode="before")
    @classmethod
    def _split_digests(cls, value: object) -> object:
        return split_list(value, ",")

    @field_validator("public_url")
    @classmethod
    def _absolute_base(cls, value: str) -> str:
        # Permalinks are printed in citations: a relative or slash-ended base would give broken ones.
        return http_base(value, example="https://evidence.example.org")

    @field_validator("fhir_canonical_base")
    @classmethod
    def _canonical_fhir_base(cls, value: str) -> str:
        # Definitions are served at /fhir/<Type>/<id>: a base whose path ends elsewhere would name
        # URLs nothing here answers (behind a proxy, any path prefix before /fhir is fine).
        base = http_base(value, example="https://evidence.example.org/fhir")
        if not urlsplit(base).path.endswith("/fhir"):
            raise ValueError("must end with /fhir (e.g. https://evidence.example.org/fhir)")
        return base

    @field_validator("host")
    @classmethod
    def _bindable_host(cls, value: str) -> str:
        # An IP address or a DNS name; whether it resolves is checked when `serve` binds.
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not HOST_NAME.fullmatch(value):
                raise ValueError("must be an IP address or a host name (letters, digits, '-' and '.')") from None
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _one_csp_directive(cls, value: str) -> str:
        # The value is written verbatim into a header: a ';' or ',' would smuggle in other
        # directives or policies, and control characters would split the header.
        if not value.strip() or any(c in ";," or not " " <= c <= "~" for c in value):
            raise ValueError("must be a CSP source list: printable ASCII, no ';' or ','")
        return " ".join(value.split())

    response_cache_enabled: bool = Field(
        default=True,
        description="Keep complete GET responses in memory (the dataset never changes while the process runs).",
    )
    response_cache_max_entries: WholeNumber = Field(default=2048, ge=0, description="Most responses kept.")
    response_cache_max_bytes: WholeNumber = Field(
        default=32 * 1024 * 1024, ge=0, description="Most bytes kept in all (bodies, headers and keys)."
    )
    response_cache_max_entry_bytes: WholeNumber = Field(
        default=4 * 1024 * 1024, ge=0, description="Responses with a larger body are served but not kept."
    )
    response_cache_skip_paths: list[str] = Field(
        default=["/health"],
        description="Paths always answered afresh (the health check must reach the database). Env: a JSON list.",
    )

    @field_validator("response_cache_skip_paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        # Compared with a request's path, which always starts with '/': 'health' would never match.
        for path in value:
            if not path.startswith("/"):
                raise ValueError(f"each entry must be a path starting with '/', e.g. /health (got {path!r})")
        return value

    count_memo_entries: WholeNumber = Field(
        default=4096,
        ge=0,
        description="Filtered totals remembered (per table and filter), so the next pages of a query skip "
        "counting every match again; 0 counts every time.",
    )
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry traces, metrics and logs, sent to the globally configured "
        "providers. Off by default: nothing here configures any.",
    )
    access_log: bool = Field(
        default=False,
        description="Log every request (uvicorn's access log). Off by default: formatting and writing a line "
        "per request costs more than serving a cached response.",
    )

    # Before the fields: a bad value under a name in another case (`tall_port=abc`) failed its field first,
    # named as the capitals' variable, which held a good value (session 13's second probe, FD1).
    @model_validator(mode="before")
    @classmethod
    def _no_unknown_names(cls, data: Any) -> Any:
        unknown = sorted(
            name
            for name in os.environ
            # In any case: names are read regardless of it, so `tall_cors_origin` (misspelt) escaped this check,
            # and `Tall_X` beside `TALL_X` was decided by their order (session 13's probe, FB5). Names in
            # capitals only, as documented.
            if (name.upper().startswith("TALL_") or name.upper() in setting_names())
            and not name.startswith(RESERVED_PREFIX)
            and name not in setting_names()
        )
        if unknown:
            words = "; ".join(_unknown_name_words(name) for name in unknown)
            raise ValueError(
                f"{words} (every setting is listed in docs/configuration.md; "
                f"names starting {RESERVED_PREFIX} are left to the test suite)"
            )
        return data


def environment_names(field: str, info: FieldInfo) -> list[str]:
    """Every environment variable that sets a field (DATABASE_URL has two)."""
    choices = getattr(info.validation_alias, "choices", None)
    return [str(choice) for choice in choices] if choices else [env_name(field)]


def setting_names() -> set[str]:
    """Every environment variable a setting is read from."""
    return {name for field, info in Settings.model_fields.items() for name in environment_names(field, info)}


def _unknown_name_words(name: str) -> str:
    if name.upper() in setting_names():
        return f"{name}: settings are named in capitals, as {name.upper()}"
    close = difflib.get_close_matches(name.upper(), sorted(setting_names()), n=1, cutoff=0.8)
    return f"{name}: no such setting" + (f", did you mean {close[0]}?" if close else "")


def env_name(field: str) -> str:
    """The environment variable that sets a field (or named in an error: a field's name or its alias)."""
    for name, info in Settings.model_fields.items():
        aliases = info.validation_alias.choices if isinstance(info.validation_alias, AliasChoices) else []
        if field == name or field in aliases:
            return str(aliases[0]) if aliases else f"TALL_{name.upper()}"
    return f"TALL_{field.upper()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
