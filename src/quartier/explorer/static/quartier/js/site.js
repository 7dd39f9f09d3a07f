// Small enhancements of every page:
// - folds the main menu behind the "Menü" button on narrow screens (WCAG 1.4.10 reflow);
//   without this script the menu simply wraps and stays usable, the button stays hidden;
// - a wide table scrolls inside its own box; a box without links gets keyboard focus so
//   it can be scrolled with the arrow keys too;
// - "Drucken" buttons (hidden without this script) open the browser's print dialog.
(function () {
  "use strict";

  function focusableScrollBoxes() {
    document.querySelectorAll(".table-scroll").forEach((box) => {
      const wide = box.scrollWidth > box.clientWidth;
      const hasFocusable = box.querySelector("a[href], button, input, select, textarea, [tabindex]");
      if (wide && !hasFocusable) box.setAttribute("tabindex", "0");
      else if (!wide && box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    });
  }

  function init() {
    focusableScrollBoxes();
    window.addEventListener("resize", focusableScrollBoxes);
    initMenu();
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => window.print());
    });
  }

  function initMenu() {
    const header = document.querySelector(".site-header");
    const toggle = header && header.querySelector(".nav-toggle");
    const menu = document.getElementById("site-menu");
    if (!toggle || !menu) return;
    header.classList.add("nav-js");

    function setOpen(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    }

    toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
    // Escape closes the open menu and returns the focus to its button.
    header.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
    setOpen(false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
