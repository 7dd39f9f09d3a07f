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

// Django's SHORT_DATE_FORMAT of the page's language (the map's config sets it), so that
// selects, titles and the table page write a date alike: "31.12.2024", "12/31/2024".
let dateFormat = "d.m.Y";

export function setDateFormat(format) {
  if (format) dateFormat = format;
}

export function formatDate(iso) {
  const [y, m, d] = iso.split("-");
  const parts = { d, j: String(Number(d)), m, n: String(Number(m)), Y: y, y: y.slice(2) };
  let out = "";
  for (let i = 0; i < dateFormat.length; i += 1) {
    const c = dateFormat[i];
    if (c === "\\") out += dateFormat[++i] || "";  // escaped: a literal character
    else out += c in parts ? parts[c] : c;
  }
  return out;
}

export function withUnit(text, unit) {
  return unit ? `${text} ${unit}` : text;
}

// "Name (Einheit)", unless the name already ends with its unit in brackets (as
// quartier.explorer.units.name_with_unit on the server).
export function nameWithUnit(name, unit) {
  return unit && !name.trimEnd().endsWith(`(${unit})`) ? `${name} (${unit})` : name;
}
