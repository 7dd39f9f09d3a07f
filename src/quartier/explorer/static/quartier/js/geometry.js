// Decode the compact geometry document (quantized, delta-encoded lon/lat) into Leaflet lat/lngs.

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
  const shapes = doc.shapes.map((polygons) =>
    polygons.map((rings) => rings.map((ring) => decodeRing(ring, origin, scale))));
  const labels = doc.labels.map(([x, y]) => [origin[1] + y / scale, origin[0] + x / scale]);
  const index = new Map(doc.codes.map((code, i) => [code, i]));
  return { ...doc, shapes, labels, index };
}

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
