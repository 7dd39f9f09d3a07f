// Quartier map explorer: geometry once per level, values per view, state in the URL.
import { decodeGeometry, areaBounds, GEOMETRY_TYPE } from "./geometry.js";
import { areaLayer as newAreaLayer } from "./areas.js";
import { renderLegend } from "./legend.js";
import { renderPanel } from "./panel.js";
import { exportPng, downloadCanvas, imageTexts } from "./export.js";
import { formatDate, formatNumber, gettext, interpolate, nameWithUnit, withUnit } from "./format.js";
import { searchAllLevels } from "./areasearch.js";
import { readState, toQuery, writeState, VALUE_KEYS } from "./state.js";
import { setDateFormat } from "./format.js";
import { initDrawer } from "./drawer.js";
import { labelWidth, placeLabels } from "./labels.js";
import { fetchBinary, fetchJson, LoadStatus } from "./loading.js";
import { drawSymbols, symbolSvg } from "./symbols.js";

const catalogue = JSON.parse(document.getElementById("map-catalogue").textContent);
const config = JSON.parse(document.getElementById("map-config").textContent);
const $ = (id) => document.getElementById(id);
const mapEl = $("map");
const indicators = new Map();
for (const topic of catalogue.topics) {
  for (const ind of topic.indicators) indicators.set(ind.key, { ...ind, topic: topic.label });
}
const levels = new Map(catalogue.levels.map((lv) => [lv.key, lv]));
const defaults = config.defaults || {};
setDateFormat(config.date_format);
const loadStatus = new LoadStatus($("map-status"), [mapEl, $("legend")]);

const geometryCache = new Map(); // "level|period" -> { promise: decoded geometry, done }
const state = readState();
let map;
let areaLayer; // all areas of the level: one layer, one canvas (areas.js)
let labelLayer;
let geometry = null;
let values = null;
let colours = [];
let parentGeometry = null;
let requestSeq = 0;
let autoView = true; // the view still fits the whole level (no one moved the map yet)
let fitting = false; // a programmatic fit is moving the map
const facilityLayers = new Map();
let lastExport = null;

function url(name, replacements = {}) {
  let out = config.urls[name];
  for (const [key, value] of Object.entries(replacements)) out = out.replace(key, encodeURIComponent(value));
  return out;
}

function getJson(path, onBytes = null) {
  return fetchJson(path, onBytes);
}

// --- controls ---------------------------------------------------------------

function fillIndicatorSelect(filter = "") {
  const select = $("indicator");
  const needle = filter.trim().toLowerCase();
  select.replaceChildren();
  for (const topic of catalogue.topics) {
    const group = document.createElement("optgroup");
    group.label = topic.label;
    for (const ind of topic.indicators) {
      const haystack = `${ind.name} ${ind.description} ${ind.key} ${topic.label}`.toLowerCase();
      if (needle && !haystack.includes(needle)) continue;
      const option = new Option(nameWithUnit(ind.name, ind.unit), ind.key);
      option.selected = ind.key === state.indikator;
      group.append(option);
    }
    if (group.children.length) select.append(group);
  }
}

function showIndicatorInfo() {
  const ind = indicators.get(state.indikator);
  const box = $("indicator-info");
  box.replaceChildren();
  if (!ind) return;
  const parts = [[gettext("Beschreibung"), ind.description], [gettext("Einheit"), ind.unit],
    [gettext("Art"), ind.kind_label], [gettext("Quelle"), ind.source]];
  const dl = document.createElement("dl");
  for (const [label, text] of parts) {
    if (!text) continue;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = text;
    dl.append(dt, dd);
  }
  box.append(dl);
}

function fillPeriods() {
  const ind = indicators.get(state.indikator);
  const periods = ind ? ind.periods : [];
  if (!periods.includes(state.stichtag)) state.stichtag = periods[periods.length - 1];
  if (state.vergleich && (!periods.includes(state.vergleich) || state.vergleich === state.stichtag)) {
    delete state.vergleich;
  }
  for (const [id, selected] of [["period", state.stichtag], ["compare", state.vergleich]]) {
    const select = $(id);
    select.replaceChildren(...periods.map((p) => {
      const option = new Option(formatDate(p), p);
      option.selected = p === selected;
      return option;
    }));
  }
  // "Veränderung seit" is always there: choosing a Stichtag is one step to the change.
  $("compare").prepend(new Option(gettext("– keine (Stand zeigen) –"), ""));
  if (!state.vergleich) $("compare").value = "";
  $("change-mode").checked = Boolean(state.vergleich);
}

