// The door's search box finds people as the organiser types: the same GET the form sends
// (which works without this script), its results swapped in. Only the newest answer is shown.
(() => {
  const form = document.getElementById("door-search");
  const results = document.getElementById("door-results");
  if (!form || !results || !window.fetch) return;
  const box = form.querySelector("input[name=q]");
  let timer = null;
  let asked = 0;

  async function search() {
    const url = new URL(form.action || window.location.href);
    url.search = new URLSearchParams({ q: box.value.trim() }).toString();
    const mine = ++asked;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok || mine !== asked) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("door-results");
    if (!fresh || mine !== asked) return;
    results.replaceChildren(...fresh.childNodes);
    window.history.replaceState(null, "", url);
  }

  box.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => search().catch(() => {}), 250);
  });
})();
