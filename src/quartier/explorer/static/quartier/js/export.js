// Map export as PNG: the current view redrawn on a canvas with title, legend and source line.
import { classLabel } from "./legend.js";
import { gettext, interpolate } from "./format.js";

const WIDTH = 1400;
const HEIGHT = 1000;
const MAP_W = 1000;

function drawRings(ctx, map, shape, origin, scale) {
  ctx.beginPath();
  for (const polygon of shape) {
    for (const ring of polygon) {
      ring.forEach(([lat, lng], i) => {
        const p = map.project([lat, lng], map.getZoom());
        const x = (p.x - origin.x) * scale;
        const y = 80 + (p.y - origin.y) * scale;
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.closePath();
    }
  }
}

export function exportPng(map, geometry, colours, data, title, parentGeometry) {
  const canvas = document.createElement("canvas");
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, WIDTH, HEIGHT);
  const bounds = map.getPixelBounds();
  const scale = Math.min(MAP_W / (bounds.max.x - bounds.min.x), (HEIGHT - 140) / (bounds.max.y - bounds.min.y));
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 80, MAP_W, HEIGHT - 140);
  ctx.clip();
  geometry.shapes.forEach((shape, i) => {
    drawRings(ctx, map, shape, bounds.min, scale);
    ctx.fillStyle = colours[i];
    ctx.fill("evenodd");
    ctx.strokeStyle = "rgba(60,60,60,0.6)";
    ctx.lineWidth = 0.5;
    ctx.stroke();
  });
  if (parentGeometry) {
    ctx.strokeStyle = "#222222";
    ctx.lineWidth = 2;
    for (const shape of parentGeometry.shapes) {
      drawRings(ctx, map, shape, bounds.min, scale);
      ctx.stroke();
    }
  }
  ctx.restore();
  ctx.fillStyle = "#1b1f24";
  ctx.font = "bold 28px system-ui, sans-serif";
  ctx.fillText(title, 24, 48);
  let y = 120;
  ctx.font = "bold 20px system-ui, sans-serif";
  ctx.fillText(gettext("Legende"), MAP_W + 30, y);
  ctx.font = "16px system-ui, sans-serif";
  const { decimals, unit } = data.indicator;
  const entries = data.legend.map((e, i) => [e.colour, `${classLabel(e, i, decimals, unit)} (${e.count})`]);
  entries.push([data.missing.colour, `${gettext("keine Daten")} (${data.missing.count})`]);
  if (data.suppressed.count) entries.push([data.suppressed.colour, `${gettext("geheim (•)")} (${data.suppressed.count})`]);
  for (const [colour, label] of entries) {
    y += 34;
    ctx.fillStyle = colour;
    ctx.fillRect(MAP_W + 30, y - 18, 28, 22);
    ctx.strokeStyle = "#555555";
    ctx.strokeRect(MAP_W + 30, y - 18, 28, 22);
    ctx.fillStyle = "#1b1f24";
    ctx.fillText(label, MAP_W + 68, y);
  }
  ctx.font = "14px system-ui, sans-serif";
  ctx.fillStyle = "#4a5560";
  const source = data.indicator.source ? interpolate(gettext("Quelle: %(source)s"), { source: data.indicator.source }) : "";
  ctx.fillText(`${source}${source ? " · " : ""}${gettext("Erstellt mit Quartier")} · ${new Date().toLocaleDateString(document.documentElement.lang || "de")}`, 24, HEIGHT - 24);
  return canvas;
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