function defaultCompare() {
  const periods = [...$("compare").options].map((o) => o.value).filter(Boolean);
  const earlier = periods.filter((p) => p < state.stichtag);
  return earlier.length ? earlier[0] : periods[0];
}

function syncClassControls() {
  const method = state.methode || "quantile";
  $("method").value = method;
  $("k-box").hidden = method === "sd" || method === "manuell";
  $("sd-box").hidden = method !== "sd";
  $("breaks-box").hidden = method !== "manuell";
  $("classes").value = state.klassen || "5";
  if (state.sd) $("sd").value = state.sd;
  if (state.grenzen) $("breaks").value = state.grenzen;
  $("palette").value = state.palette || "";
}

function initControls() {
  // Defaults (headline indicator, level) come from the server's configuration.
  if (!indicators.has(state.indikator)) {
    const rates = [...indicators.values()].filter((i) => i.kind === "rate");
    state.indikator = indicators.has(defaults.indicator)
      ? defaults.indicator : (rates[0] || indicators.values().next().value || {}).key;
  }
  if (!levels.has(state.ebene)) {
    state.ebene = levels.has(defaults.level)
      ? defaults.level : catalogue.levels[Math.min(2, catalogue.levels.length - 1)].key;
  }
  fillIndicatorSelect();
  showIndicatorInfo();
  $("level").replaceChildren(...catalogue.levels.map((lv) => {
    const option = new Option(lv.name, lv.key);
    option.selected = lv.key === state.ebene;
    return option;
  }));
  fillPeriods();
  syncClassControls();
  const active = new Set((state.einrichtungen || "").split(",").filter(Boolean));
  document.querySelectorAll('input[name="einrichtungen"]').forEach((box) => {
    box.checked = active.has(box.value);
  });

  $("map-form").addEventListener("submit", (e) => e.preventDefault());
  $("indicator-search").addEventListener("input", (e) => fillIndicatorSelect(e.target.value));
  $("indicator").addEventListener("change", (e) => {
    state.indikator = e.target.value;
    showIndicatorInfo();
    fillPeriods();
    update();
  });
  $("level").addEventListener("change", (e) => switchLevel(e.target.value));
  $("period").addEventListener("change", (e) => { state.stichtag = e.target.value; fillPeriods(); update(); });
  $("change-mode").addEventListener("change", (e) => {
    state.vergleich = e.target.checked ? defaultCompare() : undefined;
    fillPeriods();
    update();
  });
  $("compare").addEventListener("change", (e) => {
    state.vergleich = e.target.value || undefined;
    fillPeriods();
    update();
  });
  $("method").addEventListener("change", (e) => { state.methode = e.target.value; syncClassControls(); update(); });
  $("classes").addEventListener("change", (e) => { state.klassen = e.target.value; update(); });
  $("sd").addEventListener("change", (e) => { state.sd = e.target.value; update(); });
  $("breaks").addEventListener("change", (e) => { state.grenzen = e.target.value; update(); });
  $("palette").addEventListener("change", (e) => { state.palette = e.target.value; update(); });
  $("area-search-go").addEventListener("click", searchArea);
  $("area-search").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); searchArea(); } });
  document.querySelectorAll('input[name="einrichtungen"]').forEach((box) => {
    box.addEventListener("change", () => { toggleFacilities(box.value, box.checked); saveFacilities(); });
  });
  $("export-png").addEventListener("click", () => {
    if (!values) return;
    const image = exportImage();
    // An image with unprotected values says so in its name too, as the CSV files do.
    const suffix = image.texts.confidential ? "_vertraulich" : "";
    downloadCanvas(image.canvas, `karte_${state.indikator}_${state.ebene}_${state.stichtag}${suffix}.png`);
  });
}

// The PNG of the current view (export.js); the last one stays readable for tests.
function exportImage() {
  const image = exportPng({ map, geometry, colours, values, parentGeometry }, { labels: $("export-labels").checked });
  lastExport = image;
  return image;
}

function switchLevel(key) {
  state.ebene = key;
  $("level").value = key;
  delete state.gebiet;
  closePanel();
  update({ newLevel: true });
}

// --- map ----------------------------------------------------------------------

