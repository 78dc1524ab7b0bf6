"""The atlas script's figures for one (preset, scenario): percentiles that keep censored runs,
loss counts, and an exact interval on the split-brain share."""

from __future__ import annotations

import math
from types import SimpleNamespace

import preset_atlas as ATLAS
import pytest


def _run(
    rto: float, lost: int = 0, brain: bool = False, sites: dict[str, float] | None = None
) -> dict[str, object]:
    return {
        "rto_s": rto,
        "rto_s_by_site": sites if sites is not None else {"a": rto},
        "rpo_s": 0.0,
        "failovers": 1,
        "lost_writes": lost,
        "split_brain": [(0.0, 1.0)] if brain else [],
    }


def test_censored_runs_stay_in_the_percentiles() -> None:
    rows = [_run(float(i)) for i in range(1, 99)] + [_run(math.inf), _run(math.inf)]
    r = ATLAS.summarize(rows)
    assert r["runs"] == 100 and r["censored"] == 2
    assert r["rto_p50_s"] == 50.0
    assert math.isinf(r["rto_p99_s"])


def test_losses_and_split_brain_share_with_an_exact_interval() -> None:
    rows = [_run(1.0, lost=3, brain=True)] + [_run(1.0)] * 199
    r = ATLAS.summarize(rows)
    assert (r["lost_writes_mean"], r["lost_writes_max"], r["runs_with_loss"]) == (0.015, 3, 1)
    assert r["split_brain_runs"] == 1
    low, high = r["split_brain_ci"]
    # Clopper-Pearson for 1 of 200 at 95 %: [0.000127, 0.0275].
    assert low == pytest.approx(0.000127, abs=1e-6)
    assert high == pytest.approx(0.0275, abs=1e-4)


def test_no_split_brain_still_has_an_upper_bound() -> None:
    r = ATLAS.summarize([_run(0.0)] * 200)
    assert r["split_brain_ci"][0] == 0.0
    # With none in 200 runs, the exact two-sided 95 % interval still reaches 1.83 %.
    assert r["split_brain_ci"][1] == pytest.approx(0.0183, abs=1e-4)


def test_the_median_site_shows_the_majoritys_side_of_a_cut() -> None:
    # The isolated zone waits out the partition; the two others fail over in about 35 s.
    cut = {"zone-a": 180.0, "zone-b": 35.0, "zone-c": 36.0}
    r = ATLAS.summarize([_run(180.0, sites=cut)] * 10)
    assert (r["rto_p50_s"], r["site_rto_p50_s"]) == (180.0, 36.0)
    # With two sites left (the third went dark), the lower median is the better one.
    r = ATLAS.summarize([_run(50.0, sites={"zone-b": 50.0, "zone-c": 40.0})] * 10)
    assert r["site_rto_p50_s"] == 40.0


def test_notes_and_description_do_not_change_the_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim

    name = "etcd-raft-3"
    before = ATLAS.digests(name)
    topology = sim.load_topology(name).spec
    assert topology.notes is not None
    notes = topology.notes.model_copy(update={"sources": []})
    edited = topology.model_copy(update={"description": "another", "notes": notes})
    monkeypatch.setattr(sim, "load_topology", lambda _name: SimpleNamespace(spec=edited))
    assert ATLAS.digests(name) == before
    faster = edited.failover.model_copy(update={"heartbeat": 0.05})
    edited = edited.model_copy(update={"failover": faster})
    assert ATLAS.digests(name)["topology"] != before["topology"]


def test_digests_leave_out_the_prices() -> None:
    """Prices were added to every preset without staling the atlas: its digests leave the
    cost block out, as they leave out the description and notes."""
    import sim
    from sim.runner import spec_digest

    topology = sim.load_topology("postgres-manual").spec
    assert topology.cost is not None
    bare = topology.model_copy(update={"notes": None, "description": "", "cost": None})
    assert ATLAS.digests("postgres-manual")["topology"] == spec_digest(bare)
    priced = topology.model_copy(update={"notes": None, "description": ""})
    assert spec_digest(priced) != spec_digest(bare)
