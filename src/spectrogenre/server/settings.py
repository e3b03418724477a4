"""Server settings, from arguments or SPECTROGENRE_* environment variables."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPECTROGENRE_", protected_namespaces=())

    export_dir: Path = Path("data/export")
    max_upload_mb: float = 20.0
    decode_timeout_s: float = 30.0
    hop_seconds: float = 7.5
    top_k: int = 3

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)
