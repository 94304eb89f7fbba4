// Conditional registration questions: a question whose wrapper says data-show-if="q-12"
// data-show-if-value="yes" shows only while q-12 has that value. Hidden questions' inputs
// are disabled, so they are not sent and cannot satisfy another question's condition. The
// server decides anyway (it ignores answers to questions that do not apply); without this
// script every question is shown with a note saying when to answer it.
(() => {
  const forms = new Set();
  document.querySelectorAll("[data-conditional-questions]").forEach((block) => {
    forms.add(block.closest("form") || block);
  });

  function chosen(scope, name) {
    const values = [];
    scope.querySelectorAll("[name]").forEach((input) => {
      if (input.name !== name || input.disabled) return;
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) values.push(input.value);
      } else if (input.value) {
        values.push(input.value);
      }
    });
    return values;
  }

  function setShown(wrapper, shown) {
    wrapper.hidden = !shown;
    wrapper.querySelectorAll("input, select, textarea").forEach((input) => {
      if (shown) {
        // A full choice stays disabled: the server said so when it drew the page.
        if (input.dataset.hiddenByCondition) {
          input.disabled = false;
          delete input.dataset.hiddenByCondition;
        }
      } else if (!input.disabled) {
        input.disabled = true;
        input.dataset.hiddenByCondition = "1";
      }
    });
  }

  function update(scope) {
    const wrappers = scope.querySelectorAll("[data-show-if]");
    // A condition can depend on a conditional question: settle until nothing changes.
    for (let round = 0; round <= wrappers.length; round += 1) {
      let changed = false;
      wrappers.forEach((wrapper) => {
        const shown = chosen(scope, wrapper.dataset.showIf).includes(wrapper.dataset.showIfValue);
        if (shown === wrapper.hidden) {
          setShown(wrapper, shown);
          changed = true;
        }
      });
      if (!changed) break;
    }
  }

  forms.forEach((scope) => {
    // With the script the questions appear by themselves: the notes for no-JS are redundant.
    scope.querySelectorAll(".condition-note").forEach((note) => {
      note.hidden = true;
    });
    scope.querySelectorAll("[data-show-if]").forEach((wrapper) => {
      wrapper.hidden = false;
    });
    update(scope);
    scope.addEventListener("change", () => update(scope));
    scope.addEventListener("input", () => update(scope));
  });
})();
