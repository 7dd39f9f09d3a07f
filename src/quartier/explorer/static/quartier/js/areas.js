// All areas of a level as ONE Leaflet layer on its own canvas (issue 15): one L.polygon per
// area made 80,000 Leaflet layers, each projected, styled and filled on its own (and a canvas
// fill costs about the same for a 4-pixel block as for a large one). This layer instead
// projects a level's rings once per zoom (leaving out vertices closer than a pixel) and, once
// per view, rasterizes the areas in view into an index image (which area covers which canvas
// pixel) and strokes all outlines once onto an offscreen canvas. Colouring the map is then
// one pass over the pixels: index -> colour. A new indicator repaints in a few milliseconds
// whatever the number of areas; panning or zooming costs one rasterization.
//
// The area under the mouse is found through a grid of area boxes and a point-in-polygon
// test; the layer fires Leaflet's mouse events, so tooltips and clicks bind as to any layer.
import { gridIndex } from "./geometry.js";

const TOLERANCE = 0.8; // px: vertices closer than this to the last one kept are left out
const FILL_ALPHA = Math.round(0.85 * 255); // the areas' fill opacity, as before
const AREA_STROKE = { weight: 0.6, color: "#5a5a5a" };
const OUTLINE_STROKE = { weight: 2.2, color: "#1b1f24" };
const HIGHLIGHT_STROKE = { weight: 3.5, color: "#000000" };
const NO_VALUE = "#cfcfcf";
const PATH_AREAS = 256; // areas per Path2D: strokes of smaller paths are faster (measured)

// Projected, simplified rings of a decoded level at one zoom and pixel origin (layer px).
function project(geometry, zoom, origin) {
  const k = 2 ** zoom;
  const { xy, ringStart } = geometry;
  const rings = ringStart.length - 1;
  const pts = new Float32Array(xy.length);
  const start = new Uint32Array(rings + 1);
  const t2 = TOLERANCE * TOLERANCE;
  const ox = origin.x;
  const oy = origin.y;
  let out = 0;
  for (let r = 0; r < rings; r += 1) {
    start[r] = out;
    const end = ringStart[r + 1];
    let v = ringStart[r];
    if (v >= end) continue;
    let lx = xy[2 * v] * k - ox;
    let ly = xy[2 * v + 1] * k - oy;
    pts[2 * out] = lx; pts[2 * out + 1] = ly; out += 1;
    for (v += 1; v < end; v += 1) {
      const x = xy[2 * v] * k - ox;
      const y = xy[2 * v + 1] * k - oy;
      const dx = x - lx;
      const dy = y - ly;
      if (dx * dx + dy * dy < t2 && v < end - 1) continue;
      pts[2 * out] = x; pts[2 * out + 1] = y; out += 1;
      lx = x; ly = y;
    }
  }
  start[rings] = out;
  return { key: `${zoom}|${ox}|${oy}`, k, ox, oy, pts, start };
}

// Add area i's rings to a path. Each ring ends with a line back to its first point rather
// than closePath(): Chromium's Path2D.closePath() grows with the subpaths already in the
// path (80,000 rings took over a minute, measured); the round line joins close the gap.
function trace(path, geometry, proj, i) {
  const { pts, start } = proj;
  const { areaRing } = geometry;
  for (let r = areaRing[i]; r < areaRing[i + 1]; r += 1) {
    const end = start[r + 1];
    let v = start[r];
    if (v >= end) continue;
    const x0 = pts[2 * v];
    const y0 = pts[2 * v + 1];
    path.moveTo(x0, y0);
    for (v += 1; v < end; v += 1) path.lineTo(pts[2 * v], pts[2 * v + 1]);
    path.lineTo(x0, y0);
  }
}

// Is area i's box (world px) in the layer-px bounds b at projection proj?
function inView(geometry, proj, i, b) {
  const { box } = geometry;
  const { k, ox, oy } = proj;
  return box[4 * i] * k - ox <= b.max.x && box[4 * i + 2] * k - ox >= b.min.x
    && box[4 * i + 1] * k - oy <= b.max.y && box[4 * i + 3] * k - oy >= b.min.y;
}

