/* The household registration form: add and remove members without a reload, hints as the user types.
   Only hints: the server judges every field again (cases.registration). */
(function () {
  "use strict";

  var form = document.querySelector("[data-household-form]");
  if (!form) {
    return;
  }
  var prefix = form.getAttribute("data-prefix") || "members";
  var list = form.querySelector("[data-members]");
  var template = form.querySelector("template[data-member-template]");
  var totalForms = form.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
  var initialForms = form.querySelector("input[name='" + prefix + "-INITIAL_FORMS']");
  var rowIndex = new RegExp(prefix + "-(\\d+|__prefix__)-", "g");

  function today() {
    var now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    return now.toISOString().slice(0, 10);
  }

  function clientFeedback(input) {
    var id = input.id + "_hint";
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = "invalid-feedback d-block";
      box.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", box);
    }
    return box;
  }

  function serverFeedbackHide(input) {
    var box = document.getElementById(input.id + "_error");
    if (box) {
      box.hidden = true;
    }
  }

  function problemOf(input) {
    var limit = input.getAttribute("data-not-future");
    if (limit !== null) {
      input.setCustomValidity(input.value && input.max && input.value > input.max ? limit : "");
    }
    if (input.validity.valid) {
      return "";
    }
    if (input.validity.patternMismatch && input.title) {
      return input.title;
    }
    return input.validationMessage;
  }

  function check(input) {
    var problem = problemOf(input);
    var hint = clientFeedback(input);
    hint.textContent = problem;
    hint.hidden = !problem;
    input.classList.toggle("is-invalid", Boolean(problem));
  }

  function uppercase(input) {
    var start = input.selectionStart;
    var end = input.selectionEnd;
    var upper = input.value.toUpperCase();
    if (upper !== input.value) {
      input.value = upper;
      input.setSelectionRange(start, end);
    }
  }

  function prepare(root) {
    root.querySelectorAll("input[data-not-future]").forEach(function (input) {
      input.max = today();
    });
  }

  function renumber() {
    var rows = list.querySelectorAll("[data-member-row]");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attribute) {
          var value = el.getAttribute(attribute);
          if (value) {
            el.setAttribute(attribute, value.replace(rowIndex, prefix + "-" + index + "-"));
          }
        });
      });
      var number = row.querySelector("[data-member-number]");
      if (number) {
        number.textContent = String(index + 1);
      }
    });
    totalForms.value = String(rows.length);
    initialForms.value = String(Math.min(parseInt(initialForms.value, 10) || 0, rows.length));
  }

  function addMember() {
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.trim();
    var row = holder.firstElementChild;
    list.appendChild(row);
    renumber();
    prepare(row);
    var first = row.querySelector("input, select");
    if (first) {
      first.focus();
    }
  }

  function consentReasonToggle() {
    var chosen = form.querySelector("[data-consent-type]:checked");
    var wrapper = form.querySelector("[data-consent-reason]");
    if (!wrapper) {
      return;
    }
    var reason = wrapper.querySelector("textarea");
    var hasError = wrapper.querySelector(".is-invalid") !== null;
    var needed = chosen !== null && chosen.value !== "explicit";
    wrapper.hidden = !(needed || hasError || (reason && reason.value.trim()));
  }

  form.addEventListener("click", function (event) {
    if (event.target.closest("[data-add-member]")) {
      addMember();
      return;
    }
    var remove = event.target.closest("[data-remove-member]");
    if (remove) {
      remove.closest("[data-member-row]").remove();
      renumber();
    }
  });

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (input.hasAttribute("data-uppercase")) {
      uppercase(input);
    }
    if (input.classList.contains("is-invalid")) {
      serverFeedbackHide(input);
      check(input);
    } else if (input.type === "date") {
      check(input);
    }
  });

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches("[data-consent-type]")) {
      consentReasonToggle();
    }
    if (input.matches("[data-quick-mode]")) {
      form.classList.toggle("quick-mode", input.checked);
    }
    if (input.matches("input[type=text], input[type=date], input[type=tel], input[type=number]")) {
      if (input.hasAttribute("data-uppercase")) {
        input.value = input.value.trim();
      }
      check(input);
    }
  });

  prepare(form);
  consentReasonToggle();
}());