function initMap() {
  map = L.map(mapEl, { preferCanvas: true, zoomSnap: 0.25, attributionControl: true, zoomControl: false });
  map.attributionControl.setPrefix("Leaflet");
  L.control.zoom({ zoomInTitle: gettext("Vergrößern"), zoomOutTitle: gettext("Verkleinern") }).addTo(map);
  L.control.scale({ metric: true, imperial: false, maxWidth: 120 }).addTo(map);
  if (config.basemap) {
    L.tileLayer(config.basemap, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  } else {
    mapEl.classList.add("no-basemap");
  }
  areaLayer = newAreaLayer().addTo(map);
  labelLayer = L.layerGroup().addTo(map);
  areaLayer.bindTooltip(() => tooltipFor(areaLayer.hoveredIndex()), { sticky: true, direction: "top", className: "area-tooltip" });
  areaLayer.on("click", (e) => {
    const i = areaLayer.indexAt(e.layerPoint);
    if (i >= 0) selectArea(i, false);
  });
  map.on("moveend", () => { updateLabels(); saveView(); });
  map.on("movestart zoomstart", () => { if (!fitting) autoView = false; });
  // The map's box changes when the header wraps, the title or the hint above it grows,
  // or the window turns: keep Leaflet's size right and, untouched, the whole level in view.
  new ResizeObserver(() => {
    map.invalidateSize({ pan: false });
    if (autoView && geometry) fitLevel();
  }).observe(mapEl);
  // Paper is narrower than the screen: draw the map for the printed box before printing.
  window.addEventListener("beforeprint", () => {
    map.invalidateSize({ pan: false });
    if (autoView && geometry) fitLevel();
  });
  window.quartier = { map, state, areas: areaLayer, get geometry() { return geometry; }, get values() { return values; }, get colours() { return colours; }, fitLevel,
    imageTexts: () => values && imageTexts(values), get lastExport() { return lastExport; } };
}

function mapTitle() {
  if (!values) return "";
  const ind = values.indicator;
  const level = values.level.name;
  if (values.compare) {
    return interpolate(gettext("%(name)s: Veränderung %(from)s–%(to)s nach %(level)s"), {
      name: indicators.get(state.indikator).name, from: formatDate(values.compare), to: formatDate(values.period), level });
  }
  return interpolate(gettext("%(name)s nach %(level)s, %(date)s"), { name: ind.name, level, date: formatDate(values.period) });
}

// The status of area i: the payload's "status" holds one code per area ("" when all are
// shown), and "statuses" what each code means (API word, label, mark, colour).
function statusOf(i) {
  return values.statuses[values.status ? values.status[i] : "0"];
}

function tooltipFor(i) {
  const name = geometry.names[i];
  const code = geometry.codes[i];
  if (!values) {
    const span = document.createElement("span");
    span.textContent = `${name} (${code})`; // names come from imported files: never HTML
    return span;
  }
  const { decimals, unit } = values.indicator;
  const signed = Boolean(values.compare);
  const status = statusOf(i);
  let shown;
  if (status.word === "suppressed") shown = `${status.mark} ${status.label} (${gettext("zu kleine Fallzahl")})`;
  else if (values.values[i] === null) shown = gettext("keine Daten");
  else if (values.indicator.categorical && values.classes[i] !== "-") {
    shown = values.legend[parseInt(values.classes[i], 36)].label;
  } else shown = withUnit(formatNumber(values.values[i], decimals, signed), unit);
  if (status.word === "confidential") shown = `${shown} (${status.mark}: ${status.label})`;
  const city = values.city === null ? "–" : withUnit(formatNumber(values.city, decimals, signed), unit);
  const div = document.createElement("div");
  const strong = document.createElement("strong");
  strong.textContent = name;
  const line1 = document.createElement("div");
  line1.textContent = `${gettext("Schlüssel")}: ${code}`;
  const line2 = document.createElement("div");
  line2.className = "tooltip-value";
  line2.textContent = shown;
  const line3 = document.createElement("div");
  line3.textContent = `${values.city_label || gettext("Gesamtstadt")}: ${city}`;
  div.append(strong, line1, line2, line3);
  return div;
}

// The decoded geometry of a level (a promise, fetched once per level and Stichtag).
function fetchGeometry(levelKey, period) {
  const key = `${levelKey}|${period || ""}`;
  if (!geometryCache.has(key)) {
    const entry = { done: false };
    entry.promise = fetchBinary(`${url("geometry", { LEVEL: levelKey })}?stichtag=${encodeURIComponent(period || "")}`,
      GEOMETRY_TYPE, (n) => loadStatus.bytes(n)).then((bytes) => {
      entry.done = true;
      return decodeGeometry(bytes);
    });
    // A failed fetch is not kept (the retry button fetches again); this also marks the
    // rejection as handled when a newer view no longer waits for it.
    entry.promise.catch(() => geometryCache.delete(key));
    geometryCache.set(key, entry);
  }
  return geometryCache.get(key);
}

async function loadGeometry(levelKey, period, label, done, steps) {
  const entry = fetchGeometry(levelKey, period);
  if (!entry.done) loadStatus.step(label, done, steps);
  return entry.promise;
}

function drawAreas(doc) {
  areaLayer.setAreas(doc);
}

function drawOutlines(doc) {
  parentGeometry = doc;
  areaLayer.setOutlines(doc);
}

function applyValues() {
  const n = geometry.codes.length;
  colours = new Array(n);
  const classes = values.classes;
  for (let i = 0; i < n; i += 1) {
    const status = statusOf(i);
    let colour;
    if (status.word === "suppressed") colour = status.colour;
    else if (classes[i] === "-") colour = values.missing.colour;
    else colour = values.legend[parseInt(classes[i], 36)].colour; // one base-36 digit per area
    colours[i] = colour;
  }
  areaLayer.setColours(colours);
}

const LABEL_FONT = "600 11px system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";

// Labels where they fit their area, larger areas first, never overlapping (labels.js).
function updateLabels() {
  labelLayer.clearLayers();
  if (!geometry) return;
  const view = map.getBounds().pad(0.1);
  const candidates = [];
  // The areas' boxes are in world px (geometry.js): their size on screen is one product.
  const k = 2 ** map.getZoom();
  const box = geometry.box;
  for (let i = 0; i < geometry.labels.length; i += 1) {
    const roomX = (box[4 * i + 2] - box[4 * i]) * k;
    const roomY = (box[4 * i + 3] - box[4 * i + 1]) * k;
    if (roomX < 24 || roomY < 14) continue;
    const ll = geometry.labels[i];
    if (!view.contains(ll)) continue;
    const p = map.latLngToContainerPoint(ll);
    candidates.push({ i, x: p.x, y: p.y, width: labelWidth(geometry.names[i], LABEL_FONT), height: 14, roomX, roomY });
  }
  for (const i of placeLabels(candidates)) {
    labelLayer.addLayer(L.marker(geometry.labels[i], {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: "area-label", html: "", iconSize: null }),
    }).on("add", (e) => { e.target.getElement().textContent = geometry.names[i]; }));
  }
}

