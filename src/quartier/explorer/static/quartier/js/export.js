// Map export as PNG: the current view redrawn on a canvas with title, Stichtag, legend,
// source line, scale bar, optional area names and — when the view shows values that are
// secret for others (the server's "confidential" flag) — VERTRAULICH in title and footer.
import { traceArea } from "./geometry.js";
import { classLabel } from "./legend.js";
import { formatDate, formatNumber, gettext, interpolate, nameWithUnit } from "./format.js";
import { labelWidth, placeLabels } from "./labels.js";

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";
const PAD = 24;
const HEADER_H = 100; // title and Stichtag
const MAP_MAX_W = 1000;
const MAP_MAX_H = 760;
const LEGEND_GAP = 30;
const LEGEND_W = 420;
const LINE_H = 34;
const INK = "#1b1f24";
const MUTED = "#4a5560";
const ALERT = "#a30000"; // 7:1 on white, as the page's error colour
const SCALE_MAX_PX = 150;

// Texts of the image for the values response `data` (pure: no drawing, no map), so that the
// page and its tests read the same lines the canvas shows.
export function imageTexts(data, today = new Date()) {
  const ind = data.indicator;
  const level = data.level.name;
  const name = nameWithUnit(ind.name, ind.unit);
  let title;
  let stichtag;
  if (data.compare) {
    title = interpolate(gettext("%(name)s: Veränderung nach %(level)s"), { name, level });
    stichtag = interpolate(gettext("Veränderung vom %(from)s zum %(to)s"),
      { from: formatDate(data.compare), to: formatDate(data.period) });
  } else {
    title = interpolate(gettext("%(name)s nach %(level)s"), { name, level });
    stichtag = interpolate(gettext("Stichtag: %(date)s"), { date: formatDate(data.period) });
  }
  const legend = data.legend.map((e, i) => ({
    colour: e.colour,
    label: `${classLabel(e, i, ind.decimals, ind.unit)} (${e.count})`,
  }));
  // As the page's legend: "keine Daten" and "geheim" are always listed, with their counts.
  legend.push({ colour: data.missing.colour, label: `${gettext("keine Daten")} (${data.missing.count})` });
  legend.push({ colour: data.suppressed.colour, label: `${gettext("geheim (•)")} (${data.suppressed.count})` });
  const source = ind.source ? interpolate(gettext("Quelle: %(source)s"), { source: ind.source }) : "";
  const credit = `${gettext("Erstellt mit Quartier")} · ${today.toLocaleDateString(document.documentElement.lang || "de")}`;
  const confidential = Boolean(data.confidential);
  const mark = confidential ? gettext("VERTRAULICH") : "";
  const footer = confidential
    ? gettext("VERTRAULICH: Die Karte zeigt Werte, die wegen kleiner Fallzahlen für andere geheim sind. Nicht weitergeben und nicht veröffentlichen.")
    : "";
  const lines = [mark ? `${mark} – ${title}` : title, stichtag, source, credit, footer].filter(Boolean);
  return { confidential, mark, title, stichtag, legend, source, credit, footer, lines };
}

// The round length Leaflet's scale control would show for at most `maxMetres` (1, 2, 3, 5 × 10ⁿ).
function roundMetres(maxMetres) {
  const pow10 = 10 ** Math.floor(Math.log10(maxMetres));
  const d = maxMetres / pow10;
  return pow10 * (d >= 10 ? 10 : d >= 5 ? 5 : d >= 3 ? 3 : d >= 2 ? 2 : 1);
}

// A scale bar of at most `maxPx` pixels for `metresPerPx` (pure): its length in metres,
// its width in pixels and its label ("500 m", "2 km").
export function scaleBar(metresPerPx, maxPx = SCALE_MAX_PX) {
  const metres = roundMetres(metresPerPx * maxPx);
  const label = metres < 1000 ? `${formatNumber(metres)} m` : `${formatNumber(metres / 1000)} km`;
  return { metres, width: Math.round(metres / metresPerPx), label };
}

// Metres per screen pixel across the middle of the map, measured as Leaflet's scale control
// does (the distance between two container points at the current zoom and latitude).
function screenMetresPerPx(map) {
  const y = map.getSize().y / 2;
  const width = Math.max(1, Math.min(100, map.getSize().x));
  return map.distance(map.containerPointToLatLng([0, y]), map.containerPointToLatLng([width, y])) / width;
}

