"""What the screenshot scripts share (bench/*/screenshots.py): a fresh SQLite demo database in a
data directory, `manage.py runserver` on a free port, Debian's chromium for Playwright."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PASSWORD = "kefu123"  # the demo's password


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def build_demo(env: dict[str, str], tickets: int) -> None:
    """migrate, then `kefu demo` (tickets, knowledge and the workforce demo)."""
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "demo", "--tickets", str(tickets), "--customers", str(max(50, tickets // 6)))


def shell_words(env: dict[str, str], code: str) -> list[str]:
    """The words of the last line `code` prints in `manage.py shell`."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "--no-imports", "-c", code], env=env, check=True, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1].split()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(
    description: str,
    data_dir: Path,
    ids: Callable[[dict[str, str]], Any],
    shoot: Callable[[str, Path, Any], list[Path]],
) -> None:
    """Arguments, the demo database (`build_demo` unless --keep finds one), the server, then
    `shoot(base_url, out_dir, ids(env))`; prints the files written."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--data-dir", type=Path, default=data_dir)
    parser.add_argument("--tickets", type=int, default=600, help="demo tickets (default 600)")
    parser.add_argument("--keep", action="store_true", help="reuse an existing demo database in --data-dir")
    args = parser.parse_args()
    if args.data_dir.exists() and not args.keep:
        shutil.rmtree(args.data_dir)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(KEFU_DATA_DIR=str(args.data_dir), DJANGO_SETTINGS_MODULE="kefu.settings", PYTHONPATH=str(ROOT))
    if not (args.keep and (args.data_dir / "kefu.sqlite3").exists()):
        build_demo(env, args.tickets)
    pk = ids(env)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        for path in shoot(f"http://127.0.0.1:{port}", args.out, pk):
            print(path)
    finally:
        server.terminate()
        server.wait(timeout=10)
