// Map preview of a geometry import before it is stored: the new areas over what exists already.
// The page holds the same facts as a table; this map is for seeing a wrong location at a glance.
import { gettext } from "./format.js";

const data = JSON.parse(document.getElementById("geo-preview-data").textContent);
const config = JSON.parse(document.getElementById("geo-preview-config").textContent);
const element = document.getElementById("geo-preview");

function label(text) {
  const span = document.createElement("span");
  span.textContent = text; // names come from the uploaded file: never HTML
  return span;
}

const map = L.map(element, { zoomSnap: 0.25, attributionControl: true });
map.attributionControl.setPrefix("Leaflet");
if (config.basemap) {
  L.tileLayer(config.basemap, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
} else {
  element.classList.add("no-basemap");
}
const layers = [];
if (data.germany) {
  const [west, south, east, north] = data.germany;
  const box = L.rectangle([[south, west], [north, east]], { color: "#4a5560", weight: 1, dashArray: "4 4", fill: false });
  layers.push(box.bindTooltip(label(gettext("Deutschland (umgebendes Rechteck)"))));
}
if (data.context.features.length) {
  const context = L.geoJSON(data.context, { style: { color: "#4a5560", weight: 2, fill: false } });
  layers.push(context.bindTooltip(label(gettext("vorhandene Ebene"))));
}
const areas = L.geoJSON(data.areas, {
  style: { color: data.plausible ? "#08519c" : "#a30000", weight: 1, fillOpacity: 0.35 },
  onEachFeature: (feature, layer) => {
    const { code, name } = feature.properties;
    layer.bindTooltip(label(code && name !== code ? `${code} ${name}` : name || code));
  },
});
layers.push(areas);
const all = L.featureGroup(layers).addTo(map);
// A plausible import is shown up close; a misplaced one together with where it should be.
map.fitBounds((data.plausible ? areas : all).getBounds(), { padding: [12, 12] });