function drawMap(ctx, view, layout, toImage) {
  const { geometry, colours, parentGeometry } = view;
  const { x, y, w, h } = layout.map;
  ctx.save();
  ctx.fillStyle = "#f4f6f8";
  ctx.fillRect(x, y, w, h);
  ctx.beginPath();
  ctx.rect(x, y, w, h);
  ctx.clip();
  // One path per colour (80,000 areas are a handful of fills), the outlines by stroking them.
  const groups = new Map(); // colour -> paths of at most 256 areas each
  for (let i = 0; i < geometry.codes.length; i += 1) {
    if (!toImage.visible(geometry, i)) continue;
    let group = groups.get(colours[i]);
    if (!group) { group = { paths: [], count: 0 }; groups.set(colours[i], group); }
    if (group.count % 256 === 0) group.paths.push(new Path2D());
    group.count += 1;
    toImage.trace(group.paths[group.paths.length - 1], geometry, i);
  }
  for (const [colour, group] of groups) {
    ctx.fillStyle = colour;
    for (const path of group.paths) ctx.fill(path, "evenodd");
  }
  ctx.strokeStyle = "rgba(60,60,60,0.6)";
  ctx.lineWidth = 0.5;
  for (const group of groups.values()) for (const path of group.paths) ctx.stroke(path);
  if (parentGeometry) {
    const path = new Path2D();
    for (let i = 0; i < parentGeometry.codes.length; i += 1) {
      if (toImage.visible(parentGeometry, i)) toImage.trace(path, parentGeometry, i);
    }
    ctx.strokeStyle = INK;
    ctx.lineWidth = 2;
    ctx.stroke(path);
  }
  ctx.restore();
  ctx.strokeStyle = "#8a949e";
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
}

const LABEL_FONT = `600 12px ${FONT}`;

// Area names where they fit their area, larger areas first, never overlapping (labels.js).
function drawLabels(ctx, geometry, layout, toImage) {
  const { x, y, w, h } = layout.map;
  const candidates = [];
  geometry.labels.forEach((ll, i) => {
    const [px, py] = toImage(ll);
    if (px < x || px > x + w || py < y || py > y + h) return;
    const b = geometry.box;
    candidates.push({ i, x: px, y: py, width: labelWidth(geometry.names[i], LABEL_FONT), height: 14,
      roomX: (b[4 * i + 2] - b[4 * i]) * toImage.a, roomY: (b[4 * i + 3] - b[4 * i + 1]) * toImage.a });
  });
  const placed = placeLabels(candidates);
  ctx.save();
  ctx.font = LABEL_FONT;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.lineJoin = "round";
  for (const i of placed) {
    const [px, py] = toImage(geometry.labels[i]);
    ctx.strokeStyle = "rgba(255,255,255,0.9)"; // a halo keeps the name legible on dark classes
    ctx.lineWidth = 3;
    ctx.strokeText(geometry.names[i], px, py);
    ctx.fillStyle = INK;
    ctx.fillText(geometry.names[i], px, py);
  }
  ctx.restore();
  return placed.length;
}

function drawScaleBar(ctx, bar, layout) {
  const x = layout.map.x + 12;
  const y = layout.map.y + layout.map.h - 14;
  ctx.save();
  ctx.font = `13px ${FONT}`;
  ctx.fillStyle = "rgba(255,255,255,0.85)";
  ctx.fillRect(x - 6, y - 26, Math.max(bar.width, ctx.measureText(bar.label).width) + 12, 34);
  ctx.strokeStyle = INK;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x, y - 6);
  ctx.lineTo(x, y);
  ctx.lineTo(x + bar.width, y);
  ctx.lineTo(x + bar.width, y - 6);
  ctx.stroke();
  ctx.fillStyle = INK;
  ctx.fillText(bar.label, x, y - 10);
  ctx.restore();
}

// Legend column: heading, one swatch and label per class, "keine Daten", "geheim".
function drawLegend(ctx, texts, left, top) {
  let y = top + 20;
  ctx.fillStyle = INK;
  ctx.font = `bold 20px ${FONT}`;
  ctx.fillText(gettext("Legende"), left, y);
  ctx.font = `16px ${FONT}`;
  for (const { colour, label } of texts.legend) {
    y += LINE_H;
    ctx.fillStyle = colour;
    ctx.fillRect(left, y - 18, 28, 22);
    ctx.strokeStyle = "#555555";
    ctx.lineWidth = 1;
    ctx.strokeRect(left, y - 18, 28, 22);
    ctx.fillStyle = INK;
    ctx.fillText(label, left + 38, y);
  }
  return y + 20 - top;
}

function sourceLine(texts) {
  return [texts.source, texts.credit].filter(Boolean).join(" · ");
}

function legendHeight(texts) {
  return 40 + texts.legend.length * LINE_H;
}

