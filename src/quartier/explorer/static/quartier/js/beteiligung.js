// The participation map: a tap sets a pin and the hidden lon/lat fields; choosing a place
// from the list removes the pin again. Without JavaScript the list works alone.
"use strict";

(function () {
  const map = document.getElementById("ortskarte");
  const frameData = document.getElementById("karten-rahmen");
  if (!map || !frameData) return;
  const frame = JSON.parse(frameData.textContent);
  const form = document.getElementById("beitrag");
  const lon = form.querySelector("input[name=lon]");
  const lat = form.querySelector("input[name=lat]");
  const place = form.querySelector("select[name=ort]");
  const pin = document.getElementById("pin");
  const status = document.getElementById("pin-status");

  function areaAt(x, y) {
    // The area under the point: the map's own paths, asked by the browser.
    const point = map.createSVGPoint();
    point.x = x;
    point.y = y;
    for (const path of map.querySelectorAll("path[data-code]")) {
      if (path.isPointInFill(point)) return path;
    }
    return null;
  }

  function setPin(x, y) {
    const area = areaAt(x, y);
    if (!area) {
      status.textContent = gettext("Dieser Punkt liegt außerhalb des Gebiets. Bitte tippe in eine Fläche.");
      return;
    }
    pin.setAttribute("transform", `translate(${x} ${y})`);
    pin.removeAttribute("hidden");  // an SVG element: no "hidden" property to set
    lon.value = (frame.minx + (x - frame.pad) / (frame.kx * frame.scale)).toFixed(6);
    lat.value = (frame.miny + (frame.height - frame.pad - y) / frame.scale).toFixed(6);
    place.value = "";
    status.textContent = interpolate(gettext("Punkt gesetzt: %(name)s"), {
      name: area.querySelector("title").textContent }, true);
  }

  map.addEventListener("click", (event) => {
    const point = map.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const inside = point.matrixTransform(map.getScreenCTM().inverse());
    setPin(inside.x, inside.y);
  });

  place.addEventListener("change", () => {
    if (!place.value) return;
    pin.setAttribute("hidden", "");
    lon.value = "";
    lat.value = "";
    status.textContent = "";
  });
})();
