// Decode the compact geometry document (quantized, delta-encoded lon/lat) into flat typed
// arrays of Web Mercator "world" coordinates (Leaflet's EPSG:3857 at zoom 0: a 256 px world),
// so that 80,000 areas cost a few arrays instead of millions of small [lat, lng] arrays.
//
// A decoded level holds, besides the document's codes, names, bbox …:
//   xy        Float64Array [x0, y0, x1, y1, …] of all vertices, world px at zoom 0
//   ringStart Uint32Array, ring r has the vertices ringStart[r] … ringStart[r + 1] - 1
//   areaRing  Uint32Array, area i has the rings areaRing[i] … areaRing[i + 1] - 1
//   box       Float64Array [minX, minY, maxX, maxY] per area (world px; y grows southwards)
//   labels    [lat, lng] per area (a point inside it)
//   index     Map code -> area index
// and, for callers that want Leaflet lat/lngs, `shapes` (decoded on first use only).

const MAX_LAT = 85.0511287798;
const RAD = Math.PI / 180;

// World px of a longitude / latitude, as L.CRS.EPSG3857.latLngToPoint(ll, 0) computes them.
export function worldX(lng) {
  return 256 * (0.5 + lng / 360);
}

export function worldY(lat) {
  const s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * RAD);
  return 256 * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI));
}

// Latitude of a world y (the inverse of worldY).
export function worldLat(y) {
  return (2 * Math.atan(Math.exp((0.5 - y / 256) * 2 * Math.PI)) - Math.PI / 2) / RAD;
}

export function worldLng(x) {
  return (x / 256 - 0.5) * 360;
}

export function decodeRing(flat, origin, scale) {
  const out = new Array(flat.length / 2);
  let x = 0;
  let y = 0;
  for (let i = 0; i < flat.length; i += 2) {
    x += flat[i];
    y += flat[i + 1];
    out[i / 2] = [origin[1] + y / scale, origin[0] + x / scale];
  }
  return out;
}

