"""Unpacking and copying uploaded geometry files safely into a work folder.

A zipped shapefile, the loose parts of one, or a single geodata file becomes one
path GDAL can open. Zip archives are checked before anything is extracted: no
names that climb out of the folder, no members that would unpack to more than
:data:`MAX_UNPACKED_BYTES` or compress suspiciously well (zip bombs), at most one
level of nested archives.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path, PurePosixPath

from quartier.errors import DiskFull, QuartierError
from quartier.files import copy_private, is_disk_full, open_private, private_dir

MAX_UNPACKED_BYTES = 1_000_000_000
MAX_RATIO = 200  # deflate rarely beats 1:20 on real data; 1:200 means a crafted file
RATIO_MIN_BYTES = 1_000_000  # tiny members (a .prj full of spaces) may compress extremely
MAX_MEMBERS = 10_000

GEO_SUFFIXES = {
    ".geojson", ".json", ".geojsonl", ".geojsons", ".topojson", ".gpkg", ".sqlite", ".shp",
    ".fgb", ".kml", ".kmz", ".gml", ".tab", ".mif", ".zip",
}  # fmt: skip
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qmd", ".sbn", ".sbx", ".shp.xml")
_IGNORED_NAMES = {"__macosx", "thumbs.db", "desktop.ini"}
_FORMATS_HINT = (
    "Unterstützt werden Shapefile (.shp mit .shx und .dbf, am besten als ZIP), GeoPackage, "
    "GeoJSON, FlatGeobuf, KML/KMZ, GML und MapInfo."
)
# dBase "language driver" byte -> Python codec; used when no .cpg names the encoding.


def stage_upload(files: list[tuple[str, Path]], workdir: Path) -> Path:
    """Copy or safely unpack uploaded files into ``workdir``; return the path to open.

    ``files`` holds (original file name, temporary path). Accepted: one ZIP file,
    one geodata file, or the loose parts of one shapefile. Staged files are
    private (0600); a full disk raises :class:`DiskFull`.
    """
    try:
        return _stage(files, Path(workdir))
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFull() from exc
        raise


def _stage(files: list[tuple[str, Path]], workdir: Path) -> Path:
    if not files:
        raise QuartierError("Es wurde keine Datei hochgeladen.")
    private_dir(workdir)
    named = [(_safe_name(name), Path(tmp)) for name, tmp in files]
    for name, tmp in named:
        if not tmp.is_file():
            raise QuartierError(f"Die hochgeladene Datei „{name}“ ist nicht (mehr) vorhanden.")
    zips = [item for item in named if item[0].lower().endswith(".zip")]
    if zips:
        if len(named) > 1:
            raise QuartierError("Bitte eine ZIP-Datei allein hochladen, ohne weitere Dateien.")
        _require_content(*zips[0])
        return _stage_zip(zips[0][1], workdir)
    if any(_shapefile_part(name) for name, _ in named):
        return _stage_shapefile(named, workdir)
    if len(named) > 1:
        listed = ", ".join(name for name, _ in named)
        raise QuartierError(
            f"Mehrere Dateien hochgeladen ({listed}). Bitte eine einzelne Datei, eine ZIP-Datei "
            "oder die Teile eines Shapefiles hochladen."
        )
    name, tmp = named[0]
    if Path(name).suffix.lower() not in GEO_SUFFIXES:
        raise QuartierError(f"„{name}“ ist keine Geodaten-Datei. {_FORMATS_HINT}")
    _require_content(name, tmp)
    if name.lower().endswith(".kmz"):  # a KMZ is a ZIP that GDAL unpacks: same limits
        _check_archive(tmp)
    target = workdir / name
    copy_private(tmp, target)
    return target


def _safe_name(name: str) -> str:
    # Browsers may send "C:\fakepath\x.shp"; keep only the last component and never
    # let a name climb out of the work directory.
    base = str(name).replace("\\", "/").split("/")[-1].strip()
    if base in {"", ".", ".."} or any(ord(ch) < 32 for ch in base):
        raise QuartierError(f"Der Dateiname „{name}“ ist ungültig. Bitte die Datei umbenennen.")
    return base


def _require_content(name: str, path: Path) -> None:
    if path.stat().st_size == 0:
        raise QuartierError(f"Die Datei „{name}“ ist leer. Bitte die Datei neu exportieren.")


def _shapefile_part(name: str) -> tuple[str, str] | None:
    """Split "Stadtteil.SHP.xml" into ("Stadtteil", ".shp.xml"); None if not a part."""
    lower = name.lower()
    for suffix in sorted(SHAPEFILE_PARTS, key=len, reverse=True):
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return None


def _stage_shapefile(named: list[tuple[str, Path]], workdir: Path) -> Path:
    parts = {}
    for name, tmp in named:
        split = _shapefile_part(name)
        if split is None:
            if Path(name).suffix.lower() in GEO_SUFFIXES:
                raise QuartierError(
                    f"„{name}“ gehört nicht zum Shapefile. Bitte nur einen Datensatz hochladen."
                )
            continue  # readme.txt and the like travel along with exports; harmless
        parts.setdefault(split[0].lower(), []).append((split[0], split[1], tmp))
    if len(parts) > 1:
        stems = ", ".join(sorted({items[0][0] for items in parts.values()}))
        raise QuartierError(
            f"Die Dateien gehören zu mehreren Shapefiles: {stems}. Bitte nur die Teile eines "
            "Shapefiles hochladen (gleicher Name, verschiedene Endungen) oder eine ZIP-Datei."
        )
    items = next(iter(parts.values()))
    shp = [item for item in items if item[1] == ".shp"]
    if not shp:
        raise QuartierError(
            "Die .shp-Datei fehlt. Ein Shapefile besteht mindestens aus .shp, .shx und .dbf."
        )
    stem = shp[0][0]
    _require_content(stem + ".shp", shp[0][2])
    for _, suffix, tmp in items:
        # One spelling of stem and suffix, so GDAL finds every part on a
        # case-sensitive file system even if Windows mixed "X.DBF" and "x.shp".
        copy_private(tmp, workdir / (stem + suffix))
    return workdir / (stem + ".shp")


def _stage_zip(archive: Path, workdir: Path, depth: int = 0, budget: list | None = None) -> Path:
    budget = budget if budget is not None else [MAX_UNPACKED_BYTES]
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _checked_members(zf, budget)
            for info, rel in members:
                _extract(zf, info, workdir / rel, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise QuartierError(
            "Die ZIP-Datei ist beschädigt oder unvollständig. Bitte neu packen und erneut "
            "hochladen."
        ) from exc
    except RuntimeError as exc:  # zipfile's way of saying "encrypted"
        raise QuartierError(
            "Die ZIP-Datei ist passwortgeschützt. Bitte ohne Passwort packen."
        ) from exc
    except OSError as exc:  # e.g. a member name the file system refuses
        if is_disk_full(exc):
            raise DiskFull() from exc
        raise QuartierError("Die ZIP-Datei konnte nicht entpackt werden.") from exc
    rels = [rel for _, rel in members]
    found = _datasets(rels)
    if found:
        return workdir / found
    inner = [rel for rel in rels if rel.suffix.lower() == ".zip"]
    if len(inner) == 1 and depth == 0:
        target = private_dir(workdir / inner[0].with_name(inner[0].name + "_entpackt"))
        return _stage_zip(workdir / inner[0], target, depth + 1, budget)
    if inner:
        raise QuartierError(
            "Die ZIP-Datei enthält verschachtelte ZIP-Dateien. Bitte die Geodaten direkt "
            "(höchstens eine Ebene tief) in eine ZIP-Datei packen."
        )
    listed = ", ".join(str(rel) for rel in rels[:10]) or "nichts"
    raise QuartierError(f"Die ZIP-Datei enthält keine Geodaten (gefunden: {listed}).")


def _check_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            _checked_members(zf, [MAX_UNPACKED_BYTES])
    except zipfile.BadZipFile as exc:
        raise QuartierError(f"Die Datei „{path.name}“ ist beschädigt.") from exc


def _checked_members(zf: zipfile.ZipFile, budget: list) -> list:
    """Members to extract, after zip-slip and zip-bomb checks on the whole archive."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise QuartierError(f"Die ZIP-Datei enthält mehr als {MAX_MEMBERS} Dateien.")
    members, total = [], 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
            raise QuartierError(
                f"Die ZIP-Datei enthält einen unzulässigen Pfad („{info.filename}“) und wird "
                "aus Sicherheitsgründen nicht entpackt."
            )
        if info.is_dir() or any(p.startswith(".") or p.lower() in _IGNORED_NAMES for p in parts):
            continue  # folders are created on demand; macOS/Windows metadata is noise
        ratio = info.file_size / max(info.compress_size, 1)
        total += info.file_size
        if total > budget[0] or (info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO):
            raise QuartierError(
                "Die ZIP-Datei würde beim Entpacken zu groß (mehr als "
                f"{MAX_UNPACKED_BYTES // 1_000_000} MB oder ungewöhnlich stark komprimiert). "
                "Bitte nur die benötigten Geodaten hochladen."
            )
        members.append((info, PurePosixPath(*parts)))
    return members


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: list) -> None:
    private_dir(target.parent)
    with zf.open(info) as src, open_private(target) as out:
        # Count real bytes too: the header sizes checked above are only claims.
        while chunk := src.read(1 << 20):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise QuartierError("Die ZIP-Datei würde beim Entpacken zu groß.")
            out.write(chunk)


def _gdb_root(rel: PurePosixPath) -> PurePosixPath | None:
    """The "x.gdb" folder a File Geodatabase member lives in, if any."""
    for i, part in enumerate(rel.parts[:-1]):
        if part.lower().endswith(".gdb"):
            return PurePosixPath(*rel.parts[: i + 1])
    return None


def _datasets(rels: list[PurePosixPath]) -> PurePosixPath | None:
    """The one dataset among extracted files: a file, or a folder of shapefiles/.gdb."""
    gdbs = {root for p in rels if (root := _gdb_root(p)) is not None}
    files = [p for p in rels if _gdb_root(p) is None]
    shps = [p for p in files if p.suffix.lower() == ".shp"]
    others = [p for p in files if p.suffix.lower() in GEO_SUFFIXES - {".shp", ".zip"}]
    not_json = [p for p in others if p.suffix.lower() != ".json"]
    if shps or gdbs or not_json:
        others = not_json  # metadata .json files often travel with real datasets
    folders = {p.parent for p in shps}
    if shps and not others and not gdbs:
        if len(shps) == 1:
            return shps[0]
        if len(folders) == 1:
            return folders.pop()  # GDAL opens a folder of shapefiles as one layered dataset
    candidates = sorted(set(shps) | gdbs | set(others))
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        listed = ", ".join(str(p) for p in candidates[:10])
        raise QuartierError(
            f"Die ZIP-Datei enthält mehrere Geodatensätze ({listed}). Bitte je ZIP-Datei nur "
            "einen Datensatz hochladen."
        )
    return None


# --- opening -----------------------------------------------------------------------------
