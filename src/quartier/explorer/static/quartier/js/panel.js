// Side panel with the key figures of a selected area — for exactly what the map shows:
// in change mode the change and its rank, a secret value as "• geheim" like the tooltip.
import { formatDate, formatNumber, gettext, interpolate } from "./format.js";

// Fill a value cell: the number and, on a line of its own if need be, its unit (so that
// "−4,3 Prozentpunkte" fits a narrow panel); or the status ("• geheim", "–").
function fillValue(td, item, value, signed = false) {
  if (item.status === "suppressed" && value === item.value) {
    td.textContent = `${item.mark} ${item.label}`;
    return;
  }
  if (value === null || value === undefined) {
    td.textContent = "–";
    return;
  }
  const number = document.createElement("span");
  number.className = "n";
  number.textContent = formatNumber(value, item.decimals, signed);
  td.replaceChildren(number);
  if (item.unit) {
    const unit = document.createElement("span");
    unit.className = "u";
    unit.textContent = item.unit;
    td.append(" ", unit);
  }
  if (item.status === "confidential" && value === item.value) td.append(` (${item.mark}: ${item.label})`);
}

function row(item, { strong = false, signed = false, label = item.name } = {}) {
  const tr = document.createElement("tr");
  tr.dataset.indicator = item.key;
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = label;
  const td = document.createElement("td");
  td.className = "num value";
  fillValue(td, item, item.value, signed);
  if (strong) td.classList.add("strong");
  const city = document.createElement("td");
  city.className = "num city";
  fillValue(city, { ...item, status: "ok" }, item.city, signed);
  tr.append(th, td, city);
  return tr;
}

function rankText(item, change) {
  if (item.rank) {
    const text = change
      ? gettext("Rang %(rank)s von %(of)s (1 = stärkste Zunahme)")
      : gettext("Rang %(rank)s von %(of)s (1 = höchster Wert)");
    return interpolate(text, { rank: item.rank, of: item.rank_of });
  }
  if (item.status === "suppressed") return gettext("Kein Rang: Wert geheim");
  return gettext("Kein Rang: kein Wert");
}

export function renderPanel(container, data, compareUrl, onClose) {
  container.replaceChildren();
  const head = document.createElement("div");
  head.className = "panel-head";
  const title = document.createElement("h2");
  title.textContent = data.name;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "close";
  close.setAttribute("aria-label", gettext("Auswahl aufheben"));
  close.textContent = "×";
  close.addEventListener("click", onClose);
  head.append(title, close);
  const meta = document.createElement("p");
  meta.className = "help";
  meta.textContent = `${data.level} ${data.code}` + (data.parent ? ` · ${data.parent.level} ${data.parent.name}` : "");
  const change = data.change;
  const cur = change || data.current;
  const rank = document.createElement("p");
  rank.className = "panel-rank";
  rank.textContent = rankText(cur, Boolean(change));
  const table = document.createElement("table");
  table.className = "data compact panel-table";
  const caption = document.createElement("caption");
  caption.textContent = gettext("Kennzahlen");
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  for (const label of [gettext("Indikator"), gettext("Gebiet"), gettext("Stadt")]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    hr.append(th);
  }
  thead.append(hr);
  const body = document.createElement("tbody");
  if (change) {
    const label = interpolate(gettext("%(name)s: Veränderung %(from)s–%(to)s"),
      { name: change.name, from: formatDate(change.since), to: formatDate(change.period) });
    body.append(row(change, { strong: true, signed: true, label }));
  } else {
    body.append(row(cur, { strong: true }));
  }
  for (const item of data.key_figures) {
    if (item.key !== data.current.key) body.append(row(item));
  }
  table.append(caption, thead, body);
  const links = document.createElement("p");
  links.className = "panel-links";
  const profile = document.createElement("a");
  profile.href = data.profile;
  profile.className = "button-link";
  profile.textContent = gettext("Steckbrief öffnen");
  const compare = document.createElement("a");
  compare.href = `${compareUrl}?gebiet=${encodeURIComponent(`${data.level_key}:${data.code}`)}`;
  compare.textContent = gettext("Vergleichen");
  links.append(profile, " ", compare);
  container.append(head, meta, rank, table, links);
  container.hidden = false;
}