export function decodeGeometry(doc) {
  const { origin, scale } = doc;
  const n = doc.shapes.length;
  const all = doc.shapes;
  let rings = 0;
  let values = 0;
  for (let i = 0; i < n; i += 1) {
    const polygons = all[i];
    for (let p = 0; p < polygons.length; p += 1) {
      const polygon = polygons[p];
      rings += polygon.length;
      for (let k = 0; k < polygon.length; k += 1) values += polygon[k].length;
    }
  }
  const xy = new Float64Array(values);
  const ringStart = new Uint32Array(rings + 1);
  const areaRing = new Uint32Array(n + 1);
  const box = new Float64Array(4 * n);
  // First the quantized steps summed up (integers), then one mapping to world px: x is
  // linear in the longitude; y (a log per latitude) comes from a table over the level's
  // latitude steps, as a per-vertex Math.log took 0.6 s for 80,000 blocks (measured).
  let r = 0;
  let v = 0;
  let qyMin = Infinity;
  let qyMax = -Infinity;
  for (let i = 0; i < n; i += 1) {
    areaRing[i] = r;
    let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
    const polygons = all[i];
    for (let p = 0; p < polygons.length; p += 1) {
      const polygon = polygons[p];
      for (let k = 0; k < polygon.length; k += 1) {
        const ring = polygon[k];
        ringStart[r] = v / 2;
        r += 1;
        let qx = 0;
        let qy = 0;
        for (let j = 0; j < ring.length; j += 2) {
          qx += ring[j];
          qy += ring[j + 1];
          xy[v] = qx;
          xy[v + 1] = qy;
          v += 2;
          if (qx < minX) minX = qx;
          if (qx > maxX) maxX = qx;
          if (qy < minY) minY = qy;
          if (qy > maxY) maxY = qy;
        }
      }
    }
    box[4 * i] = minX; box[4 * i + 1] = minY; box[4 * i + 2] = maxX; box[4 * i + 3] = maxY;
    if (minY < qyMin) qyMin = minY;
    if (maxY > qyMax) qyMax = maxY;
  }
  const ax = 256 / 360 / scale;
  const bx = 256 * (0.5 + origin[0] / 360);
  const steps = qyMax - qyMin + 1;
  const table = steps > 0 && steps <= 4e6 ? new Float64Array(steps) : null;
  if (table) for (let q = 0; q < steps; q += 1) table[q] = worldY(origin[1] + (q + qyMin) / scale);
  const yOf = table ? (q) => table[(q - qyMin) | 0] : (q) => worldY(origin[1] + q / scale);
  if (table) {
    for (let j = 0; j < v; j += 2) { // the hot loop: integer table indices, nothing called
      xy[j] = ax * xy[j] + bx;
      xy[j + 1] = table[(xy[j + 1] - qyMin) | 0];
    }
  } else {
    for (let j = 0; j < v; j += 2) {
      xy[j] = ax * xy[j] + bx;
      xy[j + 1] = yOf(xy[j + 1]);
    }
  }
  for (let i = 0; i < n; i += 1) {
    if (!(box[4 * i] <= box[4 * i + 2])) continue; // no rings: the box stays empty
    const south = box[4 * i + 1];
    box[4 * i] = ax * box[4 * i] + bx;
    box[4 * i + 2] = ax * box[4 * i + 2] + bx;
    box[4 * i + 1] = yOf(box[4 * i + 3]); // north: the smaller world y
    box[4 * i + 3] = yOf(south);
  }
  areaRing[n] = r;
  ringStart[r] = v / 2;
  const labels = new Array(n);
  const index = new Map();
  for (let i = 0; i < n; i += 1) {
    const [x, y] = doc.labels[i];
    labels[i] = [origin[1] + y / scale, origin[0] + x / scale];
    index.set(doc.codes[i], i);
  }
  const out = { ...doc, labels, index, xy, ringStart, areaRing, box };
  const raw = doc.shapes;
  let shapes = null;
  delete out.shapes;
  Object.defineProperty(out, "shapes", {
    enumerable: false,
    get() {
      if (!shapes) shapes = raw.map((polygons) => polygons.map((rings) => rings.map((ring) => decodeRing(ring, origin, scale))));
      return shapes;
    },
  });
  return out;
}

// Leaflet bounds [[south, west], [north, east]] of area i of a decoded level.
export function areaBounds(geometry, i) {
  const b = geometry.box;
  return [[worldLat(b[4 * i + 3]), worldLng(b[4 * i])], [worldLat(b[4 * i + 1]), worldLng(b[4 * i + 2])]];
}

// Bounds of a shape of Leaflet lat/lngs (polygons of rings).
export function boundsOf(shape) {
  let south = 90; let west = 180; let north = -90; let east = -180;
  for (const polygon of shape) {
    for (const [lat, lng] of polygon[0]) {
      if (lat < south) south = lat;
      if (lat > north) north = lat;
      if (lng < west) west = lng;
      if (lng > east) east = lng;
    }
  }
  return [[south, west], [north, east]];
}

// Add the rings of area i to `path`, mapped by x' = ax * x + bx, y' = ay * y + by from world
// px, leaving out vertices closer than `tolerance` px to the last one kept. Add at most a few
// hundred areas to one path: filling and stroking many small paths is faster.
export function traceArea(path, geometry, i, ax, bx, ay, by, tolerance = 0) {
  const { xy, ringStart, areaRing } = geometry;
  const t2 = tolerance * tolerance;
  for (let r = areaRing[i]; r < areaRing[i + 1]; r += 1) {
    const end = ringStart[r + 1];
    let v = ringStart[r];
    if (v >= end) continue;
    const x0 = ax * xy[2 * v] + bx;
    const y0 = ay * xy[2 * v + 1] + by;
    let lx = x0;
    let ly = y0;
    path.moveTo(lx, ly);
    for (v += 1; v < end; v += 1) {
      const x = ax * xy[2 * v] + bx;
      const y = ay * xy[2 * v + 1] + by;
      const dx = x - lx;
      const dy = y - ly;
      if (dx * dx + dy * dy < t2) continue;
      path.lineTo(x, y);
      lx = x;
      ly = y;
    }
    // Not closePath(): in Chromium its cost grows with the subpaths already in the path.
    path.lineTo(x0, y0);
  }
}

// Is the world point (x, y) inside area i (even-odd over all its rings, as it is filled)?
export function areaContains(geometry, i, x, y) {
  const { xy, ringStart, areaRing, box } = geometry;
  if (x < box[4 * i] || x > box[4 * i + 2] || y < box[4 * i + 1] || y > box[4 * i + 3]) return false;
  let inside = false;
  for (let r = areaRing[i]; r < areaRing[i + 1]; r += 1) {
    const start = ringStart[r];
    const end = ringStart[r + 1];
    for (let v = start, w = end - 1; v < end; w = v, v += 1) {
      const yi = xy[2 * v + 1];
      const yj = xy[2 * w + 1];
      if ((yi > y) !== (yj > y)) {
        const xi = xy[2 * v];
        const xj = xy[2 * w];
        if (x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
  }
  return inside;
}

// A uniform grid over the level's area boxes (world px), for finding the area under a point
// without testing all of them: cells[cellStart[c] … cellStart[c + 1] - 1] are the areas whose
// box touches cell c.
export function gridIndex(geometry) {
  const { box } = geometry;
  const n = box.length / 4;
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (let i = 0; i < n; i += 1) {
    if (box[4 * i] < minX) minX = box[4 * i];
    if (box[4 * i + 1] < minY) minY = box[4 * i + 1];
    if (box[4 * i + 2] > maxX) maxX = box[4 * i + 2];
    if (box[4 * i + 3] > maxY) maxY = box[4 * i + 3];
  }
  const side = Math.max(1, Math.ceil(Math.sqrt(n / 2)));
  const cw = (maxX - minX) / side || 1;
  const ch = (maxY - minY) / side || 1;
  const col = (x) => Math.min(side - 1, Math.max(0, Math.floor((x - minX) / cw)));
  const row = (y) => Math.min(side - 1, Math.max(0, Math.floor((y - minY) / ch)));
  // Two passes over the same cells: count per cell, then fill the flat list.
  const eachCell = (i, visit) => {
    const c0 = col(box[4 * i]); const c1 = col(box[4 * i + 2]);
    const r0 = row(box[4 * i + 1]); const r1 = row(box[4 * i + 3]);
    for (let rr = r0; rr <= r1; rr += 1) for (let cc = c0; cc <= c1; cc += 1) visit(rr * side + cc);
  };
  const used = (i) => box[4 * i] <= box[4 * i + 2]; // an area without rings has an empty box
  const cellStart = new Uint32Array(side * side + 1);
  for (let i = 0; i < n; i += 1) if (used(i)) eachCell(i, (c) => { cellStart[c + 1] += 1; });
  for (let c = 0; c < side * side; c += 1) cellStart[c + 1] += cellStart[c];
  const cells = new Uint32Array(cellStart[side * side]);
  const fill = cellStart.slice(0, side * side);
  for (let i = 0; i < n; i += 1) if (used(i)) eachCell(i, (c) => { cells[fill[c]] = i; fill[c] += 1; });
  return {
    // The area at world point (x, y), the last drawn if several (as a click on the topmost), or -1.
    at(x, y) {
      if (x < minX || x > maxX || y < minY || y > maxY) return -1;
      const c = row(y) * side + col(x);
      for (let k = cellStart[c + 1]; k > cellStart[c]; k -= 1) {
        const i = cells[k - 1];
        if (areaContains(geometry, i, x, y)) return i;
      }
      return -1;
    },
  };
}
