// Number formatting and translations for the map (German first; English via Django's JS catalogue).

// Named like Django's catalogue functions so that makemessages finds the strings.
export function gettext(text) {
  return typeof window.gettext === "function" ? window.gettext(text) : text;
}

export function interpolate(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_m, k) => values[k]);
}

const formatters = new Map();

export function formatNumber(value, decimals = 0, signed = false) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const key = `${decimals}|${signed}`;
  if (!formatters.has(key)) {
    formatters.set(key, new Intl.NumberFormat(document.documentElement.lang || "de", {
      minimumFractionDigits: decimals, maximumFractionDigits: decimals,
      signDisplay: signed ? "exceptZero" : "auto",
    }));
  }
  return formatters.get(key).format(value);
}

export function formatDate(iso) {
  const [y, m, d] = iso.split("-");
  return (document.documentElement.lang || "de").startsWith("de") ? `${d}.${m}.${y}` : iso;
}

export function withUnit(text, unit) {
  return unit ? `${text} ${unit}` : text;
}

// "Name (Einheit)", unless the name already ends with its unit in brackets (as
// quartier.explorer.units.name_with_unit on the server).
export function nameWithUnit(name, unit) {
  return unit && !name.trimEnd().endsWith(`(${unit})`) ? `${name} (${unit})` : name;
}
