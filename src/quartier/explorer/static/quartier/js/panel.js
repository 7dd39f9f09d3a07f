// Side panel with the key figures of a selected area.
import { formatNumber, gettext, interpolate, withUnit } from "./format.js";

function row(item, strong = false) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = item.name;
  const td = document.createElement("td");
  td.className = "num";
  td.textContent = item.value === null ? "–" : withUnit(formatNumber(item.value, item.decimals), item.unit);
  if (strong) td.classList.add("strong");
  const city = document.createElement("td");
  city.className = "num";
  city.textContent = item.city === null ? "–" : formatNumber(item.city, item.decimals);
  tr.append(th, td, city);
  return tr;
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
  const cur = data.current;
  const rank = document.createElement("p");
  rank.className = "panel-rank";
  rank.textContent = cur.rank
    ? interpolate(gettext("Rang %(rank)s von %(of)s (1 = höchster Wert)"), { rank: cur.rank, of: cur.rank_of })
    : gettext("Kein Rang: kein Wert");
  const table = document.createElement("table");
  table.className = "data compact";
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
  body.append(row(cur, true));
  for (const item of data.key_figures) {
    if (item.key !== cur.key) body.append(row(item));
  }
  table.append(caption, thead, body);
  const links = document.createElement("p");
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
