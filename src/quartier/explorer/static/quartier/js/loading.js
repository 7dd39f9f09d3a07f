// Loading state of the map: a visible and announced "Lädt …" with the step and the bytes
// received, aria-busy on the regions being refreshed, and errors with a retry button.
import { formatNumber, gettext, interpolate } from "./format.js";

function megabytes(bytes) {
  return bytes >= 1e6 ? `${formatNumber(bytes / 1e6, 1)} MB` : `${formatNumber(Math.ceil(bytes / 1e3))} kB`;
}

export class LoadStatus {
  // box: the live region (role=status) over the map; busy: elements marked aria-busy.
  constructor(box, busy) {
    this.box = box;
    this.busy = busy;
  }

  step(label, done, steps) {
    for (const el of this.busy) el.setAttribute("aria-busy", "true");
    this.box.classList.add("active");
    this.box.classList.remove("failed");
    const text = document.createElement("p");
    text.className = "status-text";
    text.textContent = interpolate(gettext("Lädt … %(what)s (Schritt %(step)s von %(steps)s)"),
      { what: label, step: done + 1, steps });
    const bar = document.createElement("progress");
    bar.max = steps;
    bar.value = done;
    bar.setAttribute("aria-label", gettext("Fortschritt"));
    this.bytesEl = document.createElement("span");
    this.bytesEl.className = "status-bytes";
    this.bytesEl.setAttribute("aria-hidden", "true");  // changes too often to announce
    this.box.replaceChildren(text, bar, this.bytesEl);
    for (const el of this.busy) {
      if (el.id === "legend" && !el.querySelector(".legend-loading")) {
        const note = document.createElement("p");
        note.className = "legend-loading help";
        note.textContent = gettext("Lädt …");
        el.prepend(note);
      }
    }
  }

  // Called for every chunk received (hundreds for a big level): the text is set at most
  // once per frame, as formatting it each time cost 25–50 ms of an 80,000-block first map.
  bytes(received) {
    this.received = received;
    if (this.pending || !this.bytesEl) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      if (this.bytesEl) this.bytesEl.textContent = interpolate(gettext("%(size)s empfangen"), { size: megabytes(this.received) });
    });
  }

  done() {
    for (const el of this.busy) {
      el.setAttribute("aria-busy", "false");
      el.querySelectorAll(".legend-loading").forEach((n) => n.remove());
    }
    this.box.classList.remove("active", "failed");
    this.box.replaceChildren();
    this.bytesEl = null;
  }

  error(message, retry) {
    this.done();
    this.box.classList.add("active", "failed");
    const text = document.createElement("p");
    text.className = "error";
    text.setAttribute("role", "alert");
    text.textContent = interpolate(gettext("Die Karte konnte nicht geladen werden: %(message)s"), { message });
    const again = document.createElement("button");
    again.type = "button";
    again.textContent = gettext("Erneut versuchen");
    again.addEventListener("click", retry);
    this.box.replaceChildren(text, again);
  }
}

// fetch() a document, reporting the bytes received so far to onBytes; its body as bytes.
async function fetchBytes(path, accept, onBytes) {
  const response = await fetch(path, { headers: { Accept: accept }, credentials: "same-origin" });
  let bytes;
  if (onBytes && response.body && response.body.getReader) {
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      onBytes(received);
    }
    bytes = new Uint8Array(received);
    let offset = 0;
    for (const chunk of chunks) { bytes.set(chunk, offset); offset += chunk.length; }
  } else {
    bytes = new Uint8Array(await response.arrayBuffer());
  }
  return { response, bytes };
}

function parseJson(bytes) {
  try { return JSON.parse(new TextDecoder().decode(bytes)); } catch { return null; }
}

function failure(response, body) {
  return new Error((body && body.error) || `${response.status} ${response.statusText}`.trim());
}

// fetch() a JSON document, reporting the bytes received so far to onBytes.
export async function fetchJson(path, onBytes = null) {
  const { response, bytes } = await fetchBytes(path, "application/json", onBytes);
  const body = parseJson(bytes);
  if (!response.ok || body === null) throw failure(response, body);
  return body;
}

// fetch() a binary document (the map's geometry): its bytes, or the JSON error it answered.
export async function fetchBinary(path, contentType, onBytes = null) {
  const { response, bytes } = await fetchBytes(path, `${contentType}, application/json`, onBytes);
  if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith(contentType)) {
    throw failure(response, parseJson(bytes));
  }
  return bytes;
}
