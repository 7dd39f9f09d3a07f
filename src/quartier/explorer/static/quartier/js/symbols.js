// Facility symbols: one shape and colour per layer (set by the server), drawn as SVG so
// that the map, the checkboxes and the legend show the same mark.

const SVG = "http://www.w3.org/2000/svg";

// Shapes in a 16 × 16 box, white outline for contrast on any fill colour.
const SHAPES = {
  circle: (e) => e("circle", { cx: 8, cy: 8, r: 5.5 }),
  square: (e) => e("rect", { x: 2.5, y: 2.5, width: 11, height: 11 }),
  triangle: (e) => e("polygon", { points: "8,1.5 14.5,14 1.5,14" }),
  diamond: (e) => e("polygon", { points: "8,1 15,8 8,15 1,8" }),
  pentagon: (e) => e("polygon", { points: "8,1.5 14.5,6.2 12,14 4,14 1.5,6.2" }),
  star: (e) => e("polygon", { points: "8,1 10,6 15,6 11,9.5 12.5,15 8,11.8 3.5,15 5,9.5 1,6 6,6" }),
};

export function symbolSvg(shape, colour, size = 16) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const element = (name, attrs) => {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    return el;
  };
  const mark = (SHAPES[shape] || SHAPES.circle)(element);
  mark.setAttribute("fill", colour);
  mark.setAttribute("stroke", "#ffffff");
  mark.setAttribute("stroke-width", "1.5");
  svg.append(mark);
  return svg;
}

// Fill every <span class="facility-symbol" data-shape data-colour> of the page.
export function drawSymbols(root = document) {
  root.querySelectorAll(".facility-symbol").forEach((span) => {
    span.replaceChildren(symbolSvg(span.dataset.shape, span.dataset.colour));
  });
}
