// The header's fold-out menus (<details class="nav-group">) work without JavaScript; with it,
// an open one also closes on Escape (focus back on its toggle) and on a click elsewhere.
document.addEventListener("DOMContentLoaded", () => {
  const groups = () => document.querySelectorAll("details.nav-group[open]");
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    groups().forEach((group) => {
      group.open = false;
      if (group.contains(document.activeElement)) group.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", (event) => {
    groups().forEach((group) => {
      if (!group.contains(event.target)) group.open = false;
    });
  });
});