// The index image: for each pixel of a w × h canvas whose pixel (0, 0) is at layer point
// `min` and which has m pixels per layer px, 1 + the area whose interior holds the pixel's
// centre (even-odd over its rings, as a canvas fills), 0 for none. Scanlines per area.
function rasterize(geometry, proj, visible, min, m, w, h) {
  const index = new Int32Array(w * h);
  const { pts, start } = proj;
  const { areaRing } = geometry;
  let xs = new Float64Array(64);
  for (const i of visible) {
    const v0 = start[areaRing[i]];
    const v1 = start[areaRing[i + 1]];
    let top = Infinity;
    let bottom = -Infinity;
    for (let v = v0; v < v1; v += 1) {
      const y = (pts[2 * v + 1] - min.y) * m;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
    const rowA = Math.max(0, Math.ceil(top - 0.5));
    const rowB = Math.min(h - 1, Math.floor(bottom - 0.5));
    const fill = i + 1;
    for (let row = rowA; row <= rowB; row += 1) {
      const yc = row + 0.5;
      let n = 0;
      for (let r = areaRing[i]; r < areaRing[i + 1]; r += 1) {
        const s = start[r];
        const e = start[r + 1];
        if (e - s < 3) continue;
        let px = (pts[2 * (e - 1)] - min.x) * m;
        let py = (pts[2 * (e - 1) + 1] - min.y) * m;
        for (let v = s; v < e; v += 1) {
          const x = (pts[2 * v] - min.x) * m;
          const y = (pts[2 * v + 1] - min.y) * m;
          if ((y > yc) !== (py > yc)) {
            if (n === xs.length) { const more = new Float64Array(2 * n); more.set(xs); xs = more; }
            xs[n] = px + ((yc - py) * (x - px)) / (y - py);
            n += 1;
          }
          px = x;
          py = y;
        }
      }
      for (let a = 1; a < n; a += 1) { // insertion sort: a few crossings per row
        const x = xs[a];
        let b = a - 1;
        while (b >= 0 && xs[b] > x) { xs[b + 1] = xs[b]; b -= 1; }
        xs[b + 1] = x;
      }
      const base = row * w;
      for (let a = 0; a + 1 < n; a += 2) {
        const c0 = Math.max(0, Math.ceil(xs[a] - 0.5));
        const c1 = Math.min(w, Math.ceil(xs[a + 1] - 0.5));
        for (let c = c0; c < c1; c += 1) index[base + c] = fill;
      }
    }
  }
  return index;
}

// Mark the pixels on an area's right or lower edge (or next to nothing) by adding `offset`
// to their index: they take the outline colour (edgeWord) when painted.
function markEdges(index, w, h, offset) {
  for (let row = 0; row < h; row += 1) {
    const base = row * w;
    for (let c = 0; c < w; c += 1) {
      const p = base + c;
      const i = index[p];
      if (i === 0) continue;
      if ((c + 1 < w && index[p + 1] !== i) || (row + 1 < h && index[p + w] !== i)
        || (c > 0 && index[p - 1] === 0) || (row > 0 && index[p - w] === 0)) index[p] = i + offset;
    }
  }
}

// Where the parent level's index changes between neighbouring pixels, both pixels (a line
// 2 px wide) get `value`, the parent outline's slot in the colour table.
function markParentEdges(index, parentIndex, w, h, value) {
  for (let row = 0; row < h; row += 1) {
    const base = row * w;
    for (let c = 0; c < w; c += 1) {
      const p = base + c;
      const i = parentIndex[p];
      if (c + 1 < w && parentIndex[p + 1] !== i) { index[p] = value; index[p + 1] = value; }
      if (row + 1 < h && parentIndex[p + w] !== i) { index[p] = value; index[p + w] = value; }
    }
  }
}

// The outline (#5a5a5a, covering 60 % of a pixel as the 0.6 px stroke did) over a fill word.
const EDGE = { r: 0x5a, g: 0x5a, b: 0x5a, cover: 0.6 };
function edgeWord(fill) {
  const fa = (fill >>> 24) / 255;
  const a = EDGE.cover + (1 - EDGE.cover) * fa;
  const mix = (shift, s) => Math.round((EDGE.cover * s + (1 - EDGE.cover) * fa * ((fill >>> shift) & 255)) / a);
  return ((Math.round(a * 255) << 24) | (mix(16, EDGE.b) << 16) | (mix(8, EDGE.g) << 8) | mix(0, EDGE.r)) >>> 0;
}

// A CSS colour as the 32-bit RGBA word of ImageData (little-endian), with the fill alpha.
const colourWords = new Map();
let colourContext = null;
function colourWord(colour, alpha = FILL_ALPHA) {
  const key = alpha === FILL_ALPHA ? colour : `${colour}|${alpha}`;
  let word = colourWords.get(key);
  if (word !== undefined) return word;
  if (!colourContext) colourContext = document.createElement("canvas").getContext("2d");
  colourContext.fillStyle = "#000000";
  colourContext.fillStyle = colour; // normalizes any CSS colour to #rrggbb or rgba(…)
  const text = colourContext.fillStyle;
  let rgba;
  if (text.startsWith("#")) rgba = [1, 3, 5].map((j) => parseInt(text.slice(j, j + 2), 16)).concat(1);
  else rgba = text.slice(text.indexOf("(") + 1, -1).split(",").map(Number);
  const a = Math.round(alpha * (rgba[3] ?? 1));
  word = ((a << 24) | (rgba[2] << 16) | (rgba[1] << 8) | rgba[0]) >>> 0;
  colourWords.set(key, word);
  return word;
}

let AreaCanvas = null;

function defineClass() {
  // Built on L.Canvas for what it already does right: the canvas in the overlay pane, its
  // size and position (with padding) after every move, zoom animation, retina, and DOM
  // mouse events forwarded to the map. Its per-layer drawing and hit testing are replaced.
  return L.Canvas.extend({
    // pixelOutlines: from this many areas in view on, outlines are drawn as pixel edges.
    options: { padding: 0.3, pixelOutlines: 10000 },

    initialize(options) {
      L.Canvas.prototype.initialize.call(this, options);
      this._geometry = null;
      this._parent = null;
      this._colours = null;
      this._selected = -1;
      this._hovered = -1;
      this._proj = null;
      this._parentProj = null;
      this._frame = null;
      this._grid = null;
    },

    // The level's decoded geometry (geometry.js); areas grey until setColours.
    setAreas(geometry) {
      this._geometry = geometry;
      this._colours = null;
      this._selected = -1;
      this._hovered = -1;
      this._proj = null;
      this._frame = null;
      this._grid = null;
      this._requestDraw();
      return this;
    },

    // The parent level's decoded geometry, drawn as outlines (null: none).
    setOutlines(geometry) {
      this._parent = geometry;
      this._parentProj = null;
      this._frame = null;
      this._requestDraw();
      return this;
    },

    // Fill colour per area (same order as the geometry); the map is repainted at once.
    setColours(colours) {
      this._colours = colours;
      this.redrawNow();
      return this;
    },

    // Outline area i thick and black on top of everything (-1: none).
    setSelected(i) {
      if (i === this._selected) return this;
      this._selected = i;
      this._requestDraw();
      return this;
    },

    // Index of the area under the mouse, or -1.
    hoveredIndex() {
      return this._hovered;
    },

    // Index of the area at a layer point of the current view, or -1.
    indexAt(layerPoint) {
      if (!this._geometry || !this._map) return -1;
      if (!this._grid) this._grid = gridIndex(this._geometry);
      const origin = this._map.getPixelOrigin();
      const k = 2 ** this._map.getZoom();
      return this._grid.at((layerPoint.x + origin.x) / k, (layerPoint.y + origin.y) / k);
    },

    // Paint now rather than in the next animation frame (the first map, a new colouring).
    redrawNow() {
      if (!this._map || !this._ctx) return;
      this._redraw();
    },

    _requestDraw() {
      if (!this._map || this._redrawRequest) return;
      this._redrawRequest = L.Util.requestAnimFrame(this._redraw, this);
    },

    // Leaflet sizes and moves the canvas here; remember for which zoom and pixel origin, as
    // the canvas's coordinates are layer px of that view (not of a zoom still animating).
    // As L.Canvas, but the first paint waits for the next frame (or setColours): a level's
    // grey areas are not worth painting when their colours follow in the same task.
    onAdd() {
      L.Renderer.prototype.onAdd.call(this);
      this._requestDraw();
    },

    _update() {
      if (this._map._animatingZoom && this._bounds) return;
      this._viewZoom = this._map.getZoom();
      this._viewOrigin = this._map.getPixelOrigin();
      L.Canvas.prototype._update.call(this);
    },

    _updatePaths() {
      if (this._postponeUpdatePaths) return;
      this._frame = null; // another part of the map is in view
      // At once, as L.Canvas does: the canvas was just cleared, and "beforeprint" moves the
      // map right before the page is printed, with no animation frame in between.
      this._redraw();
    },

    _redraw() {
      if (this._redrawRequest) L.Util.cancelAnimFrame(this._redrawRequest);
      this._redrawRequest = null;
      this._redrawBounds = null;
      this._draw();
    },

    // What one view needs, whatever the colours: the index image and the outlines (all
    // areas' strokes and the parent level's) on an offscreen canvas of the same size.
    _buildFrame() {
      const geometry = this._geometry;
      const key = `${this._viewZoom}|${this._viewOrigin.x}|${this._viewOrigin.y}`;
      if (!this._proj || this._proj.key !== key) this._proj = project(geometry, this._viewZoom, this._viewOrigin);
      const proj = this._proj;
      const b = this._bounds;
      const w = this._container.width;
      const h = this._container.height;
      const m = w / Math.max(1, b.max.x - b.min.x);
      const visible = [];
      const n = geometry.codes.length;
      for (let i = 0; i < n; i += 1) if (inView(geometry, proj, i, b)) visible.push(i);
      // The index image has one pixel per CSS px even on a retina canvas (a quarter of the
      // memory and work); the outlines drawn over it are at full resolution.
      const iw = Math.max(1, Math.round(b.max.x - b.min.x));
      const ih = Math.max(1, Math.round(b.max.y - b.min.y));
      const index = rasterize(geometry, proj, visible, b.min, 1, iw, ih);
      // Many areas in view (the whole city of 80,000 blocks): stroking every outline cost more
      // than everything else together (a quarter second, measured); their outlines are then
      // the index image's edges, a pixel wide, coloured with the fills.
      const pixelEdges = visible.length >= this.options.pixelOutlines;
      if (pixelEdges) markEdges(index, iw, ih, n + 1);
      let fills = null;
      if (iw !== w || ih !== h) {
        fills = document.createElement("canvas");
        fills.width = iw;
        fills.height = ih;
      }

      const parent = this._parent;
      if (parent && (!this._parentProj || this._parentProj.key !== key)) {
        this._parentProj = project(parent, this._viewZoom, this._viewOrigin);
      }
      const parentInView = [];
      for (let i = 0; parent && i < parent.codes.length; i += 1) {
        if (inView(parent, this._parentProj, i, b)) parentInView.push(i);
      }
      if (pixelEdges) {
        // The parent level's outlines as pixel edges too (2 px): its 2.2 px strokes took
        // 100–200 ms over 80,000 blocks on their own (measured).
        if (parent) markParentEdges(index, rasterize(parent, this._parentProj, parentInView, b.min, 1, iw, ih), iw, ih, 2 * (n + 1));
        return { index, lines: null, fills, w, h, image: new ImageData(iw, ih), painted: undefined };
      }
      const lines = document.createElement("canvas");
      lines.width = w;
      lines.height = h;
      const ctx = lines.getContext("2d");
      ctx.setTransform(m, 0, 0, m, -b.min.x * m, -b.min.y * m);
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.lineWidth = AREA_STROKE.weight;
      ctx.strokeStyle = AREA_STROKE.color;
      for (let a = 0; a < visible.length; a += PATH_AREAS) {
        const path = new Path2D();
        for (let j = a; j < Math.min(visible.length, a + PATH_AREAS); j += 1) trace(path, geometry, proj, visible[j]);
        ctx.stroke(path);
      }
      if (parent) {
        ctx.lineWidth = OUTLINE_STROKE.weight;
        ctx.strokeStyle = OUTLINE_STROKE.color;
        for (let a = 0; a < parentInView.length; a += PATH_AREAS) {
          const path = new Path2D();
          for (let j = a; j < Math.min(parentInView.length, a + PATH_AREAS); j += 1) trace(path, parent, this._parentProj, parentInView[j]);
          ctx.stroke(path);
        }
      }
      return { index, lines, fills, w, h, image: new ImageData(iw, ih), painted: undefined };
    },

    // Colour the index image: one lookup per pixel.
    _paint(frame) {
      const n = this._geometry.codes.length;
      // Fills, fills under an area's edge pixel, the parent level's outline colour.
      const table = new Uint32Array(2 * (n + 1) + 1);
      table[2 * (n + 1)] = colourWord(OUTLINE_STROKE.color, 255);
      const colours = this._colours;
      for (let i = 0; i < n; i += 1) {
        const word = colourWord(colours ? colours[i] : NO_VALUE);
        table[i + 1] = word;
        table[n + 2 + i] = edgeWord(word);
      }
      const out = new Uint32Array(frame.image.data.buffer);
      const { index } = frame;
      for (let p = 0; p < index.length; p += 1) out[p] = table[index[p]];
      frame.painted = colours;
    },

    _draw() {
      if (!this._geometry || !this._map || !this._bounds || this._viewZoom === undefined) return;
      if (!this._frame) this._frame = this._buildFrame();
      const frame = this._frame;
      if (frame.painted !== this._colours) this._paint(frame);
      const ctx = this._ctx;
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0); // the images are in canvas pixels already
      ctx.clearRect(0, 0, frame.w, frame.h);
      if (frame.fills) {
        frame.fills.getContext("2d").putImageData(frame.image, 0, 0);
        ctx.imageSmoothingEnabled = false; // sharp area edges, as the index image has them
        ctx.drawImage(frame.fills, 0, 0, frame.w, frame.h);
      } else {
        ctx.putImageData(frame.image, 0, 0);
      }
      if (frame.lines) ctx.drawImage(frame.lines, 0, 0);
      ctx.restore();
      const i = this._selected;
      if (i >= 0 && i < this._geometry.codes.length) {
        const path = new Path2D();
        trace(path, this._geometry, this._proj, i);
        ctx.save();
        ctx.lineCap = "round";
        ctx.lineJoin = "round";
        ctx.lineWidth = HIGHLIGHT_STROKE.weight;
        ctx.strokeStyle = HIGHLIGHT_STROKE.color;
        ctx.stroke(path);
        ctx.restore();
      }
    },

    _onClick(e) {
      const i = this.indexAt(this._map.mouseEventToLayerPoint(e));
      const hit = i >= 0 && !((e.type === "click" || e.type === "preclick") && this._map._draggableMoved(this));
      this._fireEvent(hit ? [this] : false, e);
    },

    _handleMouseOut(e) {
      this._pendingHover = null;
      if (this._hovered >= 0) {
        L.DomUtil.removeClass(this._container, "leaflet-interactive");
        this._fireEvent([this], e, "mouseout");
        this._hovered = -1;
        this._mouseHoverThrottled = false;
      }
    },

    _handleMouseHover(e, point) {
      if (this._mouseHoverThrottled) {
        // Unlike L.Canvas, the last move in a throttled spell is handled when it ends: the
        // pointer may stop there, over another area than the one the tooltip names.
        this._pendingHover = [e, point];
        return;
      }
      const i = this.indexAt(point);
      if (i !== this._hovered) {
        this._handleMouseOut(e);
        if (i >= 0) {
          L.DomUtil.addClass(this._container, "leaflet-interactive"); // the pointer cursor
          this._hovered = i;
          this._fireEvent([this], e, "mouseover");
        }
      }
      this._fireEvent(this._hovered >= 0 ? [this] : false, e);
      this._mouseHoverThrottled = true;
      setTimeout(() => {
        this._mouseHoverThrottled = false;
        const pending = this._pendingHover;
        this._pendingHover = null;
        if (pending && this._map) this._handleMouseHover(...pending);
      }, 32);
    },
  });
}

// A new area layer (add it to the map like any layer).
export function areaLayer(options = {}) {
  if (!AreaCanvas) AreaCanvas = defineClass();
  return new AreaCanvas(options);
}
