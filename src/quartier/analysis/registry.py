"""The one registry of analysis methods: form, run, result page and command line per method.

A method is one :class:`Method` object. The analysis pages, the re-run, the list of
methods and ``quartier analyse`` iterate this registry; nothing else names a method.
The built-in methods (:mod:`quartier.analysis.builtin`) register themselves exactly as a
new one would::

    register(Method(key="toy", label="Spielzeug", fields=(Field("indikator", "Indikator"),),
                    run=run_toy, spec_of=lambda d: d["spec"]))

A method's form is declared as :class:`Field` entries (rendered by a generic template and
parsed in one place, for the web form and the command line alike) unless it brings its
own form template and ``from_form``. Importing this module needs no Django setup: the
command line builds its parser from the registry before it connects to the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from quartier.errors import QuartierError

GENERIC_FORM = "quartier/analysis/_fields.html"


def gettext_noop(text: str) -> str:
    """Mark ``text`` for translation (makemessages finds it by this name); translated on use.

    Django's own ``gettext_noop`` reads the settings, which the command line has not
    loaded yet when it builds its parser from the registry.
    """
    return text


GENERIC_RESULT = "quartier/analysis/_result_counts.html"


@dataclass(frozen=True)
class Field:
    """One input of a method's form (and its command-line option).

    ``kind``: ``indicator`` (one indicator, e.g. with a role such as "S1"), ``indicators``
    (several), ``number``, ``integer``, ``choice`` (``choices``: (value, label) pairs) or
    ``text``. An indicator field never preselects a guess: it starts empty unless the
    method's ``initial`` names a sound match, and a required empty field is refused.
    """

    name: str
    label: str
    kind: str = "indicator"
    required: bool = True
    counts_only: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    default: str = ""  # taken when nothing is given (form and command line)
    initial: str = ""  # shown in an empty form (default: ``default``)
    help: str = ""
    cli: str = ""  # command-line option (default: --name with dashes)
    role: bool = True  # an indicator field names an input shown on the result page

    @property
    def option(self) -> str:
        """The command-line option, e.g. ``--s1`` or ``--min-residents``."""
        return "--" + (self.cli or self.name.replace("_", "-"))

    @property
    def dest(self) -> str:
        """The attribute argparse stores this field's value under."""
        return self.option[2:].replace("-", "_")


def _plain(spec: dict) -> dict:
    return spec


@dataclass(frozen=True)
class Method:
    """An analysis method: what it asks for, how it runs, how its result is shown.

    ``run(user, name, level_key, period, spec, unprotected=…)`` computes and stores an
    :class:`~quartier.analysis.models.Analysis`; ``spec`` comes from the form
    (``fields`` parsed, then ``from_form``), from the command line (the same fields as
    options) or from a stored definition (``spec_of(definition)``, used by the re-run
    and by ``--definition FILE``). ``periodic`` methods need a Stichtag; the others
    span every period. ``roles(definition)`` lists the inputs a result page names
    ((label, indicator key) pairs); ``initial(user)`` preselects form fields by a sound
    match only; ``result_context(analysis, outputs)`` adds what ``result_template`` needs;
    ``describe(analysis, names)`` describes the definition in the page's language (without
    it, the result page shows the description stored with the definition).
    """

    key: str
    label: str
    run: Callable
    spec_of: Callable[[dict], dict]
    fields: tuple[Field, ...] = ()
    from_form: Callable[[dict], dict] = _plain
    form_template: str = GENERIC_FORM
    custom_form: Callable | None = None  # (post) -> spec, for a method with its own template
    result_template: str = GENERIC_RESULT
    result_context: Callable | None = None
    describe: Callable | None = None  # (analysis, {key: name}) -> text in the page's language
    roles: Callable[[dict], list[tuple[str, str]]] | None = None
    initial: Callable | None = None
    periodic: bool = True
    help: str = ""
    cli_help: str = ""
    order: int = 100

    def parse_form(self, data) -> dict:
        """The spec from submitted form data (a QueryDict or a dict of lists)."""
        if self.custom_form is not None:
            return self.custom_form(data)
        return self.from_form(parse_fields(self.fields, data))

    def input_roles(self, definition: dict) -> list[tuple[str, str]]:
        """(role label, indicator key) of every input named in a stored definition."""
        if self.roles is not None:
            return self.roles(definition)
        spec = self.spec_of(definition)
        out = []
        for f in self.fields:
            if f.kind in ("indicator", "indicators") and f.role and spec.get(f.name):
                keys = spec[f.name] if isinstance(spec[f.name], list) else [spec[f.name]]
                out += [(f.label, k) for k in keys]
        return out


_REGISTRY: dict[str, Method] = {}
_BUILTINS_LOADED = False


def register(method: Method) -> Method:
    """Add ``method`` (a key already taken is refused: methods never silently replace)."""
    if method.key in _REGISTRY:
        raise ValueError(f"analysis method {method.key!r} is already registered")
    _REGISTRY[method.key] = method
    return method


def unregister(key: str) -> None:
    """Remove a method (tests that register a method of their own clean up with this)."""
    _REGISTRY.pop(key, None)


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        import quartier.analysis.builtin  # noqa: F401  (registers the built-in methods)


def methods() -> list[Method]:
    """Every registered method, in menu order."""
    _load_builtins()
    return sorted(_REGISTRY.values(), key=lambda m: (m.order, m.key))


def get(key: str) -> Method:
    """The method ``key``; an unknown key is a clear error."""
    _load_builtins()
    if key not in _REGISTRY:
        raise QuartierError(f"Ein Analyseverfahren „{key}“ gibt es nicht.", status=404)
    return _REGISTRY[key]


def label_of(key: str) -> str:
    """The method's name for people (the key itself for a method no longer registered)."""
    _load_builtins()
    method = _REGISTRY.get(key)
    return str(method.label) if method else key


def _values(data, name: str) -> list[str]:
    if hasattr(data, "getlist"):
        return [v for v in data.getlist(name) if v not in (None, "")]
    value = data.get(name)
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def parse_number(text: str, label: str) -> float:
    """A number as people type it ("1,5" or "1.5"); anything else is a clear error."""
    try:
        return float(str(text).strip().replace(",", "."))
    except ValueError:
        raise QuartierError(f"„{label}“: „{text}“ ist keine Zahl.") from None


def parse_fields(fields: tuple[Field, ...], data) -> dict:
    """Parse declared fields from form data or command-line values, one message per error."""
    spec = {}
    for f in fields:
        values = _values(data, f.name)
        if not values and f.default != "" and f.kind not in ("indicator", "indicators"):
            values = [f.default]
        if not values:
            if f.required:
                verb = "wählen" if f.kind in ("indicator", "indicators", "choice") else "angeben"
                raise QuartierError(f"Bitte „{f.label}“ {verb}.")
            spec[f.name] = [] if f.kind == "indicators" else None
            continue
        if f.kind == "indicators":
            spec[f.name] = values
        elif f.kind == "number":
            spec[f.name] = parse_number(values[0], f.label)
        elif f.kind == "integer":
            number = parse_number(values[0], f.label)
            if number != int(number):
                raise QuartierError(f"„{f.label}“ muss eine ganze Zahl sein.")
            spec[f.name] = int(number)
        elif f.kind == "choice" and values[0] not in {c for c, _label in f.choices}:
            raise QuartierError(f"„{f.label}“: „{values[0]}“ steht nicht zur Wahl.")
        else:
            spec[f.name] = values[0].strip()
    return spec


def parse_period(text) -> date:
    """A Stichtag from a form or an option (JJJJ-MM-TT)."""
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise QuartierError("Bitte einen Stichtag wählen.") from None


def rerun(user, analysis, period: date | None):
    """The same analysis for another period: same definition, same derived indicators.

    The results are added to the derived indicators as a further period, so an index
    computed every year becomes a time series; methods over all periods simply run again.
    The choice of protected or unprotected values is kept.
    """
    method = get(analysis.kind)
    spec = method.spec_of(analysis.definition)
    return method.run(
        user,
        analysis.name,
        analysis.level.key,
        period if method.periodic else None,
        spec,
        unprotected=analysis.confidential,
    )
