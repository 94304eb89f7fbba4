// The invitation form's "select every organisation shown": ticks the organisations the
// filters show (a second press clears them). Without JavaScript the button stays hidden.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("select-all");
  if (!button) return;
  const boxes = () => document.querySelectorAll(`input[name="${button.dataset.select}"]`);
  button.hidden = false;
  button.addEventListener("click", () => {
    const all = Array.from(boxes());
    const tick = all.some((box) => !box.checked);
    all.forEach((box) => { box.checked = tick; });
  });
});
