// The legend: class ranges (upper bound inclusive), areas per class, "keine Daten" and "geheim".
import { formatNumber, gettext, interpolate, withUnit } from "./format.js";

function swatch(colour, extraClass = "") {
  const span = document.createElement("span");
  span.className = `swatch ${extraClass}`.trim();
  span.style.backgroundColor = colour;
  span.setAttribute("aria-hidden", "true");
  return span;
}

export function classLabel(entry, index, decimals, unit) {
  if (entry.label) return entry.label;  // a category (type, index class)
  const upper = formatNumber(entry.upper, decimals);
  if (index === 0) {
    const lower = formatNumber(entry.lower, decimals);
    return withUnit(lower === upper ? upper : interpolate(gettext("%(lower)s bis %(upper)s"), { lower, upper }), unit);
  }
  return withUnit(interpolate(gettext("über %(lower)s bis %(upper)s"), {
    lower: formatNumber(entry.lower, decimals), upper }), unit);
}

export function renderLegend(container, data, title) {
  container.replaceChildren();
  const heading = document.createElement("h2");
  heading.textContent = gettext("Legende");
  const caption = document.createElement("p");
  caption.className = "legend-title";
  caption.textContent = title;
  const list = document.createElement("ul");
  list.className = "legend-list";
  const { decimals, unit } = data.indicator;
  data.legend.forEach((entry, i) => {
    const item = document.createElement("li");
    item.dataset.class = String(i);
    item.dataset.colour = entry.colour;
    item.append(swatch(entry.colour));
    const label = document.createElement("span");
    label.className = "legend-label";
    label.textContent = classLabel(entry, i, decimals, unit);
    const count = document.createElement("span");
    count.className = "legend-count";
    count.textContent = interpolate(gettext("%(n)s Gebiete"), { n: entry.count });
    item.append(label, count);
    list.append(item);
  });
  for (const [key, text, extra] of [["missing", gettext("keine Daten"), "missing"],
    ["suppressed", gettext("geheim (•)"), "suppressed"]]) {
    const item = document.createElement("li");
    item.dataset.class = key;
    item.append(swatch(data[key].colour, extra));
    const label = document.createElement("span");
    label.className = "legend-label";
    label.textContent = text;
    const count = document.createElement("span");
    count.className = "legend-count";
    count.textContent = interpolate(gettext("%(n)s Gebiete"), { n: data[key].count });
    item.append(label, count);
    list.append(item);
  }
  const note = document.createElement("p");
  note.className = "help";
  note.textContent = gettext("Klassengrenzen: Die Obergrenze gehört zur Klasse.");
  container.append(heading, caption);
  if (data.note) {  // no area with a visible value: say so instead of an empty legend
    const empty = document.createElement("p");
    empty.className = "help";
    empty.setAttribute("role", "note");
    empty.textContent = data.note;  // already translated by the server
    container.append(empty);
  }
  container.append(list, note);
  if (data.classification_note) {  // quantiles collapsed on ties: what was done instead, and why
    const ties = document.createElement("p");
    ties.className = "help classification-note";
    ties.setAttribute("role", "note");
    ties.textContent = data.classification_note;  // already translated by the server
    container.append(ties);
  }
  if (data.suppressed.count) {
    const secret = document.createElement("p");
    secret.className = "help";
    secret.textContent = gettext("Geheim: zu kleine Fallzahlen und Werte, aus denen sie sich errechnen ließen, werden nicht gezeigt.");
    container.append(secret);
  }
  if (data.confidential) {
    const warn = document.createElement("p");
    warn.className = "confidential";
    warn.setAttribute("role", "note");
    warn.textContent = gettext("Vertraulich: Die Karte zeigt Werte, die wegen kleiner Fallzahlen für andere geheim sind. Nicht weitergeben.");
    container.append(warn);
  }
  if (data.city !== null) {
    const city = document.createElement("p");
    city.className = "legend-city";
    city.textContent = interpolate("%(label)s: %(value)s", { label: data.city_label || gettext("Gesamtstadt"),
      value: withUnit(formatNumber(data.city, decimals, Boolean(data.compare)), unit) });
    container.append(city);
  }
  if (data.source_level) {
    const src = document.createElement("p");
    src.className = "help";
    src.textContent = interpolate(gettext("Summiert bzw. berechnet aus der Ebene %(level)s."), { level: data.source_level });
    container.append(src);
  }
}
