"""The run store: every training run, its metrics and its artifacts, in SQLite (WAL).

One file, `runs.sqlite`, in the data directory; each run also has a folder `runs/<id>/` for its
checkpoint, final model and TensorBoard logs. WAL lets the runner process write metrics while any
number of pages read them. Liveness is never trusted from the status column alone: a run that says
"running" but whose process is gone is marked *interrupted* the next time anyone looks at it.
"""
from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from core import paths

if TYPE_CHECKING:
    import pandas as pd

QUEUED, RUNNING, COMPLETED, STOPPED, FAILED, INTERRUPTED = (
    "queued", "running", "completed", "stopped", "failed", "interrupted")
ACTIVE_STATUSES = (QUEUED, RUNNING)
FINAL_STATUSES = (COMPLETED, STOPPED, FAILED, INTERRUPTED)

# A run is created a moment before its process exists; don't call it dead during that window.
SPAWN_GRACE_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    pid INTEGER,
    pid_created REAL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    progress TEXT,
    results TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,          -- 'batch' (throttled, running means) or 'epoch'
    epoch INTEGER NOT NULL,
    step INTEGER NOT NULL,       -- global optimizer step
    time REAL NOT NULL,          -- seconds since the run started training
    name TEXT NOT NULL,
    value REAL
);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, kind);
"""


@dataclass
class Run:
    id: str
    name: str
    status: str
    config: dict
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    pid: int | None = None
    stop_requested: bool = False
    progress: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def dir(self) -> Path:
        return paths.run_dir(self.id)

    @property
    def model_path(self) -> Path:
        return self.dir / "model.keras"


def process_alive(pid: int | None, created: float | None) -> bool:
    """True if `pid` is the very process we started (same creation time) and not a zombie."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if created is not None and abs(proc.create_time() - created) > 1.0:
            return False  # the pid was reused by another process
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


