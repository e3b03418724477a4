"""Server settings, from arguments or SPECTROGENRE_* environment variables."""

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from spectrogenre.cores import available_cores
from spectrogenre.errors import SpectrogenreError

# A limit of 0, below 0 or NaN would refuse every upload ("larger than -5 MB"), and inf is no limit at all.
Limit = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class ServerSettings(BaseSettings):
    """What bounds the server's work: every limit a hostile or unlucky client can reach is here.

    workers: classifications at once (each with its own interpreter); queue: requests that may
    wait for one, beyond which the answer is 503 with Retry-After. max_duration_s: decoded audio
    allowed per upload (413 past it); time_limit_s: decoding and classifying one upload (the work
    is stopped, 422). body_timeout_s: the whole upload must arrive within it (408); after
    upload_grace_s, at least min_upload_kb_s KB a second on average, or it is 408 at once (a client
    trickling bytes holds a worker's place for seconds, not body_timeout_s), and no gap of more than
    upload_stall_s without a byte (a client that sends most of a body fast, then stops); head_timeout_s:
    the request line and headers likewise (the connection is closed); max_connections: open
    connections (503 with Retry-After beyond).
    """

    model_config = SettingsConfigDict(env_prefix="SPECTROGENRE_", protected_namespaces=())

    export_dir: Path = Path("data/export")
    max_upload_mb: Limit = 20.0
    max_duration_s: Limit = 600.0
    time_limit_s: Limit = 60.0
    top_k: Annotated[int, Field(ge=1)] = 3
    workers: Annotated[int, Field(ge=1)] = max(1, available_cores())
    queue: Annotated[int, Field(ge=0)] = 8
    body_timeout_s: Limit = 60.0
    upload_grace_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 5.0
    min_upload_kb_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 16.0
    upload_stall_s: Limit = 10.0
    head_timeout_s: Limit = 10.0
    max_connections: Annotated[int, Field(ge=1)] = 256

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)


# The serve options that set a field; the others come from SPECTROGENRE_<FIELD> only.
OPTIONS = {"max_upload_mb": "--max-upload-mb", "max_duration_s": "--max-duration", "time_limit_s": "--time-limit",
           "workers": "--workers", "queue": "--queue", "max_connections": "--max-connections"}


def server_settings(**given) -> ServerSettings:
    """ServerSettings from serve's options and the environment; a bad value is a SpectrogenreError naming the
    option or variable that set it, not pydantic's traceback."""
    try:
        return ServerSettings(**given)
    except ValidationError as err:
        problems = []
        for error in err.errors():
            field = str(error["loc"][0])
            # an option left out (serve passes --workers only when given) leaves the field to its variable
            where = OPTIONS[field] if field in OPTIONS and field in given else f"SPECTROGENRE_{field.upper()}"
            problems.append(f"{where}: {error['msg'].lower()}, got {error['input']!r}")
        raise SpectrogenreError("; ".join(problems)) from None
