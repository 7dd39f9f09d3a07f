// All areas of a level as ONE Leaflet layer on its own canvas (issue 15): one L.polygon per
// area made 80,000 Leaflet layers, each projected, styled and drawn on its own. This layer
// projects a level's rings once per zoom (leaving out vertices closer than a pixel), keeps
// only the areas in view, and paints by colour: one path and one fill per legend colour, the
// outlines of all areas by stroking the same paths, then the parent level's outlines and the
// selected area on top. The area under the mouse is found through a grid of area boxes and a
// point-in-polygon test; it fires Leaflet's mouse events, so tooltips bind as to any layer.
import { gridIndex } from "./geometry.js";

const TOLERANCE = 0.8; // px: vertices closer than this to the last one kept are left out
const AREA_STYLE = { fillOpacity: 0.85, weight: 0.6, color: "#5a5a5a" };
const OUTLINE_STYLE = { weight: 2.2, color: "#1b1f24" };
const HIGHLIGHT_STYLE = { weight: 3.5, color: "#000000" };
const NO_VALUE = "#cfcfcf";

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
    const first = out;
    for (v += 1; v < end; v += 1) {
      const x = xy[2 * v] * k - ox;
      const y = xy[2 * v + 1] * k - oy;
      const dx = x - lx;
      const dy = y - ly;
      if (dx * dx + dy * dy < t2 && v < end - 1) continue;
      pts[2 * out] = x; pts[2 * out + 1] = y; out += 1;
      lx = x; ly = y;
    }
    // A ring smaller than the tolerance still gets a second point: it is drawn as a dot of
    // outline instead of vanishing (as Leaflet drew small polygons).
    if (out === first) { pts[2 * out] = lx; pts[2 * out + 1] = ly; out += 1; }
  }
  start[rings] = out;
  return { key: `${zoom}|${ox}|${oy}`, k, ox, oy, pts, start };
}

function trace(path, geometry, proj, i) {
  const { pts, start } = proj;
  const { areaRing } = geometry;
  for (let r = areaRing[i]; r < areaRing[i + 1]; r += 1) {
    const end = start[r + 1];
    let v = start[r];
    if (v >= end) continue;
    path.moveTo(pts[2 * v], pts[2 * v + 1]);
    for (v += 1; v < end; v += 1) path.lineTo(pts[2 * v], pts[2 * v + 1]);
    path.closePath();
  }
}

// Is area i's box (world px) in the layer-px bounds b at projection proj?
function inView(geometry, proj, i, b) {
  const { box } = geometry;
  const { k, ox, oy } = proj;
  return box[4 * i] * k - ox <= b.max.x && box[4 * i + 2] * k - ox >= b.min.x
    && box[4 * i + 1] * k - oy <= b.max.y && box[4 * i + 3] * k - oy >= b.min.y;
}

let AreaCanvas = null;

function defineClass() {
  // Built on L.Canvas for what it already does right: the canvas in the overlay pane, its
  // size and position (with padding) after every move, zoom animation, retina, and DOM
  // mouse events forwarded to the map. Its per-layer drawing and hit testing are replaced.
  return L.Canvas.extend({
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
      this._frame = null;
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
      if (this._redrawRequest) L.Util.cancelAnimFrame(this._redrawRequest);
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
      this._requestDraw(); // before the next frame is shown: moves in one task draw once
    },

    _redraw() {
      this._redrawRequest = null;
      this._redrawBounds = null;
      this._clear();
      this._draw();
    },

    // The paths of what is in view: one per fill colour, the parent outlines; kept until
    // the view or the colours change, so that a new selection only repaints.
    _buildFrame() {
      const geometry = this._geometry;
      const key = `${this._viewZoom}|${this._viewOrigin.x}|${this._viewOrigin.y}`;
      if (!this._proj || this._proj.key !== key) this._proj = project(geometry, this._viewZoom, this._viewOrigin);
      const proj = this._proj;
      const b = this._bounds;
      const groups = new Map();
      const colours = this._colours;
      const n = geometry.codes.length;
      for (let i = 0; i < n; i += 1) {
        if (!inView(geometry, proj, i, b)) continue;
        const colour = colours ? colours[i] : NO_VALUE;
        let path = groups.get(colour);
        if (!path) { path = new Path2D(); groups.set(colour, path); }
        trace(path, geometry, proj, i);
      }
      let outlines = null;
      if (this._parent) {
        const parent = this._parent;
        if (!this._parentProj || this._parentProj.key !== key) this._parentProj = project(parent, this._viewZoom, this._viewOrigin);
        outlines = new Path2D();
        for (let i = 0; i < parent.codes.length; i += 1) {
          if (inView(parent, this._parentProj, i, b)) trace(outlines, parent, this._parentProj, i);
        }
      }
      return { groups, outlines };
    },

    _draw() {
      if (!this._geometry || !this._map || !this._bounds || this._viewZoom === undefined) return;
      if (!this._frame) this._frame = this._buildFrame();
      const ctx = this._ctx;
      const { groups, outlines } = this._frame;
      ctx.save();
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.globalAlpha = AREA_STYLE.fillOpacity;
      for (const [colour, path] of groups) {
        ctx.fillStyle = colour;
        ctx.fill(path, "evenodd");
      }
      ctx.globalAlpha = 1;
      ctx.lineWidth = AREA_STYLE.weight;
      ctx.strokeStyle = AREA_STYLE.color;
      for (const path of groups.values()) ctx.stroke(path);
      if (outlines) {
        ctx.lineWidth = OUTLINE_STYLE.weight;
        ctx.strokeStyle = OUTLINE_STYLE.color;
        ctx.stroke(outlines);
      }
      const i = this._selected;
      if (i >= 0 && i < this._geometry.codes.length) {
        const path = new Path2D();
        trace(path, this._geometry, this._proj, i);
        ctx.lineWidth = HIGHLIGHT_STYLE.weight;
        ctx.strokeStyle = HIGHLIGHT_STYLE.color;
        ctx.stroke(path);
      }
      ctx.restore();
    },

    _onClick(e) {
      const i = this.indexAt(this._map.mouseEventToLayerPoint(e));
      const hit = i >= 0 && !((e.type === "click" || e.type === "preclick") && this._map._draggableMoved(this));
      this._fireEvent(hit ? [this] : false, e);
    },

    _handleMouseOut(e) {
      if (this._hovered >= 0) {
        L.DomUtil.removeClass(this._container, "leaflet-interactive");
        this._fireEvent([this], e, "mouseout");
        this._hovered = -1;
        this._mouseHoverThrottled = false;
      }
    },

    _handleMouseHover(e, point) {
      if (this._mouseHoverThrottled) return;
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
      setTimeout(() => { this._mouseHoverThrottled = false; }, 32);
    },
  });
}

// A new area layer (add it to the map like any layer).
export function areaLayer(options = {}) {
  if (!AreaCanvas) AreaCanvas = defineClass();
  return new AreaCanvas({ padding: 0.3, ...options });
}
