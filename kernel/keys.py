"""Where a node keeps its keys: SAMEN030_KEYS, else var/keys."""
import os
from pathlib import Path

from .config import var_dir


def keys_dir() -> Path:
    path = Path(os.environ["SAMEN030_KEYS"]) if os.environ.get("SAMEN030_KEYS") else var_dir() / "keys"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
