"""``quartier demo --kreis``: the Musterkreis (issue 18, point 4), built as a user builds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clitools import quartier

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PUBLIC_COUNTS = ["ew_gesamt", "ew_0_2", "ew_15_17", "sgb2_u15", "arbeitslose", "hze_faelle"]


def test_the_musterkreis_sums_its_gemeinden_and_keeps_their_small_counts(cli_env):
    built = quartier("demo", "--kreis", "--small", "--no-serve", env=cli_env)
    assert built.returncode == 0, built.stderr
    assert "Musterkreis erzeugt" in built.stdout and "6 Gemeinden" in built.stdout
    for account in ("kreisstadt", "gemeinde", "jugendamt", "analyse"):
        assert f"  {account} / " in built.stdout
    env = {**cli_env, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    checked = subprocess.run(
        [sys.executable, "-m", "tests.support.kreischeck", "2024-12-31", *PUBLIC_COUNTS],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr[-2000:]
    found = json.loads(checked.stdout.strip().splitlines()[-1])
    # The Kreis total is the sum of its Gemeinden, each summed from its own level.
    gemeinden = found["totals"]["gemeinde"]
    assert len(gemeinden) == 6 and all(v > 1000 for v in gemeinden.values())
    assert list(found["totals"]["kreis"].values()) == [sum(gemeinden.values())]
    # The Gemeinden keep different levels: the Kreisstadt down to Baublöcke, others less,
    # one with Sozialräume directly below the Gemeinde (a level skipped).
    kinds = {tuple(levels) for levels in found["levels"].values()}
    assert ("baublock", "ortsteil", "sozialraum") in kinds and ("ortsteil",) in kinds
    assert ("sozialraum",) in kinds and found["skipping"] > 0
    # No public count's hidden small cells can be narrowed from what is published.
    for key, attack in found["attacks"].items():
        assert attack["narrowed"] == 0, key
    assert sum(a["small"] for a in found["attacks"].values()) > 20
    # Each Gemeinde's own internal indicators: its own staff see them; the Kreis's staff only
    # those the Kreisstadt shares with the Kreis (its own child poverty rate); no other.
    own = found["own"]
    kreisstadt = [k for k in own if k.startswith("kreisstadt")]
    shared = ["kreisstadt_kinder_sgb2_kiz", "kreisstadt_kinderarmut"]
    assert found["seen"]["kreisstadt"] == kreisstadt and set(shared) < set(kreisstadt)
    assert found["seen"]["gemeinde"] == [k for k in own if k.startswith("gemeinde")] != []
    for account in ("analyse", "jugendamt", "statistik"):  # the Kreis's staff
        assert found["seen"][account] == shared
    assert sorted(found["seen"]["admin"]) == sorted(own)
    # The Gemeindevergleich: the Kreis sees that the Kreisstadt defines child poverty
    # otherwise (one value beside the ranked ones); the other Gemeinde does not see it.
    assert found["comparison"]["analyse"] == {"definitions": 2, "ranked": 6, "others": 1}
    assert found["comparison"]["gemeinde"] == {"definitions": 1, "ranked": 6, "others": 0}
    assert len(found["portals"]) == 2
