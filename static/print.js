// The "Print" link on the programme page; without JavaScript the browser's own Print works.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
