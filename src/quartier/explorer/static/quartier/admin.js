// Django's admin, where its scripts fall short of WCAG (4.1.2): the two-box widget of
// many-to-many fields (SelectFilter2.js) gives its search icon, a <span>, an aria-label
// but no role, and assistive technology ignores names on role-less spans. The icon
// carries meaning ("type to filter"), so it becomes an image with that name. Loaded by
// the admin pages of Quartier's models (quartier.access.adminperms.AccessibleAdminMedia).
"use strict";

function nameSearchIcons() {
  for (const icon of document.querySelectorAll(".selector .search-label-icon[aria-label]")) {
    icon.setAttribute("role", "img");
  }
}

// SelectFilter2 builds its boxes in a load handler; ours runs after every load handler.
window.addEventListener("load", () => setTimeout(nameSearchIcons, 0));
