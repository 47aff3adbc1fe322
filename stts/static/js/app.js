// STTS client behaviour: progressive enhancement only; every page works without it.
(function () {
  "use strict";

  // The server's own explanation when it sent one (its translated error fragment: too many
  // requests, not found, too large...), read as text only; the generic message otherwise
  // (no answer at all, or an answer from something in front of the application).
  function serverExplanation(xhr) {
    if (!xhr || !xhr.responseText) { return null; }
    var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var section = answer.querySelector(".error-page");
    if (!section) { return null; }
    var lines = [];
    section.querySelectorAll("h1, p").forEach(function (node) {
      if (!node.querySelector("a")) { lines.push(node.textContent.trim()); }
    });
    return lines.filter(Boolean).join(" — ") || null;
  }

  function showError(event) {
    var banner = document.getElementById("error-banner");
    if (!banner) { return; }
    banner.textContent = serverExplanation(event && event.detail && event.detail.xhr) ||
      document.body.dataset.errorMessage;
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

// --- feedback: busy states, no double submits, focus into new content after a swap ---
(function () {
  "use strict";
  var SLOW_MS = 300;

  function controls(form) {
    return form ? form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]") : [];
  }

  function busy(form) {
    if (!form || form.getAttribute("aria-busy") === "true") { return; }
    form.setAttribute("aria-busy", "true");
    controls(form).forEach(function (button) { button.disabled = true; });
    // Progress shows only for a request that lasts: a quick answer does not flicker.
    form._sttsSlow = window.setTimeout(function () { form.classList.add("is-busy"); }, SLOW_MS);
  }

  function idle(form) {
    if (!form) { return; }
    window.clearTimeout(form._sttsSlow);
    form.removeAttribute("aria-busy");
    form.classList.remove("is-busy");
    controls(form).forEach(function (button) { button.disabled = false; });
  }

  function postingForm(event) {
    var elt = event.detail && event.detail.elt;
    var verb = event.detail && event.detail.requestConfig && event.detail.requestConfig.verb;
    if (!elt || !verb || verb === "get") { return null; }
    if (elt.tagName === "FORM") { return elt; }
    // A field's own request (an inline check as the field is left) does not make its form
    // busy: the click on "Continue" that left the field must still submit.
    return elt.tagName === "BUTTON" || elt.type === "submit" ? elt.closest("form") : null;
  }

  // htmx posts: the form's buttons are disabled while the request runs (a second click
  // sends nothing), aria-busy tells assistive technology, progress shows after 300 ms.
  document.addEventListener("htmx:beforeRequest", function (event) {
    busy(postingForm(event));
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    idle(postingForm(event));
  });

  // Plain posts (no script on the form, or htmx off): the same, once the browser has
  // taken the submitter's value (disabling it before would drop it from the data).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.hasAttribute("hx-post") && !form.hasAttribute("hx-disable")) {
      return;
    }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
    window.setTimeout(function () { busy(form); }, 0);
  });
  // Back to a page kept by the browser: its forms are not busy any more.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[aria-busy=true]").forEach(idle);
  });

  // Focus follows new content: after a swap triggered by a form, a button or a link, focus
  // moves into what was inserted (the first invalid field, else the error summary, else the
  // first control), so the next Tab does not start again from the top of the page. Swaps
  // triggered while typing (live search, inline checks) leave the focus where it is; the
  // wizard focuses its own heading.
  var pending = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var target = event.detail.target;
    pending = null;
    if (!elt || !target || target.id === "wizard") { return; }
    if (elt.tagName === "INPUT" || elt.tagName === "SELECT" || elt.tagName === "TEXTAREA") { return; }
    // A live search declared on its form answers the fields' keyup and change events: the
    // user is typing or choosing there, the focus stays in the field.
    var trigger = event.detail.requestConfig.triggeringEvent;
    var from = trigger && trigger.target;
    if (trigger && trigger.type !== "submit" && from && from.matches &&
        from.matches("input:not([type=submit]):not([type=button]), select, textarea")) { return; }
    pending = {id: target.id, parent: target.parentElement};
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!pending) { return; }
    var box = (pending.id && document.getElementById(pending.id)) || pending.parent;
    pending = null;
    if (!box) { return; }
    var into = box.querySelector("[aria-invalid=true]") ||
      box.querySelector(".banner-error, [role=alert]") ||
      box.querySelector("[data-focus]") ||
      box.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])") ||
      box.querySelector("button:not([disabled]), a[href]");
    if (into && into.matches(".banner, [role=alert], p, div, [data-focus]") && !into.hasAttribute("tabindex")) {
      into.setAttribute("tabindex", "-1");
    }
    if (!into) {
      into = box;
      if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "-1"); }
    }
    into.focus();
  });
})();
