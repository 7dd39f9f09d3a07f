"""How an analysis reads its inputs: on protected or unprotected values, and what it read.

Analyses read through the read layer as the requesting user. By default every
input is read *protected* — with disclosure control, as everybody sees it, also
when an administrator or a data steward runs the analysis: hidden values are
missing, the result may be published, and it states how many areas were left
out because values are secret. Administrators, data stewards and the command
line may choose *unprotected* values instead: the inputs they may see before
disclosure control are read so, and the result stays confidential (*vertraulich*):
visible only to those who may see those inputs unprotected too
(:mod:`quartier.access.rights`), never internal or public.

A :class:`Reader` holds that choice for one run and records every input, the
inputs read unprotected (the result's ``confidential_sources``) and the cells
left out because they are secret.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from quartier.access.rights import may_choose_unprotected, may_see_unsuppressed, protected_values
from quartier.analysis import progress
from quartier.errors import QuartierError
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator
from quartier.indicators.status import Status
from quartier.spatial.models import Level


@dataclass
class Inputs:
    """Input values aligned to the areas of one level and period.

    ``secret[key]`` marks the areas whose value of ``key`` is hidden by disclosure
    control for this run (missing in ``values``).
    """

    level: Level
    period: date
    area_ids: np.ndarray
    codes: list[str]
    names: list[str]
    values: dict[str, np.ndarray]
    indicators: dict[str, Indicator]
    secret: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Series:
    """All periods of one indicator at a level (rows: periods, columns: areas)."""

    periods: list[date]
    values: np.ndarray
    city: list[float]
    secret: np.ndarray


class Reader:
    """Reads the inputs of one analysis run as ``user`` and records what it read."""

    def __init__(self, user, unprotected: bool = False) -> None:
        self.user = user
        # Who sees nothing unprotected always computes on protected values.
        self.unprotected = bool(unprotected) and may_choose_unprotected(user)
        self.indicators: dict[str, Indicator] = {}
        self.sources: dict[int, Indicator] = {}
        self.confidential_inputs = False  # read a result that is itself confidential
        self.read_unprotected: set[str] = set()  # keys with cells others see hidden

    @property
    def confidential(self) -> bool:
        """True if unprotected values went into the result: it stays *vertraulich*."""
        return self.unprotected and (bool(self.sources) or self.confidential_inputs)

    @property
    def mode(self) -> str:
        """``"unprotected"`` or ``"protected"``, the choice a re-run keeps."""
        return "unprotected" if self.confidential else "protected"

    def indicator(self, key: str) -> Indicator:
        """The visible input ``key``, recorded; confidential results need unprotected runs."""
        indicator = readlayer.get_indicator(self.user, key)
        if indicator.confidential and not self.unprotected:
            raise QuartierError(
                f"„{indicator.name}“ wurde aus ungeschützten Werten berechnet (vertraulich) "
                "und lässt sich nur in einer Analyse mit ungeschützten Werten verwenden."
            )
        if key not in self.indicators:
            self.indicators[key] = indicator
            self._note_sources(indicator)
        return indicator

    def _note_sources(self, indicator: Indicator) -> None:
        if not self.unprotected:
            return
        if indicator.confidential:
            # A confidential result carries the unprotected inputs it was computed from.
            self.confidential_inputs = True
            self.sources.update({i.pk: i for i in _sources_of(indicator)})
        elif may_see_unsuppressed(self.user, indicator):
            self.sources[indicator.pk] = indicator

    def _scope(self):
        return nullcontext() if self.unprotected else protected_values()

    def read(self, indicator: Indicator, level: Level, periods: list[date]):
        """Values of ``indicator`` for ``periods`` as this run reads them."""
        with self._scope():
            results = readlayer.series(self.user, indicator, level, periods)
        if any(r.confidential for r in results):
            self.read_unprotected.add(indicator.key)
        return results

    def city(self, indicator: Indicator, periods: list[date]) -> list[float]:
        """The whole territory's value per period (NaN where missing or secret)."""
        with self._scope():
            values = readlayer.total_series(self.user, indicator, periods)
        return [np.nan if v is None else v for v in values]

    def load(self, keys: list[str], level_key: str, period: date) -> Inputs:
        """Values of ``keys`` at a level and period (hidden = NaN, marked in ``secret``)."""
        if not keys:
            raise QuartierError("Bitte mindestens einen Indikator wählen.")
        level = readlayer.reader(self.user).level(level_key)
        indicators, values, secret, base = {}, {}, {}, None
        for done, key in enumerate(keys):
            progress.reading(done, len(keys))
            indicator = self.indicator(key)
            result = self.read(indicator, level, [period])[0]
            # Confidential cells are values too (in an unprotected run).
            values[key] = np.where(result.shown, result.values, np.nan)
            secret[key] = result.status == Status.SUPPRESSED
            indicators[key] = indicator
            if base is None:
                base = result
        progress.computing()
        return Inputs(
            level, period, base.area_ids, base.codes, base.names, values, indicators, secret
        )

    def changes(self, keys: list[str], inputs: Inputs, years: int) -> dict[str, np.ndarray]:
        """Change of each indicator over ``years`` up to ``inputs.period`` (e.g. points).

        By the read layer's one rule for changes (:mod:`quartier.indicators.comparison`,
        as on the map): an area whose boundary changed in between has no change, and a
        change is secret where either value is; ``inputs.secret`` notes that.
        """
        earlier = years_before(inputs.period, years)
        changes = {}
        for done, key in enumerate(keys):
            progress.reading(done, len(keys))
            indicator = inputs.indicators[key]
            with self._scope():
                change = readlayer.reader(self.user).change(
                    indicator, inputs.level, inputs.period, earlier
                )
            if change.confidential:
                self.read_unprotected.add(key)
            changes[key] = np.where(change.shown, change.values, np.nan)
            inputs.secret[key] = inputs.secret[key] | (change.status == Status.SUPPRESSED)
            if not np.isfinite(changes[key]).any():
                raise QuartierError(
                    f"Für „{indicator.name}“ fehlen Werte zum "
                    f"{earlier:%d.%m.%Y}; die Veränderung über {years} Jahre ist nicht berechenbar."
                )
        progress.computing()
        return changes

    def series(self, key: str, level_key: str) -> Series:
        """All periods of one indicator at a level, with city values and secret cells."""
        progress.reading(1, 2)  # one indicator's series: half of what is left to read
        indicator = self.indicator(key)
        periods = readlayer.periods_by_indicator(self.user).get(indicator.pk, [])
        level = readlayer.reader(self.user).level(level_key)
        results = self.read(indicator, level, periods)
        matrix = np.vstack([np.where(r.shown, r.values, np.nan) for r in results])
        secret = np.vstack([r.status == Status.SUPPRESSED for r in results])
        return Series(periods, matrix, self.city(indicator, periods), secret)


def _sources_of(indicator: Indicator) -> list[Indicator]:
    """The inputs read unprotected by the analyses that wrote the confidential ``indicator``."""
    from quartier.analysis.models import Analysis

    through = Analysis.confidential_sources.through.objects.filter(
        analysis__confidential=True, analysis__outputs=indicator
    )
    return list(Indicator.objects.filter(pk__in=through.values("indicator_id")))


def years_before(period: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for a 29 February)."""
    try:
        return period.replace(year=period.year - years)
    except ValueError:
        return period.replace(year=period.year - years, day=28)


def secret_summary(secret: dict[str, np.ndarray], keys=None) -> dict:
    """How many areas were left out because values are secret: in all, and per input.

    ``keys`` limits the summary to some inputs (default: all in ``secret``).
    """
    keys = list(secret) if keys is None else keys
    masks = [np.asarray(secret[k], dtype=bool) for k in keys if k in secret]
    union = np.logical_or.reduce(masks) if masks else np.zeros(0, dtype=bool)
    return {
        "areas": int(union.sum()),
        "by_indicator": {k: int(np.asarray(secret[k]).sum()) for k in keys if k in secret},
    }
