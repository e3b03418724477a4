"""Server settings, from arguments or SPECTROGENRE_* environment variables."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from spectrogenre.cores import available_cores


class ServerSettings(BaseSettings):
    """What bounds the server's work: every limit a hostile or unlucky client can reach is here.

    workers: classifications at once (each with its own interpreter); queue: requests that may
    wait for one, beyond which the answer is 503 with Retry-After. max_duration_s: decoded audio
    allowed per upload (413 past it); time_limit_s: decoding and classifying one upload (the work
    is stopped, 422). body_timeout_s: the whole upload must arrive within it (408); after
    upload_grace_s, at least min_upload_kb_s KB a second on average, or it is 408 at once (a client
    trickling bytes holds a worker's place for seconds, not body_timeout_s); head_timeout_s:
    the request line and headers likewise (the connection is closed); max_connections: open
    connections (503 with Retry-After beyond).
    """

    model_config = SettingsConfigDict(env_prefix="SPECTROGENRE_", protected_namespaces=())

    export_dir: Path = Path("data/export")
    max_upload_mb: float = 20.0
    max_duration_s: float = 600.0
    time_limit_s: float = 60.0
    top_k: int = 3
    workers: int = max(1, available_cores())
    queue: int = 8
    body_timeout_s: float = 60.0
    upload_grace_s: float = 5.0
    min_upload_kb_s: float = 16.0
    head_timeout_s: float = 10.0
    max_connections: int = 256

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)
