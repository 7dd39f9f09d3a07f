"""A saved mapping is reused night after night: indicators are created once, then matched.

Real data: Berlin's Planungsräume and their 2024 population table. The mapping
comes from ``quartier import inspect`` (edited like the README says) and from the
wizard's "Zuordnung für die Kommandozeile speichern"; each is used three times in
a row through ``quartier import table`` (in process, exit codes as the shell sees
them). The first run creates indicators and values, the second and third change
nothing and say so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.db.models import Count, Max, Sum

from quartier.cli import main
from quartier.indicators.models import ImportBatch, Indicator, Value
from tests.imports.formdefaults import form_defaults

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
POP = DATA / "berlin-einwohner-plr-2024" / "berlin-lor-population-2024-02-t1-planning-areas.csv"
COLUMNS = 12  # value columns of the file that the guess takes (inhabitants … percentages)


@pytest.fixture
def plr(tmp_path):
    from quartier.imports.geometry_import import LevelTarget, import_level
    from tests.imports.test_geometry_import import LOR, read, shapefile

    import_level(
        read(shapefile(LOR, "lor_planungsraeume_2021"), tmp_path),
        LevelTarget("planungsraum", "Planungsraum"),
    )


def cli(capsys, *args) -> tuple[int, str, str]:
    """Run ``quartier ARGS`` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def state() -> tuple:
    """What an import may change: indicators, batches, and the stored values.

    The Planungsräume's values (where the file's rows go) are compared one by one;
    the session's 1.6 million Musterstadt values by aggregates computed in the
    database (count, highest id, sum, latest batch), which any insert, delete or
    changed value moves — reading them all into Python took most of this module's time.
    """
    values = sorted(
        Value.objects.filter(area__level__key="planungsraum").values_list(
            "indicator_id", "area_id", "period", "value", "flags", "batch_id"
        )
    )
    everything = Value.objects.aggregate(
        count=Count("id"), last=Max("id"), total=Sum("value"), batch=Max("batch_id")
    )
    # PostgreSQL adds floating-point numbers in the order its scan finds them.
    everything["total"] = round(everything["total"] or 0.0, 2)
    return (
        Indicator.objects.count(),
        ImportBatch.objects.count(),
        hash(tuple(values)),
        tuple(sorted(everything.items())),
    )


def run_three_times(capsys, mapping: Path, first_creates: bool) -> None:
    """Import POP with ``mapping`` three times; only the first may change anything."""
    indicators = Indicator.objects.count()
    runs = []
    for _ in range(3):
        before = state()
        code, out, err = cli(
            capsys, "import", "table", POP, "--mapping", mapping, "--accept-warnings"
        )
        assert code == 0, out + err
        runs.append((before, state(), out))
    (before, after, out) = runs[0]
    if first_creates:
        assert after[0] == indicators + COLUMNS
        assert re.search(rf"Importlauf \d+: {COLUMNS * 542} neue, 0 ersetzte", out), out
    for before, after, out in runs[1:]:
        assert after == before  # no indicator, no batch, no value added or changed
        assert "0 Werte geändert" in out, out
        assert f"alle {COLUMNS * 542} Werte" in out, out
        assert "kein Importlauf" in out, out


def test_inspect_mapping_with_new_indicators_works_every_night(plr, capsys, tmp_path):
    code, out, err = cli(capsys, "import", "inspect", POP)
    assert code == 0, err
    mapping = json.loads(out)  # stdout is the mapping alone: `inspect FILE > m.json` works
    assert "542 Zeilen" in err  # the summary is for people: on stderr
    assert len(mapping["new_indicators"]) == COLUMNS
    mapping["period"] = "31.12.2024"  # the one edit the README asks for
    path = tmp_path / "zuordnung.json"
    path.write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    run_three_times(capsys, path, first_creates=True)
    assert (
        Value.objects.get(
            indicator__key="inhabitants", area__code="01100101", period="2024-12-31"
        ).value
        == 3580
    )


def test_inspect_output_option_writes_the_mapping_file(plr, capsys, tmp_path):
    path = tmp_path / "m.json"
    code, out, err = cli(capsys, "import", "inspect", POP, "--output", path)
    assert code == 0, err
    assert json.loads(path.read_text(encoding="utf-8"))["key_column"] == "id"
    assert "542 Zeilen" in out and str(path) in out  # the summary, and where the mapping went


