// OpenCRS: small progressive enhancements of our own. Every page works
// without this script; it adds search as you type, the CSRF header on
// script requests, focus on the error summary and live boards.
(function () {
  "use strict";

  // csrfToken is the session's token, read from any form on the page.
  function csrfToken() {
    var f = document.querySelector('input[name="csrf_token"]');
    return f ? f.value : "";
  }

  // request fetches a same-site address with the CSRF header.
  function request(url, opts) {
    opts = opts || {};
    opts.credentials = "same-origin";
    opts.headers = opts.headers || {};
    opts.headers["X-CSRF-Token"] = csrfToken();
    opts.headers["X-Requested-With"] = "fetch";
    return fetch(url, opts);
  }
  window.crs = { request: request };

  // Search as you type: after a pause in typing, fetch the results
  // fragment and swap it into the live region.
  function enhanceSearch(form) {
    var box = form.querySelector('input[name="q"]');
    var results = document.querySelector("[data-search-results]");
    var group = form.querySelector("[data-search-group]");
    var errorP = form.querySelector("[data-search-error]");
    var errorText = form.querySelector("[data-search-error-text]");
    if (!box || !results) { return; }
    var timer = null, seq = 0, last = box.value;

    function showError(msg) {
      if (!errorP) { return; }
      errorP.hidden = !msg;
      errorText.textContent = msg;
      group.classList.toggle("form-group--error", !!msg);
      box.classList.toggle("input--error", !!msg);
      if (msg) {
        box.setAttribute("aria-invalid", "true");
        box.setAttribute("aria-describedby", "q-hint q-error");
      } else {
        box.removeAttribute("aria-invalid");
        box.setAttribute("aria-describedby", "q-hint");
      }
    }

    function run() {
      var params = new URLSearchParams(new FormData(form));
      var q = box.value.trim();
      var any = false;
      params.forEach(function (v) { if (v.trim() !== "") { any = true; } });
      if (!any) {
        seq++;
        results.innerHTML = "";
        showError("");
        return;
      }
      if (q.length > 0 && q.length < 2) { return; }
      var url = form.action + "?" + params.toString();
      params.set("partial", "1");
      var mine = ++seq;
      results.setAttribute("aria-busy", "true");
      request(form.action + "?" + params.toString()).then(function (res) {
        if (res.redirected || res.status === 401) { window.location.href = url; return null; }
        return res.text();
      }).then(function (html) {
        if (html === null || mine !== seq) { return; }
        results.innerHTML = html;
        var root = results.querySelector("[data-error]");
        showError(root ? root.getAttribute("data-error") : "");
        history.replaceState(null, "", url);
      }).catch(function () {
        // Offline or server down: the Search button still works.
      }).finally(function () {
        if (mine === seq) { results.removeAttribute("aria-busy"); }
      });
    }

    box.addEventListener("input", function () {
      if (box.value === last) { return; }
      last = box.value;
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    });
  }

  // Focus the error summary so screen reader and keyboard users hear the
  // problems first.
  function focusErrors() {
    var s = document.querySelector(".error-summary[data-focus]");
    if (s) { s.focus(); }
  }

  // The error summary links move focus to the field, not just scroll.
  function linkErrors() {
    document.querySelectorAll(".error-summary a[href^='#']").forEach(function (a) {
      a.addEventListener("click", function (e) {
        var el = document.getElementById(a.getAttribute("href").slice(1));
        if (!el) { return; }
        e.preventDefault();
        el.focus();
        el.scrollIntoView({ block: "center" });
      });
    });
  }

  // Live boards: listen on the board's server-sent event stream and,
  // when told something changed, fetch the board fragment and swap it in,
  // saying so politely to screen readers. Without the script the page's
  // Refresh link does the same by hand.
  function liveBoard(el) {
    var board = el.querySelector("[data-live-board]");
    var note = el.querySelector("[data-live-note]");
    var src = el.getAttribute("data-live-src");
    if (!board || !src || !window.EventSource) { return; }
    var timer = null, busy = false, again = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      request(src).then(function (res) {
        if (!res.ok || res.redirected) { return null; }
        return res.text();
      }).then(function (html) {
        if (html === null) { return; }
        board.innerHTML = html;
        el.setAttribute("data-live-updated", String(Date.now()));
        if (note) {
          var t = new Date();
          note.textContent = "Updated at " + ("0" + t.getHours()).slice(-2) + ":" + ("0" + t.getMinutes()).slice(-2) + ":" + ("0" + t.getSeconds()).slice(-2) + ".";
        }
      }).catch(function () {
        // Offline: the next event or the Refresh link tries again.
      }).finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
    }
    var es = new EventSource("/live?topic=" + encodeURIComponent(el.getAttribute("data-live")));
    es.addEventListener("refresh", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 200);
    });
    es.addEventListener("open", function () { el.setAttribute("data-live-connected", "true"); });
    var every = parseInt(el.getAttribute("data-live-every") || "0", 10);
    if (every > 0) { setInterval(refresh, every * 1000); }
    window.addEventListener("pagehide", function () { es.close(); });
  }

  // Concept fields of clinical forms (problems, allergies): after a
  // pause in typing, fetch the matching SNOMED CT concepts as radio
  // buttons and swap them in, keeping the one chosen. Without the script
  // the field's Search button posts the form for the same list.
  function enhanceConcept(group) {
    var box = group.querySelector("[data-concept-q]");
    var matches = group.querySelector("[data-concept-matches]");
    if (!box || !matches) { return; }
    var name = group.getAttribute("data-concept");
    var kind = group.getAttribute("data-concept-kind") || "";
    var timer = null, seq = 0, last = box.value;
    function run() {
      var q = box.value.trim();
      if (q.length < 2) { return; }
      var chosen = group.querySelector('input[name="' + name + '"]:checked');
      var params = new URLSearchParams({ q: q, kind: kind, name: name, selected: chosen ? chosen.value : "" });
      var mine = ++seq;
      matches.setAttribute("aria-busy", "true");
      request("/terminology/concepts?" + params.toString()).then(function (res) {
        if (!res.ok || res.redirected) { return null; }
        return res.text();
      }).then(function (html) {
        if (html === null || mine !== seq) { return; }
        matches.innerHTML = html;
      }).catch(function () {
        // Offline: the Search button still works.
      }).finally(function () {
        if (mine === seq) { matches.removeAttribute("aria-busy"); }
      });
    }
    box.addEventListener("input", function () {
      if (box.value === last) { return; }
      last = box.value;
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    });
    // Enter in the search box searches, rather than saving the form.
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); clearTimeout(timer); run(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-concept]").forEach(enhanceConcept);
    document.querySelectorAll("form[data-search]").forEach(enhanceSearch);
    document.querySelectorAll("[data-live]").forEach(liveBoard);
    focusErrors();
    linkErrors();
  });
})();

// Wide tables: a table wider than the screen scrolls inside its box, and
// that box takes the keyboard focus (named after the table's caption or
// heading) so it can be scrolled with the arrow keys.
(function () {
  "use strict";
  function nameOf(wrap) {
    var cap = wrap.querySelector("caption");
    if (cap) { return cap.textContent.trim(); }
    for (var el = wrap.previousElementSibling; el; el = el.previousElementSibling) {
      if (/^H[1-6]$/.test(el.tagName)) { return el.textContent.trim(); }
    }
    return "Table";
  }
  function mark() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", nameOf(wrap) + " (scrolls sideways)");
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
  new MutationObserver(function () { mark(); }).observe(document.documentElement, { childList: true, subtree: true });
})();
