// Irreversible moves ask first (avr/confirm.py). Without JavaScript the server asks on a page of its own; with it,
// the same question opens in a dialog and the form is sent with confirmed=1 only after "yes".
(function () {
  "use strict";
  var data = document.getElementById("avr-confirm-dialog");
  if (!data || typeof HTMLDialogElement === "undefined") return;
  var texts = JSON.parse(data.textContent);

  function moveOf(form, submitter) {
    if (submitter && submitter.dataset.to) return submitter.dataset.to;
    var to = form.querySelector("input[name=to]");
    return to ? to.value : "";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function ask(question, yes) {
    var dialog = element("dialog", "avr-confirm border rounded p-4");
    dialog.setAttribute("data-testid", "confirm-dialog");
    dialog.appendChild(element("h2", "h5", question[0]));
    dialog.appendChild(element("p", "", question[1]));
    var buttons = element("div", "d-flex gap-2");
    var ok = element("button", "btn btn-danger", texts.yes);
    ok.type = "button";
    ok.setAttribute("data-testid", "confirm-yes");
    var no = element("button", "btn btn-outline-secondary", texts.no);
    no.type = "button";
    no.setAttribute("data-testid", "confirm-no");
    buttons.appendChild(ok);
    buttons.appendChild(no);
    dialog.appendChild(buttons);
    ok.addEventListener("click", function () { dialog.close(); yes(); });
    no.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { dialog.remove(); });
    document.body.appendChild(dialog);
    dialog.showModal();
    no.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = texts.questions[moveOf(form, event.submitter)];
    if (!question || form.querySelector("input[name=confirmed]")) return;
    event.preventDefault();
    ask(question, function () {
      var confirmed = element("input");
      confirmed.type = "hidden";
      confirmed.name = "confirmed";
      confirmed.value = "1";
      form.appendChild(confirmed);
      form.submit();  // submit() fires no submit event, so the question is not asked twice
    });
  });
})();
