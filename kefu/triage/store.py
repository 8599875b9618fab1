"""Model files under KEFU_DATA_DIR/triage/, versioned (model-v<N>.joblib), loaded once per process.

Which model is active is a configuration token (kefu.core.tokens): the create path's one token
statement answers it with the other apps' tokens, so the prediction after a ticket create reads no
row of its own; the row of each active model is read once per process.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import joblib
from django.conf import settings

from kefu.core import tokens
from kefu.triage.engine import Bundle, upgrade
from kefu.triage.models import TriageModel

logger = logging.getLogger("kefu.triage")

_lock = threading.Lock()
_cache: dict[tuple[str, int], Bundle] = {}
_rows: dict[int, TriageModel] = {}

tokens.register("triage.model", f'SELECT "id" FROM "{TriageModel._meta.db_table}" WHERE "is_active"')


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
                bundle = upgrade(joblib.load(path))
            except (OSError, EOFError, ValueError, ImportError, AttributeError) as exc:
                logger.warning("triage model v%s cannot be loaded from %s: %s", row.version, path, exc)
                return None
            _cache[key] = bundle
    return bundle


def active() -> tuple[TriageModel, Bundle] | None:
    """The active model and its bundle, or None: no statement of its own once the token is known
    (the row is read once per process and model)."""
    model_id = tokens.value("triage.model")
    if model_id is None:
        return None
    row = _rows.get(model_id)
    if row is None:
        row = TriageModel.objects.filter(pk=model_id).first()
        if row is None:
            return None
        _rows[model_id] = row
    bundle = load(row)
    return (row, bundle) if bundle is not None else None


def forget() -> None:
    """A model was promoted in this request: read the token again on the next use."""
    tokens.forget()