function highlight(i) {
  areaLayer.setSelected(i);
}

let panelSeq = 0;

// Select area i and show its panel for the current view (focus: move the keyboard there).
async function selectArea(i, zoom, focus = true) {
  if (i === undefined || i === null || !geometry) return;
  state.gebiet = geometry.codes[i];
  writeState(state);
  highlight(i);
  if (zoom) {
    autoView = false;
    map.fitBounds(areaBounds(geometry, i), { maxZoom: map.getZoom() + 3 });
  }
  const panel = $("area-panel");
  const seq = ++panelSeq;
  try {
    const data = await getJson(`${url("area", { LEVEL: state.ebene, CODE: state.gebiet })}?${toQuery(state, VALUE_KEYS)}`);
    if (seq !== panelSeq) return; // a newer selection or view answers instead
    renderPanel(panel, data, config.urls.compare, closePanel);
    if (focus) panel.focus();
  } catch (err) {
    if (seq !== panelSeq) return;
    panel.textContent = err.message;
    panel.hidden = false;
  }
}

function closePanel() {
  panelSeq += 1;
  $("area-panel").hidden = true;
  if (state.gebiet) {
    delete state.gebiet;
    writeState(state);
    highlight(-1);
  }
}

function searchArea() {
  const text = $("area-search").value.trim().toLowerCase();
  const result = $("area-search-result");
  if (!text || !geometry) return;
  let found = geometry.codes.findIndex((c) => c.toLowerCase() === text);
  if (found < 0) found = geometry.names.findIndex((n) => n.toLowerCase() === text);
  if (found < 0) found = geometry.names.findIndex((n) => n.toLowerCase().startsWith(text));
  if (found < 0) found = geometry.names.findIndex((n) => n.toLowerCase().includes(text));
  if (found < 0) {
    // Not on this level: ask the server, which searches every level.
    searchAllLevels(config.urls.search, text, result, state);
    return;
  }
  result.textContent = interpolate(gettext("Gefunden: %(name)s (%(code)s)"), { name: geometry.names[found], code: geometry.codes[found] });
  selectArea(found, true);
}

