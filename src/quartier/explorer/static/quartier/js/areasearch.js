// The map's area search beyond the current level: the server searches every level
// (/suche/?format=json) and the hits are listed with their level, each a link that
// opens the map on that level with the area selected.
import { gettext, interpolate } from "./format.js";

export async function searchAllLevels(searchUrl, text, target, state) {
  target.replaceChildren(interpolate(gettext("Suche auf allen Ebenen nach „%(text)s“ …"), { text }));
  let data;
  try {
    const response = await fetch(`${searchUrl}?${new URLSearchParams({ q: text, format: "json" })}`);
    if (!response.ok) throw new Error(response.statusText);
    data = await response.json();
  } catch (err) {
    target.textContent = interpolate(gettext("Kein Gebiet „%(text)s“ auf dieser Ebene gefunden."), { text });
    return;
  }
  if (!data.areas.length) {
    target.textContent = interpolate(gettext("Kein Gebiet „%(text)s“ gefunden, auf keiner Ebene."), { text });
    return;
  }
  const intro = document.createElement("span");
  intro.textContent = gettext("Nicht auf dieser Ebene, aber hier:");
  const list = document.createElement("ul");
  list.className = "area-search-hits";
  for (const area of data.areas) {
    const params = new URLSearchParams({ ebene: area.level, gebiet: area.code });
    if (state.indikator) params.set("indikator", state.indikator);
    const link = document.createElement("a");
    link.href = `${window.location.pathname}?${params}`;
    link.textContent = `${area.name} (${area.level_name} ${area.code})`;
    const item = document.createElement("li");
    item.append(link);
    list.append(item);
  }
  target.replaceChildren(intro, list);
}
