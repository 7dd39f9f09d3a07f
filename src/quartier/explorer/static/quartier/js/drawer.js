// The map's controls as a drawer on narrow screens (map first), a column on wide ones.
// Without this script the controls simply stay open above the map.
export function initDrawer(layout, toggle, panel, narrowQuery = "(max-width: 60rem)") {
  const narrow = window.matchMedia(narrowQuery);
  layout.classList.add("drawer-js");

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    panel.classList.toggle("open", open);
  }

  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  // Escape closes the open drawer (from its button or inside it) and returns to the button.
  for (const el of [toggle, panel]) {
    el.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && narrow.matches && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }
  // Narrow: start closed so the map comes first; wide: always open (the button is hidden).
  const follow = () => setOpen(!narrow.matches);
  narrow.addEventListener("change", follow);
  follow();
}