// Where everything goes: the map keeps the view's aspect ratio (at most MAP_MAX_W × MAP_MAX_H),
// the legend stands right of it, title above, source and VERTRAULICH below.
function imageLayout(view, texts, ctx) {
  const size = view.map.getSize();
  const scale = Math.min(MAP_MAX_W / size.x, MAP_MAX_H / size.y);
  const w = Math.round(size.x * scale);
  const h = Math.round(size.y * scale);
  const bodyH = Math.max(h, legendHeight(texts));
  const footerH = texts.footer ? 96 : 64;
  ctx.font = `bold 26px ${FONT}`;
  const titleW = ctx.measureText(texts.lines[0]).width;
  ctx.font = `bold 15px ${FONT}`;
  const footerW = ctx.measureText(texts.footer).width;
  ctx.font = `14px ${FONT}`;
  const sourceW = ctx.measureText(sourceLine(texts)).width;
  // Long category names widen the legend column rather than run off the image.
  ctx.font = `16px ${FONT}`;
  const legendW = Math.max(LEGEND_W, 38 + Math.max(...texts.legend.map((e) => ctx.measureText(e.label).width)) + 10);
  const width = Math.ceil(Math.max(PAD + w + LEGEND_GAP + legendW + PAD, titleW + 2 * PAD,
    footerW + 2 * PAD, sourceW + 2 * PAD));
  return {
    scale, width, height: HEADER_H + bodyH + footerH,
    map: { x: PAD, y: HEADER_H, w, h },
    legend: { x: PAD + w + LEGEND_GAP, y: HEADER_H },
    footer: { y: HEADER_H + bodyH },
  };
}

// view: { map, geometry, colours, values, parentGeometry }; options.labels draws area names.
// Returns the canvas and what was drawn where (for tests and the download's name).
export function exportPng(view, { labels = false } = {}) {
  const texts = imageTexts(view.values);
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  const layout = imageLayout(view, texts, ctx);
  canvas.width = layout.width;
  canvas.height = layout.height;
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, layout.width, layout.height);

  const { map } = view;
  const origin = map.containerPointToLayerPoint([0, 0]).add(map.getPixelOrigin());
  const toImage = (ll) => {
    const p = map.project(ll, map.getZoom());
    return [layout.map.x + (p.x - origin.x) * layout.scale, layout.map.y + (p.y - origin.y) * layout.scale];
  };
  // The same mapping for the decoded levels' world px (geometry.js): image = a * world + b.
  const k = 2 ** map.getZoom();
  toImage.a = k * layout.scale;
  const bx = layout.map.x - origin.x * layout.scale;
  const by = layout.map.y - origin.y * layout.scale;
  const { x: mx, y: my, w: mw, h: mh } = layout.map;
  toImage.visible = (geometry, i) => {
    const b = geometry.box;
    return b[4 * i] * toImage.a + bx <= mx + mw && b[4 * i + 2] * toImage.a + bx >= mx
      && b[4 * i + 1] * toImage.a + by <= my + mh && b[4 * i + 3] * toImage.a + by >= my;
  };
  toImage.trace = (path, geometry, i) => traceArea(path, geometry, i, toImage.a, bx, toImage.a, by, 0.25);
  drawMap(ctx, view, layout, toImage);
  const labelCount = labels ? drawLabels(ctx, view.geometry, layout, toImage) : 0;
  const bar = scaleBar(screenMetresPerPx(map) / layout.scale);
  drawScaleBar(ctx, bar, layout);
  drawLegend(ctx, texts, layout.legend.x, layout.legend.y);

  // Title band: VERTRAULICH first, in the alert colour, then the title and the Stichtag.
  ctx.font = `bold 26px ${FONT}`;
  let x = PAD;
  if (texts.mark) {
    ctx.fillStyle = ALERT;
    const mark = `${texts.mark} – `;
    ctx.fillText(mark, x, 44);
    x += ctx.measureText(mark).width;
  }
  ctx.fillStyle = INK;
  ctx.fillText(texts.title, x, 44);
  ctx.font = `18px ${FONT}`;
  ctx.fillStyle = MUTED;
  ctx.fillText(texts.stichtag, PAD, 78);

  // Footer: source and credit; below, for unprotected values, the VERTRAULICH line.
  let y = layout.footer.y + 34;
  ctx.font = `14px ${FONT}`;
  ctx.fillStyle = MUTED;
  ctx.fillText(sourceLine(texts), PAD, y);
  if (texts.footer) {
    y += 32;
    ctx.font = `bold 15px ${FONT}`;
    ctx.fillStyle = ALERT;
    ctx.fillText(texts.footer, PAD, y);
  }
  return { canvas, texts, layout, scaleBar: bar, labels: labelCount };
}

export function downloadCanvas(canvas, filename) {
  canvas.toBlob((blob) => {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }, "image/png");
}