function fillSearchList() {
  const list = $("area-names");
  list.replaceChildren(...geometry.names.slice(0, 2000).map((name, i) => new Option(`${geometry.codes[i]}`, name)));
}

async function toggleFacilities(key, on) {
  if (!on) {
    if (facilityLayers.has(key)) map.removeLayer(facilityLayers.get(key));
    renderFacilityLegend();
    return;
  }
  if (!facilityLayers.has(key)) {
    const doc = await getJson(url("facilities", { LAYER: key }));
    const symbol = facilitySymbol(key);
    const icon = L.divIcon({ className: "facility-marker", html: symbolSvg(symbol.shape, symbol.colour).outerHTML, iconSize: [16, 16] });
    const layer = L.geoJSON(doc, {
      pointToLayer: (_f, ll) => L.marker(ll, { icon, keyboard: false }),
      onEachFeature: (feature, lyr) => {
        const p = feature.properties;
        const box = document.createElement("div");
        const title = document.createElement("strong");
        title.textContent = p.name;
        const addr = document.createElement("div");
        addr.textContent = p.address;
        box.append(title, addr);
        if (p.capacity !== null) {
          const cap = document.createElement("div");
          cap.textContent = `${doc.capacity_label || gettext("Kapazität")}: ${formatNumber(p.capacity)}`;
          box.append(cap);
        }
        lyr.bindPopup(box);
      },
    });
    facilityLayers.set(key, layer);
  }
  facilityLayers.get(key).addTo(map);
  renderFacilityLegend();
}

// The symbol of a facility layer, as its checkbox shows it (shape and colour from the server).
function facilitySymbol(key) {
  const span = document.querySelector(`label[for="fac-${CSS.escape(key)}"] .facility-symbol`);
  return { shape: span ? span.dataset.shape : "circle", colour: span ? span.dataset.colour : "#1b1f24",
    name: span ? span.parentElement.textContent.trim() : key };
}

function renderFacilityLegend() {
  const box = $("facility-legend");
  const on = [...document.querySelectorAll('input[name="einrichtungen"]:checked')]
    .map((b) => b.value).filter((key) => facilityLayers.has(key) && map.hasLayer(facilityLayers.get(key)));
  box.hidden = on.length === 0;
  const heading = document.createElement("h2");
  heading.textContent = gettext("Einrichtungen");
  const list = document.createElement("ul");
  list.className = "legend-list";
  for (const key of on) {
    const symbol = facilitySymbol(key);
    const item = document.createElement("li");
    item.dataset.layer = key;
    const label = document.createElement("span");
    label.className = "legend-label";
    label.textContent = symbol.name;
    const count = document.createElement("span");
    count.className = "legend-count";
    count.textContent = interpolate(gettext("%(n)s Standorte"), { n: facilityLayers.get(key).getLayers().length });
    item.append(symbolSvg(symbol.shape, symbol.colour), label, count);
    list.append(item);
  }
  box.replaceChildren(heading, list);
}

function saveFacilities() {
  const on = [...document.querySelectorAll('input[name="einrichtungen"]:checked')].map((b) => b.value);
  state.einrichtungen = on.join(",") || undefined;
  writeState(state);
}

function saveView() {
  const c = map.getCenter();
  state.ansicht = `${c.lat.toFixed(5)},${c.lng.toFixed(5)},${map.getZoom()}`;
  writeState(state);
}

function restoreView() {
  if (state.ansicht) {
    const [lat, lng, zoom] = state.ansicht.split(",").map(Number);
    if ([lat, lng, zoom].every(Number.isFinite)) {
      autoView = false;
      map.setView([lat, lng], zoom, { animate: false });
      return;
    }
  }
  fitLevel();
}