class RunStore:
    """All reads and writes of runs and metrics. Safe to share between threads and processes."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else paths.data_dir() / "runs.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(_SCHEMA)

    # -- connection ---------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # autocommit mode: every statement is its own transaction unless we BEGIN one.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE"):
        """All or nothing; after a failure (say a full disk) the connection is usable again."""
        conn = self._conn()
        conn.execute(begin)
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # -- runs -----------------------------------------------------------------------------------
    def create_run(self, config: dict, name: str = "") -> str:
        name = name or " · ".join(str(config.get(k, "?")) for k in ("architecture", "dataset", "optimizer")) \
            + f" α={config.get('learning_rate', '?')}"
        while True:  # the race launches five runs in one second: a clash of the random part draws again
            run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
            try:
                self._conn().execute(
                    "INSERT INTO runs (id, name, created_at, status, config) VALUES (?, ?, ?, ?, ?)",
                    (run_id, name, time.time(), QUEUED, json.dumps(config)))
                break
            except sqlite3.IntegrityError as err:
                if "UNIQUE" not in str(err):
                    raise
        paths.run_dir(run_id).mkdir(parents=True, exist_ok=True)
        return run_id

    def set_process(self, run_id: str, pid: int) -> None:
        try:
            created = psutil.Process(pid).create_time()
        except psutil.NoSuchProcess:
            created = None
        self._conn().execute("UPDATE runs SET pid = ?, pid_created = ? WHERE id = ?",
                             (pid, created, run_id))

    def get_run(self, run_id: str) -> Run | None:
        row = self._conn().execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return self._checked(row) if row else None

    def list_runs(self) -> list[Run]:
        rows = self._conn().execute("SELECT * FROM runs ORDER BY created_at DESC").fetchall()
        return [self._checked(row) for row in rows]

    def _checked(self, row: sqlite3.Row) -> Run:
        """Turn a row into a Run, marking it interrupted if its process died without saying so."""
        run = _row_to_run(row)
        if run.is_active and not process_alive(row["pid"], row["pid_created"]):
            just_created = row["pid"] is None and time.time() - run.created_at < SPAWN_GRACE_SECONDS
            if not just_created:
                error = "The training process ended unexpectedly (killed or crashed)."
                try:
                    self.finish(run.id, INTERRUPTED, error=error, only_if_active=True)
                    run = _row_to_run(self._conn().execute(
                        "SELECT * FROM runs WHERE id = ?", (run.id,)).fetchone())
                except sqlite3.OperationalError:  # a full disk or read-only store: still show it as it is
                    run.status, run.error = INTERRUPTED, error
        return run

    def claim_slot(self, run_id: str, max_running: int) -> bool:
        """Atomically move `run_id` from queued to running if it is first in line and a slot is free."""
        with self._transaction() as conn:
            for row in conn.execute("SELECT * FROM runs WHERE status = ?", (RUNNING,)).fetchall():
                if not process_alive(row["pid"], row["pid_created"]):
                    conn.execute("UPDATE runs SET status = ?, ended_at = ?, error = ? WHERE id = ?",
                                 (INTERRUPTED, time.time(),
                                  "The training process ended unexpectedly (killed or crashed).",
                                  row["id"]))
            running = conn.execute("SELECT COUNT(*) FROM runs WHERE status = ?",
                                   (RUNNING,)).fetchone()[0]
            first = conn.execute("SELECT id FROM runs WHERE status = ? ORDER BY created_at, id "
                                 "LIMIT 1", (QUEUED,)).fetchone()
            claimed = running < max_running and first is not None and first["id"] == run_id
            if claimed:
                conn.execute("UPDATE runs SET status = ?, started_at = ? WHERE id = ?",
                             (RUNNING, time.time(), run_id))
        return claimed

    def finish(self, run_id: str, status: str, error: str | None = None,
               only_if_active: bool = False, drop_progress: bool = False) -> None:
        """`drop_progress`: also clear the live progress (a run that is over needs none), which makes
        the row shorter: on a full store the failure then fits in the page the row already has."""
        assert status in FINAL_STATUSES, status
        sql = "UPDATE runs SET status = ?, ended_at = ?, error = ?" + (", progress = NULL" if drop_progress else "") \
            + " WHERE id = ?"
        if only_if_active:
            sql += " AND status IN ('queued', 'running')"
        self._conn().execute(sql, (status, time.time(), error, run_id))

    def requeue(self, run_id: str, holder_pid: int, statuses: tuple = (INTERRUPTED, FAILED)) -> bool:
        """Queue an interrupted or failed run (or one in `statuses`) again, to resume it; its metrics
        stay. False if it is not in those statuses (any more). `holder_pid` (the process resuming it) stands in for the
        runner until that records itself, so nobody takes the run for dead meanwhile."""
        try:
            created = psutil.Process(holder_pid).create_time()
        except psutil.NoSuchProcess:
            created = None
        cursor = self._conn().execute(
            "UPDATE runs SET status = ?, ended_at = NULL, error = NULL, stop_requested = 0, pid = ?, "
            f"pid_created = ? WHERE id = ? AND status IN ({', '.join('?' * len(statuses))})",
            (QUEUED, holder_pid, created, run_id, *statuses))
        stop_file = paths.run_dir(run_id) / "STOP"
        stop_file.unlink(missing_ok=True)
        return cursor.rowcount == 1

    def request_stop(self, run_id: str) -> None:
        self._conn().execute("UPDATE runs SET stop_requested = 1 WHERE id = ?", (run_id,))
        # The runner also watches this file: a stat() per batch is cheaper than a query.
        stop_file = paths.run_dir(run_id) / "STOP"
        if stop_file.parent.exists():
            stop_file.touch()

    def stop_requested(self, run_id: str) -> bool:
        row = self._conn().execute("SELECT stop_requested FROM runs WHERE id = ?",
                                   (run_id,)).fetchone()
        return bool(row and row[0])

    def set_progress(self, run_id: str, progress: dict) -> None:
        self._conn().execute("UPDATE runs SET progress = ? WHERE id = ?",
                             (json.dumps(progress), run_id))

    def set_results(self, run_id: str, results: dict) -> None:
        self._conn().execute("UPDATE runs SET results = ? WHERE id = ?",
                             (json.dumps(results), run_id))

    def rename(self, run_id: str, name: str) -> None:
        self._conn().execute("UPDATE runs SET name = ? WHERE id = ?", (name, run_id))

    def delete_run(self, run_id: str) -> None:
        """Delete a finished run, its metrics and its folder. An active run must be stopped first."""
        run = self.get_run(run_id)
        if run is None:
            return
        if run.is_active:
            raise ValueError("This run is still active: stop it before deleting it.")
        with self._transaction() as conn:
            conn.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        shutil.rmtree(paths.run_dir(run_id), ignore_errors=True)

    # -- moving runs between studios (project bundles) -----------------------------------------
    def export_record(self, run_id: str) -> dict:
        """The run's row as plain JSON-ready data, without what only means something on this
        machine (the process id)."""
        run = self.get_run(run_id)
        if run is None:
            raise KeyError(f"No run with id {run_id}.")
        return {"id": run.id, "name": run.name, "status": run.status, "config": run.config,
                "created_at": run.created_at, "started_at": run.started_at, "ended_at": run.ended_at,
                "stop_requested": run.stop_requested, "progress": run.progress, "results": run.results,
                "error": run.error}

    def import_records(self, records: list[tuple[dict, "pd.DataFrame"]]) -> None:
        """Insert runs (as `export_record` gives them) with their metrics, all or none.

        One transaction for everything: an id that already exists, or any other failure, leaves the
        store as it was. Never overwrites a run.
        """
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for record, metrics in records:
                if conn.execute("SELECT 1 FROM runs WHERE id = ?", (record["id"],)).fetchone():
                    raise ValueError(f"Run {record['id']} already exists in this studio.")
                conn.execute(
                    "INSERT INTO runs (id, name, created_at, started_at, ended_at, status, config, "
                    "stop_requested, progress, results, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (record["id"], record["name"], record["created_at"], record["started_at"],
                     record["ended_at"], record["status"], json.dumps(record["config"]),
                     int(record["stop_requested"]), json.dumps(record["progress"]) if record["progress"] else None,
                     json.dumps(record["results"]) if record["results"] else None, record["error"]))
                conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?)", [
                    (record["id"], kind, int(epoch), int(step), float(time_), name,
                     None if value is None or value != value else float(value))  # NaN is stored as NULL
                    for kind, epoch, step, time_, name, value in zip(
                        metrics["kind"], metrics["epoch"], metrics["step"], metrics["time"],
                        metrics["name"], metrics["value"])])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- metrics --------------------------------------------------------------------------------
    def log_metrics(self, run_id: str, kind: str, epoch: int, step: int, elapsed: float,
                    values: dict[str, float]) -> None:
        rows = [(run_id, kind, epoch, step, elapsed, name, float(value))
                for name, value in values.items()]
        with self._transaction("BEGIN") as conn:
            conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def drop_metrics_after(self, run_id: str, epoch: int, step: int) -> int:
        """Delete the metric rows written after `epoch` epochs and `step` steps (a resumed run
        computes them again, so its curves have no duplicates); returns how many went."""
        return self._conn().execute(
            "DELETE FROM metrics WHERE run_id = ? AND (step > ? OR (kind = 'epoch' AND epoch > ?))",
            (run_id, step, epoch)).rowcount

    def metrics(self, run_id: str, kind: str | None = None) -> "pd.DataFrame":
        """Metrics in long form: columns run_id, kind, epoch, step, time, name, value."""
        import pandas as pd  # imported here: the home page lists runs and must open fast
        sql, args = "SELECT * FROM metrics WHERE run_id = ?", [run_id]
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        rows = self._conn().execute(sql + " ORDER BY rowid", args).fetchall()
        columns = ["run_id", "kind", "epoch", "step", "time", "name", "value"]
        return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _row_to_run(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"], name=row["name"], status=row["status"], config=json.loads(row["config"]),
        created_at=row["created_at"], started_at=row["started_at"], ended_at=row["ended_at"],
        pid=row["pid"], stop_requested=bool(row["stop_requested"]),
        progress=json.loads(row["progress"]) if row["progress"] else {},
        results=json.loads(row["results"]) if row["results"] else {},
        error=row["error"])
