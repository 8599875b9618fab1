// The agent console: lists (waiting / mine / others), one open chat, actions over small JSON views,
// new messages pushed by kefu.realtime (window.kefuRealtime). After a reconnect it reads what it
// missed (messages after the last seq it has). Text is always set as text, never HTML.
(function () {
  "use strict";
  var root, current = null, lastSeq = 0, seen = {}, offers = {}, slas = {}, longestFrom = null;
  // Several chats side by side: my active chats are tabs over the one pane; each keeps its draft
  // (also in sessionStorage, so a reload keeps it) and counts the visitor's messages not yet seen.
  var tabs = [], unread = {}, drafts = {};
  function draftKey(id) { return "kefu.chat.draft." + id; }
  function saveDraft() {
    if (current === null) return;
    var text = document.getElementById("chat-input").value;
    drafts[current] = text;
    try { if (text) sessionStorage.setItem(draftKey(current), text); else sessionStorage.removeItem(draftKey(current)); }
    catch (e) { /* storage off: the draft lives while the page does */ }
  }
  function draftOf(id) {
    if (drafts[id] != null) return drafts[id];
    try { return sessionStorage.getItem(draftKey(id)) || ""; } catch (e) { return ""; }
  }
  function drawTabs() {
    var bar = document.getElementById("chat-tabs"); if (!bar) return;
    bar.textContent = "";
    var list = tabs.slice();
    list.forEach(function (c) {
      var b = el("button", "chat-tab", c.visitor); b.type = "button";
      b.setAttribute("role", "tab"); b.dataset.conversation = c.id;
      b.setAttribute("aria-selected", c.id === current ? "true" : "false");
      var n = unread[c.id] || 0, mark = el("span", "chat-unread", n ? String(n) : "");
      mark.dataset.unread = n;
      if (n) mark.setAttribute("aria-label", root.dataset.msgUnread + " " + n);
      b.appendChild(mark);
      if (draftOf(c.id) && c.id !== current) { var d = el("span", "chat-draft-mark", "✎"); d.title = root.dataset.msgDraft; b.appendChild(d); }
      b.addEventListener("click", function () { if (c.id !== current) open(c.id); });
      bar.appendChild(b);
    });
    bar.hidden = !list.length;
    document.querySelectorAll(".chat-list li[data-conversation]").forEach(function (li) {
      var n = unread[Number(li.dataset.conversation)] || 0;
      li.dataset.unread = n; li.classList.toggle("has-unread", n > 0);
    });
  }
  var RISK_SECONDS = 20;  // the badge turns amber this long before the first-reply limit
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function api(path, body) {
    var opts = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json",
      "X-CSRFToken": csrf() }, body: JSON.stringify(body) };
    return fetch(path, opts).then(function (r) {
      return r.json().then(function (d) {
        if (!r.ok) { document.dispatchEvent(new CustomEvent("kefuToast", { detail: { message: d.message } })); throw d; }
        return d;
      });
    });
  }
  function el(tag, cls, text) { var n = document.createElement(tag); if (cls) n.className = cls;
    if (text != null) n.textContent = text; return n; }
  function fill(id, list) {
    var ul = document.getElementById(id); if (!ul) return;
    ul.textContent = "";
    if (!list.length) ul.appendChild(el("li", "empty", root.dataset.msgEmpty));
    list.forEach(function (c) {
      var li = el("li", c.id === current ? "is-current" : "", c.visitor + (c.agent ? " · " + c.agent : ""));
      li.dataset.conversation = c.id;
      slas[c.id] = c.sla;
      var badge = el("span", "chat-badge"); badge.dataset.sla = c.id; li.appendChild(badge);
      li.addEventListener("click", function () { open(c.id); });
      ul.appendChild(li);
    });
  }
  function refresh() {
    return api("/chat/console/state/").then(function (d) {
      fill("chat-waiting", d.waiting); fill("chat-mine", d.mine); fill("chat-others", d.others);
      tabs = d.mine; drawTabs();
      offers = {}; d.offers.forEach(function (o) { offers[o.conversation] = o; }); drawOffers();
      longestFrom = d.stats.waiting ? Date.now() - d.stats.longest_wait * 1000 : null; tick();
      (d.waiting.concat(d.mine, d.others)).forEach(function (c) { window.kefuRealtime.subscribe("conv." + c.id); });
    });
  }
  function mmss(sec) { sec = Math.max(0, Math.round(sec)); var m = Math.floor(sec / 60), x = sec % 60;
    return m + ":" + (x < 10 ? "0" : "") + x; }
  // The first-reply badge: counts down while nobody has answered, amber near the limit, red past it.
  function badge(node, sla) {
    if (!node) return;
    var state = sla ? sla.state : "", text = "", cls = "";
    if (state === "running") {
      var left = (Date.parse(sla.due) - Date.now()) / 1000;
      if (left <= 0) { state = "late"; } else {
        text = root.dataset.msgSlaRunning + " " + mmss(left); cls = left <= RISK_SECONDS ? "sla-risk" : "sla-running"; }
    }
    if (state === "late") { text = root.dataset.msgSlaLate; cls = "sla-late"; }
    if (state === "met") { text = root.dataset.msgSlaMet; cls = "sla-met"; }
    if (state === "breached") { text = root.dataset.msgSlaBreached; cls = "sla-breached"; }
    node.textContent = text; node.className = node.className.split(" ")[0] + (cls ? " " + cls : "");
    node.dataset.state = state;
  }
  function tick() {
    document.querySelectorAll("[data-sla]").forEach(function (n) { badge(n, slas[n.dataset.sla]); });
    if (current !== null) badge(document.getElementById("chat-sla"), slas[current]);
    var longest = document.getElementById("chat-longest");
    if (longest) longest.textContent = mmss(longestFrom === null ? 0 : (Date.now() - longestFrom) / 1000);
    document.querySelectorAll(".chat-offer [data-due]").forEach(function (n) {
      n.textContent = mmss((Date.parse(n.dataset.due) - Date.now()) / 1000); });
  }
  function drawOffers() {
    var box = document.getElementById("chat-offers"); box.textContent = "";
    Object.keys(offers).forEach(function (k) {
      var o = offers[k], card = el("div", "chat-offer");
      card.dataset.conversation = o.conversation;
      var count = el("span", "chat-count"); count.dataset.due = o.due; card.appendChild(count);
      card.appendChild(el("strong", "", root.dataset.msgOffer));
      card.appendChild(el("div", "", o.visitor));
      if (o.reason === "account_manager") card.appendChild(el("span", "chat-offer-vip", root.dataset.msgVip));
      var yes = el("button", "chat-offer-accept", root.dataset.msgAccept); yes.type = "button";
      yes.addEventListener("click", function () { open(o.conversation); act("accept"); });
      var no = el("button", "chat-offer-decline", root.dataset.msgDecline); no.type = "button";
      no.addEventListener("click", function () {
        api("/chat/console/c/" + o.conversation + "/decline/", {}).then(function () { delete offers[k]; drawOffers(); refresh(); });
      });
      card.appendChild(yes); card.appendChild(no); box.appendChild(card);
    });
    tick();
  }
  function line(m) {
    if (seen[m.seq]) return;
    seen[m.seq] = true; lastSeq = Math.max(lastSeq, m.seq);
    var row = el("div", "chat-msg " + m.sender + (m.internal ? " internal" : ""));
    row.dataset.seq = m.seq;
    row.appendChild(el("span", "who", m.author || m.sender));
    var f = m.meta && m.meta.file;
    if (f && f.image) {
      var a = el("a", "chat-file"); a.href = "/chat/console/f/" + f.id + "/"; a.target = "_blank"; a.rel = "noopener";
      var img = el("img", "chat-img"); img.src = a.href; img.alt = f.name; img.loading = "lazy";
      a.appendChild(img); row.appendChild(a);
    } else if (f) {
      var link = el("a", "chat-file", "📄 " + f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KB)");
      link.href = "/chat/console/f/" + f.id + "/"; row.appendChild(link);
    } else {
      row.appendChild(el("span", "text", m.body));
    }
    var log = document.getElementById("chat-log");
    log.appendChild(row); log.scrollTop = log.scrollHeight;
  }
  function show(c) {
    document.getElementById("chat-visitor").textContent = c.visitor + (c.phone ? " " + c.phone : "");
    document.getElementById("chat-customer").textContent = c.customer ? c.customer.name : "";
    var link = document.getElementById("chat-ticket-link");
    link.hidden = !c.ticket; if (c.ticket) { link.href = "/tickets/" + c.ticket + "/"; link.textContent = c.ticket; }
    document.getElementById("chat-accept").hidden = c.status !== "waiting";
    document.getElementById("chat-decline").hidden = !offers[c.id];
    root.dataset.status = c.status;
    slas[c.id] = c.sla; tick();
  }
  // Knowledge for the visitor's last message: a canned reply is inserted (filled) into the box,
  // an article or case opens beside.
  function suggest() {
    if (current === null) return;
    var id = current;
    api("/chat/console/c/" + id + "/suggest/").then(function (d) {
      if (id !== current) return;
      document.getElementById("chat-suggest-for").textContent = d["for"] ? "“" + d["for"] + "”" : "";
      var ul = document.getElementById("chat-suggest-list"); ul.textContent = "";
      if (d["for"] && !d.hits.length) ul.appendChild(el("li", "empty", root.dataset.msgNothing));
      d.hits.forEach(function (h) {
        var li = el("li"); li.dataset.kind = h.kind;
        li.appendChild(el("strong", "", h.title)); li.appendChild(el("span", "sn", h.snippet));
        if (h.kind === "reply") {
          var b = el("button", "chat-suggest-insert", root.dataset.msgInsert); b.type = "button";
          b.addEventListener("click", function () {
            api("/chat/console/c/" + id + "/canned/", { reply: h.id }).then(function (r) {
              var input = document.getElementById("chat-input");
              input.value = (input.value ? input.value + "\n" : "") + r.text; input.focus(); });
          });
          li.appendChild(b);
        } else {
          var a = el("a", "", root.dataset.msgOpen); a.href = h.url; a.target = "_blank"; a.rel = "noopener";
          li.appendChild(a);
        }
        ul.appendChild(li);
      });
    });
  }
  function load() {
    if (current === null) return Promise.resolve();
    return api("/chat/console/c/" + current + "/messages/?after=" + lastSeq).then(function (d) {
      show(d.conversation); d.messages.forEach(line);
    });
  }
  function open(id) {
    saveDraft();
    current = id; lastSeq = 0; seen = {}; unread[id] = 0;
    var input = document.getElementById("chat-input");
    input.value = draftOf(id);
    document.getElementById("chat-log").textContent = "";
    document.getElementById("chat-pane").hidden = false;
    window.kefuRealtime.subscribe("conv." + id);
    drawTabs(); load(); refresh(); suggest();
  }
  function act(action, body) {
    return api("/chat/console/c/" + current + "/" + action + "/", body || {}).then(function (d) {
      if (d.conversation) show(d.conversation);
      if (d.number) { var link = document.getElementById("chat-ticket-link"); link.hidden = false;
        link.href = d.url; link.textContent = d.number; }
      refresh(); return d;
    });
  }
  // The `/` picker: typing "/" then a shortcut, a title or its pinyin ("/tk", "/tuikuan", "/退款")
  // lists canned replies; ↑/↓ move, Enter or Tab inserts the filled text in place of "/…", Esc closes.
  function canned(input) {
    var box = document.getElementById("chat-canned"), rows = [], pos = 0, timer = null, asked = "";
    function slash() {
      var upto = input.value.slice(0, input.selectionStart), at = upto.lastIndexOf("/");
      if (at < 0 || (at > 0 && !/\s/.test(upto.charAt(at - 1)))) return null;
      var typed = upto.slice(at + 1);
      return /\s/.test(typed) ? null : { at: at, typed: typed };
    }
    function close() { box.hidden = true; rows = []; input.removeAttribute("aria-activedescendant"); }
    function draw() {
      box.textContent = "";
      rows.forEach(function (r, i) {
        var li = el("li"); li.id = "chat-canned-" + r.id; li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === pos ? "true" : "false"); li.dataset.reply = r.id;
        if (r.shortcut) li.appendChild(el("span", "sc", "/" + r.shortcut));
        li.appendChild(el("span", "", r.title)); li.appendChild(el("span", "pv", r.preview));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        box.appendChild(li);
      });
      box.hidden = !rows.length;
      if (rows.length) input.setAttribute("aria-activedescendant", "chat-canned-" + rows[pos].id);
    }
    function lookup() {
      var s = slash(); if (!s || current === null) { close(); return; }
      asked = s.typed;
      api("/chat/console/replies/?q=" + encodeURIComponent(s.typed)).then(function (d) {
        if (asked !== s.typed) return;
        rows = d.replies; pos = 0; draw();
      });
    }
    function choose(i) {
      var s = slash(), r = rows[i]; if (!s || !r) { close(); return; }
      var before = input.value.slice(0, s.at), after = input.value.slice(s.at + 1 + s.typed.length);
      close();
      api("/chat/console/c/" + current + "/canned/", { reply: r.id }).then(function (d) {
        input.value = before + d.text + after; input.focus();
        var caret = (before + d.text).length; input.setSelectionRange(caret, caret);
      });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 120); });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    input.addEventListener("keydown", function (e) {
      if (box.hidden || !rows.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault(); pos = (pos + (e.key === "ArrowDown" ? 1 : rows.length - 1)) % rows.length; draw();
      } else if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); choose(pos); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
  }
  function start() {
    root = document.getElementById("chat-console");
    if (!root || !window.kefuRealtime) return;
    var rt = window.kefuRealtime;
    rt.subscribe("chatqueue.all");
    rt.on("message", function (d) {
      if (d.conversation !== current) {
        if (d.message.sender === "visitor") { unread[d.conversation] = (unread[d.conversation] || 0) + 1; drawTabs(); }
        return;
      }
      line(d.message);
      if (d.message.sender === "visitor" && !(d.message.meta && d.message.meta.file)) suggest();
    });
    rt.on("status", function (d) { if (d.conversation === current) load(); refresh(); });
    rt.on("chat.waiting", refresh); rt.on("chat.taken", refresh); rt.on("chat.transferred", refresh);
    rt.on("chat.offer", function (d) { offers[d.conversation] = d; drawOffers(); refresh(); });
    rt.on("chat.offer_gone", function (d) { delete offers[d.conversation]; drawOffers(); refresh(); });
    rt.on("chat.sla", function (d) { slas[d.conversation] = { state: d.state, due: d.due }; tick(); });
    setInterval(tick, 1000);
    document.getElementById("chat-decline").addEventListener("click", function () {
      var id = current;
      api("/chat/console/c/" + id + "/decline/", {}).then(function () { delete offers[id]; drawOffers(); refresh(); });
    });
    rt.on("typing", function (d) {
      if (d.conversation !== current || d.who !== "visitor") return;
      var tp = document.getElementById("chat-typing"); tp.hidden = false;
      clearTimeout(start.t); start.t = setTimeout(function () { tp.hidden = true; }, 4000);
    });
    rt.on("reconnected", function () { load(); refresh(); });
    document.getElementById("chat-accept").addEventListener("click", function () { act("accept"); });
    document.getElementById("chat-end").addEventListener("click", function () {
      var id = current;
      act("end", { resolved: document.getElementById("chat-resolved").checked }).then(function () {
        delete drafts[id]; try { sessionStorage.removeItem(draftKey(id)); } catch (e) { /* off */ }
        document.getElementById("chat-resolved").checked = false;
      });
    });
    document.getElementById("chat-ticket").addEventListener("click", function () { act("ticket"); });
    document.getElementById("chat-transfer").addEventListener("click", function () {
      var to = document.getElementById("chat-transfer-to").value, body = { note: "" };
      if (!to) return;
      if (to.indexOf("team:") === 0) body.team = Number(to.slice(5)); else body.to = Number(to);
      act("transfer", body).then(function () { current = null;
        document.getElementById("chat-pane").hidden = true; drawTabs(); });
    });
    var input = document.getElementById("chat-input");
    canned(input);
    input.addEventListener("input", function () { saveDraft(); });
    document.getElementById("chat-compose").addEventListener("submit", function (e) {
      e.preventDefault();
      var body = input.value.trim(); if (!body) return;
      var id = current;
      api("/chat/console/c/" + id + "/send/", { body: body, internal: document.getElementById("chat-internal").checked,
        client_id: "a" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6) }).then(function () {
          // Sent: clear that chat's draft, even when the agent has switched to another tab meanwhile.
          delete drafts[id]; try { sessionStorage.removeItem(draftKey(id)); } catch (e) { /* off */ }
          if (current === id) input.value = "";
          drawTabs(); });
    });
    var fileInput = document.getElementById("chat-file");
    document.getElementById("chat-attach").addEventListener("click", function () { fileInput.click(); });
    fileInput.addEventListener("change", function () {
      var file = fileInput.files[0]; fileInput.value = ""; if (!file || current === null) return;
      var fd = new FormData(); fd.append("file", file, file.name);
      fetch("/chat/console/c/" + current + "/upload/", { method: "POST", body: fd, headers: { "X-CSRFToken": csrf() } })
        .then(function (r) { return r.json().then(function (d) {
          if (!r.ok) { document.dispatchEvent(new CustomEvent("kefuToast", { detail: { message: d.message } })); return; }
          line(d.message); }); });
    });
    document.getElementById("chat-capacity").addEventListener("change", function (e) {
      api("/chat/console/capacity/", { capacity: Number(e.target.value) });
    });
    refresh();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
