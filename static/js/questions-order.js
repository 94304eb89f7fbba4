// Reordering the registration questions by dragging, or with the arrow keys on a handle.
// Without this script the Up and Down buttons (plain POST forms) do the same, one step a time.
// Each change sends the whole order to the server, which may refuse it (a conditional
// question stays below the question it depends on): then the page reloads with the reason.
(() => {
  const list = document.getElementById("question-list");
  if (!list) return;
  const status = document.getElementById("order-status");
  // The order goes through a form of the page (its action and CSRF token), kept hidden:
  // without this script the Up and Down buttons do the work.
  const form = document.getElementById("question-order");
  if (!form) return;
  const token = form.elements.namedItem("csrf_token").value;
  const items = () => Array.from(list.querySelectorAll(":scope > .question-item"));
  let dragged = null;
  let before = "";

  const order = () => items().map((item) => item.dataset.questionId);

  async function send() {
    const now = order();
    if (now.join(",") === before) return;
    const body = new URLSearchParams();
    body.append("csrf_token", token);
    now.forEach((id) => body.append("question", id));
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token },
      });
    } catch {
      response = null;
    }
    if (response && response.status === 204) {
      before = now.join(",");
      return;
    }
    status.textContent = list.dataset.refused;
    window.location.reload();
  }

  function announce(item) {
    const all = items();
    status.textContent = list.dataset.moved
      .replace("{num}", String(all.indexOf(item) + 1))
      .replace("{total}", String(all.length));
  }

  before = order().join(",");
  items().forEach((item) => {
    const label = item.querySelector(".question-label");
    const handle = document.createElement("button");
    handle.type = "button";
    handle.className = "drag-handle";
    handle.textContent = "↕";
    handle.setAttribute(
      "aria-label",
      `${list.dataset.handle} ${label ? label.textContent.trim() : ""}`.trim(),
    );
    handle.setAttribute("aria-describedby", "order-hint");
    item.prepend(handle);
    item.draggable = true;

    handle.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
      event.preventDefault();
      const sibling =
        event.key === "ArrowUp" ? item.previousElementSibling : item.nextElementSibling;
      if (!sibling) return;
      if (event.key === "ArrowUp") list.insertBefore(item, sibling);
      else list.insertBefore(sibling, item);
      handle.focus();
      announce(item);
      send();
    });

    item.addEventListener("dragstart", (event) => {
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.questionId);
    });
    item.addEventListener("dragover", (event) => {
      if (!dragged || dragged === item) return;
      event.preventDefault();
      const box = item.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? item.nextElementSibling : item);
    });
    item.addEventListener("drop", (event) => event.preventDefault());
    item.addEventListener("dragend", () => {
      item.classList.remove("dragging");
      dragged = null;
      announce(item);
      send();
    });
  });
})();