// The whole level (the city) in view.
function fitLevel() {
  const [w, s, e, n] = geometry.bbox;
  fitting = true;
  try {
    map.fitBounds([[s, w], [n, e]], { animate: false, padding: [4, 4] });
  } finally {
    fitting = false;
  }
}

function showSecretHint() {
  const box = $("secret-hint");
  const hint = values.secret_hint;
  box.hidden = !hint;
  box.replaceChildren();
  if (!hint) return;
  const text = document.createElement("p");
  text.textContent = interpolate(gettext("%(secret)s von %(total)s Gebieten dieser Ebene sind geheim (zu kleine Fallzahlen) und erscheinen grau."),
    { secret: formatNumber(hint.secret), total: formatNumber(hint.total) });
  box.append(text);
  if (hint.level) {
    const link = document.createElement("a");
    link.className = "button-link";
    link.href = `?${toQuery({ ...state, ebene: hint.level.key, gebiet: undefined, ansicht: undefined })}`;
    link.textContent = interpolate(gettext("Auf der Ebene %(level)s zeigen – dort sind die Werte lesbar"), { level: hint.level.name });
    link.addEventListener("click", (event) => { event.preventDefault(); switchLevel(hint.level.key); });
    box.append(link);
  }
}

function updateLinks() {
  const query = toQuery(state, VALUE_KEYS);
  $("table-link").href = `${config.urls.table}?${query}`;
  $("csv-link").href = `${config.urls.table}csv/?${query}`;
}

async function update({ newLevel = false, first = false } = {}) {
  const seq = ++requestSeq;
  mapEl.dataset.state = "loading";
  writeState(state);
  updateLinks();
  const parentKey = levels.get(state.ebene).parent;
  const steps = parentKey ? 3 : 2;
  try {
    loadStatus.step(gettext("Werte"), 0, steps);
    if (newLevel || first || !geometry || geometry.level !== state.ebene) {
      // A new level: its boundaries (and the parent's) load while the server computes the
      // values, not after them.
      fetchGeometry(state.ebene, state.stichtag);
      if (parentKey) fetchGeometry(parentKey, state.stichtag);
    }
    const data = await getJson(`${config.urls.values}?${toQuery(state, VALUE_KEYS)}`, (n) => loadStatus.bytes(n));
    if (seq !== requestSeq) return;
    const levelChanged = newLevel || first || !geometry || geometry.level !== state.ebene || geometry.version !== data.geometry;
    if (levelChanged) {
      geometry = await loadGeometry(state.ebene, state.stichtag, gettext("Gebietsgrenzen"), 1, steps);
      if (seq !== requestSeq) return;
      drawAreas(geometry);
      fillSearchList();
      const parent = parentKey ? await loadGeometry(parentKey, state.stichtag, gettext("Grenzen der übergeordneten Ebene"), 2, steps) : null;
      if (seq !== requestSeq) return;
      drawOutlines(parent);
      if (first) restoreView();
      else if (autoView) fitLevel();
    }
    values = data;
    applyValues();
    loadStatus.done();
    showSecretHint();
    renderLegend($("legend"), values, mapTitle());
    $("map-title").textContent = mapTitle();
    document.title = `${mapTitle()} – Quartier`;
    updateLabels();
    if (state.gebiet && geometry.index.has(state.gebiet)) {
      // The panel follows the view (value or change, Stichtag), without taking the focus.
      selectArea(geometry.index.get(state.gebiet), false, first);
    }
    mapEl.dataset.state = "ready";
    mapEl.dataset.view = toQuery(state, VALUE_KEYS);
    performance.mark(first ? "quartier:first-map" : "quartier:values-drawn");
  } catch (err) {
    if (seq !== requestSeq) return;
    mapEl.dataset.state = "error";
    loadStatus.error(err.message, () => update({ newLevel: true, first: !values }));
    $("legend").replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: err.message }));
  }
}

function start() {
  if (!indicators.size) {
    $("legend").textContent = gettext("Es gibt noch keine Indikatoren mit Werten.");
    $("legend").setAttribute("aria-busy", "false");
    return;
  }
  initDrawer($("map-layout"), $("controls-toggle"), $("map-controls"));
  drawSymbols();
  initMap();
  initControls();
  update({ first: true }).then(() => {
    for (const box of document.querySelectorAll('input[name="einrichtungen"]:checked')) toggleFacilities(box.value, true);
  });
}

if (window.L) start();
else window.addEventListener("load", start);
