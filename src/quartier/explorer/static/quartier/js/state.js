// The view state lives in the URL, so every view is a permalink.

const KEYS = ["ebene", "indikator", "stichtag", "vergleich", "methode", "klassen", "sd",
  "grenzen", "palette", "gebiet", "ansicht", "einrichtungen"];

export function readState(search = window.location.search) {
  const params = new URLSearchParams(search);
  const state = {};
  for (const key of KEYS) {
    const value = params.get(key);
    if (value !== null && value !== "") state[key] = value;
  }
  return state;
}

export function toQuery(state, keys = KEYS) {
  const params = new URLSearchParams();
  for (const key of keys) {
    if (state[key] !== undefined && state[key] !== null && state[key] !== "") {
      params.set(key, state[key]);
    }
  }
  return params.toString();
}

export function writeState(state) {
  const query = toQuery(state);
  const url = `${window.location.pathname}${query ? `?${query}` : ""}`;
  if (url !== `${window.location.pathname}${window.location.search}`) {
    window.history.replaceState(null, "", url);
  }
}

// Parameters that decide the values (everything but selection, view and point layers).
export const VALUE_KEYS = ["ebene", "indikator", "stichtag", "vergleich", "methode", "klassen",
  "sd", "grenzen", "palette"];