def test_wizard_mapping_download_works_every_night(plr, capsys, client, users, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(users["admin"])
    response = client.post(
        "/import/tabelle/", {"dateien": SimpleUploadedFile(POP.name, POP.read_bytes())}
    )
    job = response["Location"].rstrip("/").split("/")[-1]
    page = client.get(f"/import/vorgang/{job}/").content.decode()
    form = {**form_defaults(page, "mapping-form"), "stichtag": "31.12.2024"}
    assert client.post(f"/import/vorgang/{job}/tabelle-pruefen/", form).status_code == 302
    before = Indicator.objects.count()
    client.post(f"/import/vorgang/{job}/uebernehmen/", {"warnungen_akzeptiert": "ja"})
    assert Indicator.objects.count() == before + COLUMNS
    download = client.get(f"/import/vorgang/{job}/zuordnung.json")
    assert len(download.json()["new_indicators"]) == COLUMNS  # also fit for a fresh installation
    path = tmp_path / "zuordnung.json"
    path.write_bytes(download.content)
    run_three_times(capsys, path, first_creates=False)
    # the next night brings one new figure: exactly that value is replaced
    changed = tmp_path / POP.name
    changed.write_text(
        POP.read_text(encoding="utf-8").replace(
            "\n01100101,01,10,01,01,3580,", "\n01100101,01,10,01,01,3581,"
        ),
        encoding="utf-8",
    )
    code, out, err = cli(capsys, "import", "table", changed, "--mapping", path, "--accept-warnings")
    assert code == 0, err
    assert re.search(r"Importlauf \d+: 0 neue, 1 ersetzte", out), out


def wizard_import(client, data: bytes, name: str = POP.name) -> dict:
    """Upload, accept every proposal of the mapping page, check and commit; the job's result."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quartier.imports.models import ImportJob

    response = client.post("/import/tabelle/", {"dateien": SimpleUploadedFile(name, data)})
    job = ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/import/vorgang/{job.pk}/").content.decode()
    form = {**form_defaults(page, "mapping-form"), "stichtag": "31.12.2024"}
    response = client.post(f"/import/vorgang/{job.pk}/tabelle-pruefen/", form)
    assert response.status_code == 302, response.content.decode()[:800]
    client.post(f"/import/vorgang/{job.pk}/uebernehmen/", {"warnungen_akzeptiert": "ja"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    return {
        "job": job,
        "page": page,
        "done": client.get(f"/import/vorgang/{job.pk}/").content.decode(),
    }


def test_wizard_reupload_proposes_the_existing_indicators(plr, client, users):
    client.force_login(users["admin"])
    first = wizard_import(client, POP.read_bytes())
    created = set(
        Indicator.objects.filter(key__startswith="inhabitants").values_list("key", flat=True)
    )
    assert len(created) == COLUMNS
    before = state()
    second = wizard_import(client, POP.read_bytes())
    assert state() == before  # no indicator (no "inhabitants_2"), no batch, no value changed
    assert not Indicator.objects.filter(key__startswith="inhabitants", key__endswith="_2").exists()
    mapping = second["job"].options["mapping"]
    assert set(mapping["columns"].values()) == created and mapping["new_indicators"] == []
    assert "0 Werte geändert" in second["done"] and "kein Importlauf" in second["done"]
    assert first["job"].result["batch"] and second["job"].result["batch"] is None


def test_wizard_proposes_only_indicators_the_user_may_write(plr, client, users):
    """A steward is not offered the administrators' indicators of the same name: a new one."""
    client.force_login(users["admin"])
    wizard_import(client, POP.read_bytes())
    client.force_login(users["steward"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/import/tabelle/", {"dateien": SimpleUploadedFile(POP.name, POP.read_bytes())}
    )
    job = response["Location"].rstrip("/").split("/")[-1]
    page = client.get(f"/import/vorgang/{job}/").content.decode()
    form = form_defaults(page, "mapping-form")
    targets = {v for k, v in form.items() if k.endswith("-ziel")}
    assert "inhabitants" not in targets and "neu:count" in targets
