// Area labels that neither overlap nor spill out of their area.

let measureContext = null;

// Width in px of a label as .area-label draws it (600 11px, the page's font).
export function labelWidth(text, font) {
  if (!measureContext) measureContext = document.createElement("canvas").getContext("2d");
  measureContext.font = font;
  return measureContext.measureText(text).width;
}

// candidates: [{ i, x, y, width, height, roomX, roomY }] in screen px (x, y: the label's
// centre; room: the area's drawn size). Larger areas first; a label is placed only if it
// fits its area and keeps `gap` px from every label placed before. Returns their i.
export function placeLabels(candidates, { gap = 4, limit = 150 } = {}) {
  const placed = [];
  const order = candidates
    .filter((c) => c.roomX >= c.width + 4 && c.roomY >= c.height + 2)
    .sort((a, b) => b.roomX * b.roomY - a.roomX * a.roomY);
  for (const c of order) {
    if (placed.length >= limit) break;
    const box = { i: c.i, left: c.x - c.width / 2 - gap, right: c.x + c.width / 2 + gap,
      top: c.y - c.height / 2 - gap, bottom: c.y + c.height / 2 + gap };
    const overlaps = placed.some((p) => p.left < box.right && box.left < p.right
      && p.top < box.bottom && box.top < p.bottom);
    if (!overlaps) placed.push(box);
  }
  return placed.map((p) => p.i);
}
