"""Model files under KEFU_DATA_DIR/triage/, versioned (model-v<N>.joblib), loaded once per process."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import joblib
from django.conf import settings

from kefu.triage.engine import Bundle
from kefu.triage.models import TriageModel

logger = logging.getLogger("kefu.triage")

_lock = threading.Lock()
_cache: dict[tuple[str, int], Bundle] = {}


def model_dir() -> Path:
    return Path(settings.DATA_DIR) / "triage"


def file_name(version: int) -> str:
    return f"model-v{version}.joblib"


def save(bundle: Bundle, version: int) -> str:
    """Write the bundle atomically (temp file, then rename) and return its file name."""
    folder = model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = file_name(version)
    tmp = folder / f".{name}.tmp"
    joblib.dump(bundle, tmp, compress=3)
    tmp.replace(folder / name)
    return name


def load(row: TriageModel) -> Bundle | None:
    """The bundle of `row` (cached per process and data dir); None when its file is gone or broken."""
    key = (str(model_dir()), row.version)
    bundle = _cache.get(key)
    if bundle is not None:
        return bundle
    with _lock:
        bundle = _cache.get(key)
        if bundle is None:
            path = model_dir() / row.file_name
            try:
                bundle = joblib.load(path)
            except (OSError, EOFError, ValueError, ImportError, AttributeError) as exc:
                logger.warning("triage model v%s cannot be loaded from %s: %s", row.version, path, exc)
                return None
            _cache[key] = bundle
    return bundle


def active() -> tuple[TriageModel, Bundle] | None:
    """The active model and its bundle (one query), or None."""
    row = TriageModel.objects.filter(is_active=True).first()
    if row is None:
        return None
    bundle = load(row)
    return (row, bundle) if bundle is not None else None
