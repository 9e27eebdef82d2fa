"""StudyResult: the points of a sweep as read from its store, with the Pareto front and hypervolume.

Feasibility is computed from each point's stored metrics and the study's current constraints (so a store read
after the constraints were edited shows the new verdict); objectives are minimized after multiplying maximized ones
by -1. The hypervolume is in normalized objective space (each objective scaled to [0, 1] between the best and
worst feasible value, reference point 1.1 in every objective) unless the explore section gives ``reference``, in
which case it is in the objectives' own units.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from accelkit.errors import AccelkitError
from accelkit.explore.pareto import hypervolume, normalize, pareto_mask
from accelkit.explore.store import Store, json_safe
from accelkit.spec.explore import ConstraintSpec, ExploreSpec, ObjectiveSpec

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: columns every point has, before its parameters and metrics
BASE_COLUMNS = ("id", "seq", "status", "feasible", "violations", "error")


def feasibility(metrics: dict[str, Any] | None, constraints: Sequence[ConstraintSpec]) -> tuple[bool | None, list[str]]:
    """(all constraints hold, the ones that do not) — None for a failed point (no metrics)."""
    if metrics is None:
        return None, []
    broken = []
    for c in constraints:
        x = metrics.get(c.metric)
        if not c.holds(x):
            if c.metric == "accuracy_loss_pp" and isinstance(x, float) and math.isnan(x):
                unknown = metrics.get("accuracy_unknown") or "a block"
                broken.append(f"{c.text} (accuracy loss unknown: no catalog figure for {unknown})")
            elif x is None or (isinstance(x, float) and math.isnan(x)):
                broken.append(f"{c.text} ({c.metric} unknown)")
            else:
                broken.append(f"{c.text} (got {x:.4g})" if isinstance(x, float) else f"{c.text} (got {x})")
    return not broken, broken


class StudyResult:
    """The points of one sweep (a store), as tables, a Pareto front and a hypervolume."""

    def __init__(self, store: Store, spec: ExploreSpec, *, name: str | None = None, run: dict[str, Any] | None = None):
        self.store = store
        self.spec = spec
        self.name = name or "study"
        #: what the run that produced this result did (evaluated, reused, failed, seconds, executor, ...)
        self.run = dict(run or {})
        self._rows: list[dict[str, Any]] | None = None

    @classmethod
    def from_db(cls, path: str | os.PathLike[str]) -> StudyResult:
        """Read a sweep store written by :func:`accelkit.explore`."""
        store = Store.open_existing(path)
        spec = ExploreSpec.model_validate(store.meta("explore"))
        return cls(store, spec, name=store.meta("study_name") or Path(path).stem)

    @property
    def db_path(self) -> str:
        return self.store.path

    @property
    def objectives(self) -> list[ObjectiveSpec]:
        return list(self.spec.objectives)

    @property
    def constraints(self) -> list[ConstraintSpec]:
        return list(self.spec.constraints)

    # ---- rows -------------------------------------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            rows = list(self.store.rows())
            for r in rows:
                r["feasible"], r["violations"] = feasibility(
                    r["metrics"] if r["status"] == "ok" else None, self.constraints
                )
            self._rows = rows
        return self._rows

    def refresh(self) -> StudyResult:
        self._rows = None
        return self

    def __len__(self) -> int:
        return len(self.rows())

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"StudyResult({self.name!r}: {s['points']} points, {s['feasible']} feasible, {s['failed']} failed, "
            f"front {s['front']})"
        )

    def _repr_html_(self) -> str:
        """Notebook display: the summary line and the Pareto front (cells escaped by pandas)."""
        from html import escape

        s = self.summary()
        head = (
            f"<p><b>{escape(str(self.name))}</b>: {s['points']} points, {s['feasible']} feasible, "
            f"{s['failed']} failed; Pareto front of {s['front']} (objectives: "
            f"{escape(', '.join(f'{o.metric} ({o.direction})' for o in self.objectives))})</p>"
        )
        front = self.pareto()
        if not len(front):
            return head + "<p>no feasible point</p>"
        return head + front.to_html(index=False, escape=True, max_rows=50)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per point (sequence order): id, seq, status, feasible, violations, error, the parameters (one
        column per field path) and the metrics (one column each, SI units as named)."""
        import pandas as pd

        params: dict[str, None] = {}
        metrics: dict[str, None] = {}
        for r in self.rows():
            params.update(dict.fromkeys(r["params"]))
            metrics.update(dict.fromkeys(r["metrics"]))
        records = []
        for r in self.rows():
            rec = {
                "id": r["id"],
                "seq": r["seq"],
                "status": r["status"],
                "feasible": r["feasible"],
                "violations": "; ".join(r["violations"]),
                "error": r["error"],
            }
            rec.update({p: r["params"].get(p) for p in params})
            rec.update({m: r["metrics"].get(m) for m in metrics if m not in rec})
            records.append(rec)
        columns = [*BASE_COLUMNS, *params, *(m for m in metrics if m not in BASE_COLUMNS and m not in params)]
        return pd.DataFrame.from_records(records, columns=columns)

    def parameter_names(self) -> list[str]:
        names: dict[str, None] = {}
        for r in self.rows():
            names.update(dict.fromkeys(r["params"]))
        return list(names)

    # ---- Pareto ------------------------------------------------------------------------------------------------
    def _candidates(self) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Feasible successful points and their objective values (minimized)."""
        rows = [r for r in self.rows() if r["status"] == "ok" and r["feasible"]]
        vals = np.array(
            [[_num(r["metrics"].get(o.metric)) * o.sign for o in self.objectives] for r in rows], dtype=float
        ).reshape(len(rows), len(self.objectives))
        keep = ~np.isnan(vals).any(axis=1) & np.isfinite(vals).all(axis=1) if len(rows) else np.zeros(0, bool)
        return [r for r, k in zip(rows, keep, strict=True) if k], vals[keep]

    def front_rows(self) -> list[dict[str, Any]]:
        """The non-dominated feasible points, best first in the first objective."""
        rows, vals = self._candidates()
        if not rows:
            return []
        mask = pareto_mask(vals)
        front = [(v, r) for v, r, m in zip(vals.tolist(), rows, mask, strict=True) if m]
        front.sort(key=lambda t: (t[0], t[1]["id"]))
        return [r for _, r in front]

    def pareto(self) -> pd.DataFrame:
        """The Pareto front (feasible, non-dominated on the objectives) as rows of :meth:`to_dataframe`."""
        ids = [r["id"] for r in self.front_rows()]
        df = self.to_dataframe()
        if not ids:
            return df.iloc[0:0]
        return df.set_index("id").loc[ids].reset_index()

    def hypervolume(self, reference: Sequence[float] | None = None) -> float:
        """Hypervolume of the front: normalized (reference 1.1) unless a reference in the objectives' units is
        given here or in the explore section."""
        rows, vals = self._candidates()
        if not rows:
            return 0.0
        ref = reference if reference is not None else self.spec.reference_point()
        if ref is None:
            scaled, _, _ = normalize(vals)
            return hypervolume(scaled, [1.1] * len(self.objectives))
        signed = [float(x) * o.sign for x, o in zip(ref, self.objectives, strict=True)]
        return hypervolume(vals, signed)

    # ---- summaries and exports -------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        rows = self.rows()
        ok = [r for r in rows if r["status"] == "ok"]
        return {
            "study": self.name,
            "db": self.db_path,
            "points": len(rows),
            "ok": len(ok),
            "failed": len(rows) - len(ok),
            "feasible": sum(1 for r in ok if r["feasible"]),
            "front": len(self.front_rows()),
            "hypervolume": self.hypervolume(),
            "hypervolume_reference": "explore.reference" if self.spec.reference is not None else "normalized, 1.1",
            "objectives": [o.model_dump() for o in self.objectives],
            "constraints": [c.text for c in self.constraints],
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``pareto --json`` / ``explore --json`` object (stable keys; SI units as the names say)."""
        front = []
        for r in self.front_rows():
            front.append(
                {
                    "id": r["id"],
                    "seq": r["seq"],
                    "params": r["params"],
                    "objectives": {o.metric: r["metrics"].get(o.metric) for o in self.objectives},
                    "metrics": r["metrics"],
                }
            )
        return json_safe({**self.summary(), "run": self.run, "pareto": front})

    def to_csv(self, path: str | os.PathLike[str], *, front_only: bool = False) -> Path:
        df = self.pareto() if front_only else self.to_dataframe()
        df.to_csv(path, index=False)
        return Path(path)

    def to_parquet(self, path: str | os.PathLike[str], *, front_only: bool = False) -> Path:
        df = self.pareto() if front_only else self.to_dataframe()
        for col in df.columns:  # a column mixing numbers and unit strings is stored as text
            if df[col].dtype == object:
                kinds = {type(v) for v in df[col] if v is not None}
                if len(kinds) > 1:
                    df[col] = df[col].map(lambda v: None if v is None else str(v))
        df.to_parquet(path, index=False)
        return Path(path)

    def export(self, path: str | os.PathLike[str], *, front_only: bool = False) -> Path:
        """Write the points (or the front) to ``.parquet`` or ``.csv``, by the file's suffix."""
        suffix = Path(path).suffix.lower()
        if suffix == ".parquet":
            return self.to_parquet(path, front_only=front_only)
        if suffix == ".csv":
            return self.to_csv(path, front_only=front_only)
        raise AccelkitError(f"cannot export to {os.fspath(path)!r}: expected a .parquet or .csv file")


def _num(x: Any) -> float:
    if isinstance(x, bool):
        return float(x)
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan
