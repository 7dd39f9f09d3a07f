// Decode the map's geometry document (quartier/core/geodoc.py: a JSON header and typed
// arrays of quantized lon/lat steps) into flat typed arrays of Web Mercator "world"
// coordinates (Leaflet's EPSG:3857 at zoom 0: a 256 px world), so that 80,000 areas cost a
// few arrays instead of millions of small [lat, lng] arrays.
//
// A decoded level holds, besides the header's codes, names, bbox …:
//   xy        Float64Array [x0, y0, x1, y1, …] of all vertices, world px at zoom 0
//   ringStart Uint32Array, ring r has the vertices ringStart[r] … ringStart[r + 1] - 1
//   areaRing  Uint32Array, area i has the rings areaRing[i] … areaRing[i + 1] - 1
//   box       Float64Array [minX, minY, maxX, maxY] per area (world px; y grows southwards)
//   labels    [lat, lng] per area (a point inside it)
//   index     Map code -> area index
// and, for callers that want Leaflet lat/lngs, `shapes` (decoded on first use only).

export const GEOMETRY_TYPE = "application/vnd.quartier.geometry";

const ARRAY_TYPES = {
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, float32: Float32Array,
};

// The header's fields and its arrays as typed views of `bytes` (no copy).
export function readDocument(bytes) {
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== "QGD1") throw new Error("not a Quartier geometry document");
  const size = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
  const doc = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + size)));
  let offset = bytes.byteOffset + 8 + size;
  for (const [name, dtype, shape] of doc.arrays) {
    const count = shape.reduce((a, b) => a * b, 1);
    const Type = ARRAY_TYPES[dtype];
    doc[name] = new Type(bytes.buffer, offset, count);
    offset += Math.ceil((count * Type.BYTES_PER_ELEMENT) / 4) * 4; // each array 4-byte aligned
  }
  delete doc.arrays;
  return doc;
}

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

// Start offsets (length + 1) of consecutive runs of the given lengths.
function starts(counts) {
  const out = new Uint32Array(counts.length + 1);
  for (let k = 0; k < counts.length; k += 1) out[k + 1] = out[k] + counts[k];
  return out;
}

export function decodeGeometry(bytes) {
  const doc = readDocument(bytes);
  const { origin, scale, steps } = doc;
  const n = doc.codes.length;
  const parts = starts(doc.parts); // area i: polygons parts[i] … parts[i + 1] - 1
  const partRings = starts(doc.rings); // polygon p: rings partRings[p] …
  const ringStart = starts(doc.vertices); // ring r: vertices ringStart[r] …
  const rings = ringStart.length - 1;
  const values = steps.length;
  const xy = new Float64Array(values);
  const areaRing = new Uint32Array(n + 1);
  const box = new Float64Array(4 * n);
  const labelQ = new Float64Array(2 * n); // label points, quantized, from the origin
  // First the steps summed up (integers: every vertex is a step from the one before, across
  // rings and areas), then one mapping to world px: x is linear in the longitude; y (a log
  // per latitude) comes from a table over the level's latitude steps, as a per-vertex
  // Math.log took 0.6 s for 80,000 blocks (measured).
  let qx = 0;
  let qy = 0;
  let qyMin = Infinity;
  let qyMax = -Infinity;
  for (let i = 0; i < n; i += 1) {
    const firstRing = partRings[parts[i]];
    const endRing = partRings[parts[i + 1]];
    areaRing[i] = firstRing;
    // The label is a step from the area's first vertex (from the origin without rings).
    const first = firstRing < endRing ? 2 * ringStart[firstRing] : -1;
    labelQ[2 * i] = doc.labels[2 * i] + (first >= 0 ? qx + steps[first] : 0);
    labelQ[2 * i + 1] = doc.labels[2 * i + 1] + (first >= 0 ? qy + steps[first + 1] : 0);
    let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
    for (let j = first < 0 ? 0 : first, end = 2 * ringStart[endRing]; first >= 0 && j < end; j += 2) {
      qx += steps[j];
      qy += steps[j + 1];
      xy[j] = qx;
      xy[j + 1] = qy;
      if (qx < minX) minX = qx;
      if (qx > maxX) maxX = qx;
      if (qy < minY) minY = qy;
      if (qy > maxY) maxY = qy;
    }
    box[4 * i] = minX; box[4 * i + 1] = minY; box[4 * i + 2] = maxX; box[4 * i + 3] = maxY;
    if (minY < qyMin) qyMin = minY;
    if (maxY > qyMax) qyMax = maxY;
  }
  areaRing[n] = rings;
  const ax = 256 / 360 / scale;
  const bx = 256 * (0.5 + origin[0] / 360);
  const span = qyMax - qyMin + 1;
  const table = span > 0 && span <= 4e6 ? new Float64Array(span) : null;
  if (table) for (let q = 0; q < span; q += 1) table[q] = worldY(origin[1] + (q + qyMin) / scale);
  const yOf = table ? (q) => table[(q - qyMin) | 0] : (q) => worldY(origin[1] + q / scale);
  if (table) {
    for (let j = 0; j < values; j += 2) { // the hot loop: integer table indices, nothing called
      xy[j] = ax * xy[j] + bx;
      xy[j + 1] = table[(xy[j + 1] - qyMin) | 0];
    }
  } else {
    for (let j = 0; j < values; j += 2) {
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
  const labels = new Array(n);
  const index = new Map();
  for (let i = 0; i < n; i += 1) {
    labels[i] = [origin[1] + labelQ[2 * i + 1] / scale, origin[0] + labelQ[2 * i] / scale];
    index.set(doc.codes[i], i);
  }
  const out = { ...doc, labels, index, xy, ringStart, areaRing, box };
  let shapes = null;
  Object.defineProperty(out, "shapes", {
    enumerable: false,
    get() {
      if (!shapes) {
        const ring = (r) => {
          const out = [];
          for (let v = ringStart[r]; v < ringStart[r + 1]; v += 1) out.push([worldLat(xy[2 * v + 1]), worldLng(xy[2 * v])]);
          return out;
        };
        const polygon = (p) => Array.from({ length: partRings[p + 1] - partRings[p] }, (_, k) => ring(partRings[p] + k));
        shapes = Array.from({ length: n }, (_, i) => Array.from({ length: parts[i + 1] - parts[i] }, (_, k) => polygon(parts[i] + k)));
      }
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
