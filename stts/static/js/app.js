// STTS client behaviour: progressive enhancement only; every page works without it.
(function () {
  "use strict";

  function showError() {
    var banner = document.getElementById("error-banner");
    if (!banner) { return; }
    banner.textContent = document.body.dataset.errorMessage;
    banner.hidden = false;
  }

  // The language switcher submits as soon as a language is chosen (the button stays for
  // keyboard users and for browsers without script).
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form) { form.submit(); }
  });

  // htmx does not swap 5xx and most 4xx responses (see responseHandling in base.html):
  // show a friendly banner instead of failing silently.
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
  document.addEventListener("htmx:beforeRequest", function (event) {
    var banner = document.getElementById("error-banner");
    if (banner) { banner.hidden = true; }
    // A new action makes the messages of the previous one stale: a success message must
    // not stay above the error the new action may bring.
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb && verb !== "get") {
      document.querySelectorAll("main .flashes").forEach(function (flashes) {
        flashes.remove();
      });
    }
  });

  // Confirmation for destructive buttons: data-confirm carries the translated question.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);
})();

// --- portal: print button and focus on the new wizard step ---
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "wizard") {
      var heading = document.querySelector("#wizard [data-focus]");
      if (heading) { heading.focus(); }
    }
  });
})();

// --- structured messages: upload progress of a batch file (htmx:xhr:progress) ---
(function () {
  "use strict";
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload-progress]");
    if (!form || !event.detail.lengthComputable) { return; }
    var bar = form.querySelector("progress");
    if (bar) { bar.value = Math.round(event.detail.loaded / event.detail.total * 100); }
  });
})();
