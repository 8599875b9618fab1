// kefu staff UI behaviour. No inline JS (strict CSP): everything hangs off data-* attributes.
//   data-autosubmit      on a <select>: submit its form on change
//   data-hotkey="/"      focus this input when the key is pressed outside a text field
//   data-autohide        toast that fades out after a few seconds
//   data-compose         reply/note form: marks the box as a note while "internal note" is chosen
//   <body data-msg-*>    translated texts for request failures
//   HX-Trigger kefuToast {"message": "..."} from the server shows a toast
//   #reply-insert        the reply box: a canned reply chosen in the picker is inserted at its
//                        cursor (the server fills the reply's variables for the ticket and counts
//                        the use); the picker's list closes
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function autohide(el) {
    setTimeout(function () { el.classList.add("hide"); }, 4000);
    setTimeout(function () { el.remove(); }, 4500);
  }

  function toast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (kind || "info");
    el.textContent = message; // text, never HTML
    box.appendChild(el);
    autohide(el);
  }

  function syncCompose(root) {
    (root || document).querySelectorAll("form[data-compose]").forEach(function (form) {
      var note = form.querySelector("input[name=kind][value=note]");
      var box = form.closest(".compose");
      if (box && note) box.classList.toggle("is-note", note.checked);
    });
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("select[data-autosubmit]") && t.form) t.form.requestSubmit();
    if (t.matches && t.matches("form[data-compose] input[name=kind]")) syncCompose(t.form.parentNode);
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.target.isContentEditable) return;
    var el = document.querySelector('[data-hotkey="' + e.key + '"]');
    if (el) { e.preventDefault(); el.focus(); el.select && el.select(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-autohide]").forEach(autohide);
    syncCompose(document);
  });

  document.addEventListener("kefuToast", function (e) { toast(e.detail && e.detail.message); });

  // Where the agent's cursor was in the reply box when they went to the picker.
  document.addEventListener("focusout", function (e) {
    var t = e.target;
    if (t.id === "reply-insert") t.dataset.caret = t.selectionStart + "," + t.selectionEnd;
  });

  document.addEventListener("htmx:beforeSwap", function (e) {
    var box = e.detail.target;
    if (!box || box.id !== "reply-insert" || !e.detail.xhr || e.detail.xhr.status !== 200) return;
    var tpl = document.createElement("template");
    tpl.innerHTML = e.detail.serverResponse;
    var filled = tpl.content.querySelector("textarea");
    if (!filled) return;
    e.detail.shouldSwap = false;
    var text = filled.textContent;
    var caret = (box.dataset.caret || "").split(",");
    var start = caret.length === 2 ? Number(caret[0]) : box.value.length;
    var end = caret.length === 2 ? Number(caret[1]) : box.value.length;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    var at = start + text.length;
    box.dataset.caret = at + "," + at;
    box.focus();
    box.setSelectionRange(at, at);
    var picker = document.getElementById("reply-picker");
    if (picker) picker.replaceChildren();
    var typed = box.form && box.form.querySelector(".reply-picker input[name=q]");
    if (typed) typed.value = "";
  });

  // htmx: re-apply behaviour to swapped content; show refused requests instead of failing silently.
  document.addEventListener("htmx:afterSwap", function (e) { syncCompose(e.target); });
  document.addEventListener("htmx:responseError", function (e) {
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    var key = status === 404 ? "msgNotFound" : status === 403 ? "msgForbidden" : "msgError";
    toast(document.body.dataset[key] || ("HTTP " + status), "error");
  });
  document.addEventListener("htmx:sendError", function () { toast(document.body.dataset.msgOffline, "error"); });
})();
