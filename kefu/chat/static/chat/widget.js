/* kefu chat widget — no framework, no dependencies.
 *   <script src="https://kefu.example.com/chat/widget.js" data-title="在线客服" data-prechat="1" async></script>
 * data-title   the header text        data-lang   "zh" (default) or "en"
 * data-prechat ask name and phone first   data-mode "page": fill #kefu-chat (the mobile page)
 * Talks to /ws/chat/ on the script's own server. Visitor text is always set as text, never HTML.
 * Messages carry sequence numbers: after a reconnect it asks for what came after the last one it
 * has, and resends what the server did not acknowledge (same client_id, stored once).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__kefuChat) return;
  window.__kefuChat = true;
  var origin = new URL(script.src, location.href).origin;
  var ds = script.dataset;
  var T = {
    zh: { open: "在线客服", title: "在线客服", send: "发送", placeholder: "请输入您的问题…", human: "转人工",
      end: "结束会话", typing: "对方正在输入…", read: "已读", reconnecting: "网络连接中断，正在重连…",
      rate: "请为本次服务评分", rated: "感谢您的评价！", name: "称呼", phone: "手机号", start: "开始咨询",
      offline: "当前无客服在线，请留言，我们会尽快联系您。", leave: "提交留言", message: "留言内容",
      saved: "留言已提交，工单号：", again: "重新咨询", close: "关闭", ended: "会话已结束", comment: "其他意见（选填）",
      attach: "上传图片或文件", uploading: "正在上传…" },
    en: { open: "Chat with us", title: "Customer service", send: "Send", placeholder: "Type your question…",
      human: "Talk to a person", end: "End chat", typing: "Typing…", read: "Read",
      reconnecting: "Connection lost, reconnecting…", rate: "Please rate this chat", rated: "Thank you for your rating!",
      name: "Name", phone: "Phone", start: "Start chat", offline: "Nobody is on duty. Leave a message and we will contact you.",
      leave: "Send message", message: "Message", saved: "Message received, ticket ", again: "New chat",
      close: "Close", ended: "Chat ended", comment: "Anything else (optional)", attach: "Attach a picture or file",
      uploading: "Uploading…" }
  };
  var t = T[ds.lang === "en" ? "en" : "zh"];
  var KEY = "kefu.chat.token";
  var state = { token: null, conv: null, lastSeq: 0, seen: {}, pending: {}, ws: null, delay: 500, open: false,
    ended: false, status: "" };
  try { state.token = localStorage.getItem(KEY); } catch (e) { /* storage off: a new visitor each time */ }

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }
  var css = el("link"); css.rel = "stylesheet"; css.href = origin + "/static/chat/widget.css";
  document.head.appendChild(css);

  var pageMode = ds.mode === "page";
  var root = pageMode ? (document.getElementById("kefu-chat") || document.body) : el("div", "kefu-chat-root");
  root.classList.add("kefu-chat");
  if (pageMode) root.classList.add("kefu-chat-page");
  var launcher = el("button", "kefu-launcher", t.open);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  var panel = el("section", "kefu-panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", ds.title || t.title);
  var head = el("header", "kefu-head");
  head.appendChild(el("h2", "kefu-title", ds.title || t.title));
  var endBtn = el("button", "kefu-end", t.end); endBtn.type = "button";
  head.appendChild(endBtn);
  if (!pageMode) { var closeBtn = el("button", "kefu-close", "×"); closeBtn.type = "button";
    closeBtn.setAttribute("aria-label", t.close); head.appendChild(closeBtn);
    closeBtn.addEventListener("click", function () { toggle(false); }); }
  var notice = el("div", "kefu-notice", t.reconnecting); notice.hidden = true; notice.setAttribute("role", "status");
  var log = el("div", "kefu-log"); log.setAttribute("role", "log"); log.setAttribute("aria-live", "polite");
  var typing = el("div", "kefu-typing", t.typing); typing.hidden = true;
  var form = el("form", "kefu-compose");
  var input = el("textarea", "kefu-input"); input.rows = 2; input.maxLength = 2000;
  input.placeholder = t.placeholder; input.setAttribute("aria-label", t.placeholder);
  var humanBtn = el("button", "kefu-human", t.human); humanBtn.type = "button";
  var sendBtn = el("button", "kefu-send", t.send); sendBtn.type = "submit";
  // The paper clip: pictures, PDFs, text and Office files, checked on the server (kefu.chat.services).
  var fileInput = el("input", "kefu-file-input"); fileInput.type = "file"; fileInput.hidden = true;
  fileInput.accept = "image/jpeg,image/png,image/gif,image/webp,.pdf,.txt,.docx,.xlsx";
  var attachBtn = el("button", "kefu-attach", "📎"); attachBtn.type = "button";
  attachBtn.setAttribute("aria-label", t.attach); attachBtn.title = t.attach;
  form.appendChild(fileInput); form.appendChild(attachBtn);
  form.appendChild(input); form.appendChild(humanBtn); form.appendChild(sendBtn);
  [head, notice, log, typing, form].forEach(function (n) { panel.appendChild(n); });
  if (!pageMode) root.appendChild(launcher);
  root.appendChild(panel);
  if (!pageMode) { panel.hidden = true; document.body.appendChild(root); }

  function toggle(open) {
    state.open = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) { start(); input.focus(); }
  }
  launcher.addEventListener("click", function () { toggle(!state.open); });

  function scroll() { log.scrollTop = log.scrollHeight; }

  function bubble(m) {
    if (m.internal) return;
    if (m.seq && state.seen[m.seq]) return;
    if (m.seq) { state.seen[m.seq] = true; state.lastSeq = Math.max(state.lastSeq, m.seq); }
    if (m.client_id && state.pending[m.client_id]) {
      var mine = state.pending[m.client_id].node; delete state.pending[m.client_id];
      mine.classList.remove("kefu-pending"); mine.dataset.seq = m.seq; return;
    }
    var row = el("div", "kefu-msg kefu-" + m.sender);
    row.dataset.seq = m.seq;
    if (m.author && m.sender === "agent") row.appendChild(el("div", "kefu-author", m.author));
    var meta = m.meta || {};
    row.appendChild(meta.file ? fileBody(meta.file) : el("div", "kefu-body", m.body));
    if (meta.sources && meta.sources.length && meta.kind === "answer") {
      var a = el("a", "kefu-source", meta.sources[0].title);
      a.href = new URL(meta.sources[0].url, origin).href; a.target = "_blank"; a.rel = "noopener";
      row.appendChild(a);
    }
    var choices = (meta.choices || []).concat(meta.actions || []);
    if (choices.length) {
      var box = el("div", "kefu-choices");
      choices.forEach(function (c) {
        var b = el("button", "kefu-choice", c); b.type = "button";
        b.addEventListener("click", function () { send(c); });
        box.appendChild(b);
      });
      row.appendChild(box);
    }
    if (meta.offline) row.appendChild(offlineForm());
    if (meta.rate) row.appendChild(rating(meta.rate));
    log.appendChild(row);
    scroll();
    if (m.sender !== "visitor" && m.seq) wsSend({ type: "read", seq: m.seq });
  }

  function fileUrl(f) { return origin + "/chat/f/" + f.id + "/?t=" + encodeURIComponent(state.token || ""); }
  function fileBody(f) {
    var body = el("div", "kefu-body kefu-file");
    if (f.image) {
      var a = el("a"); a.href = fileUrl(f); a.target = "_blank"; a.rel = "noopener";
      var img = el("img", "kefu-img"); img.src = fileUrl(f); img.alt = f.name; img.loading = "lazy";
      a.appendChild(img); body.appendChild(a);
    } else {
      var link = el("a", "kefu-file-link", "📄 " + f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KB)");
      link.href = fileUrl(f); link.rel = "noopener"; body.appendChild(link);
    }
    return body;
  }
  function upload(file) {
    if (!file || state.conv === null) return;
    var id = "f" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    var row = el("div", "kefu-msg kefu-visitor kefu-pending");
    row.appendChild(el("div", "kefu-body", t.uploading + " " + file.name));
    log.appendChild(row); scroll();
    var fd = new FormData();
    fd.append("token", state.token || ""); fd.append("conversation", state.conv); fd.append("client_id", id);
    fd.append("file", file, file.name);
    fetch(origin + "/chat/upload/", { method: "POST", body: fd }).then(function (r) {
      return r.json().then(function (d) {
        row.remove();
        if (!r.ok) { system(d.message); return; }
        bubble(d.message);
      });
    }).catch(function () { row.remove(); system(t.reconnecting); });
  }
  attachBtn.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () { upload(fileInput.files[0]); fileInput.value = ""; });

  function rating(ask) {
    // What to ask comes from the surveys app's template for chats: its title and reasons to pick.
    var box = el("div", "kefu-rating");
    box.appendChild(el("p", null, (ask && ask.title) || t.rate));
    var picked = [];
    var reasons = el("div", "kefu-reasons");
    ((ask && ask.reasons) || []).forEach(function (r) {
      var c = el("button", "kefu-reason", r); c.type = "button"; c.setAttribute("aria-pressed", "false");
      c.addEventListener("click", function () {
        var i = picked.indexOf(r);
        if (i < 0) picked.push(r); else picked.splice(i, 1);
        c.setAttribute("aria-pressed", i < 0 ? "true" : "false");
      });
      reasons.appendChild(c);
    });
    var comment = el("input", "kefu-comment"); comment.placeholder = t.comment; comment.maxLength = 500;
    var stars = el("div", "kefu-stars");
    [1, 2, 3, 4, 5].forEach(function (n) {
      var b = el("button", "kefu-star", "★"); b.type = "button"; b.setAttribute("aria-label", n + "/5");
      b.dataset.score = n;
      b.addEventListener("click", function () {
        wsSend({ type: "rate", score: n, comment: comment.value, reasons: picked });
        box.textContent = t.rated;
      });
      stars.appendChild(b);
    });
    if (reasons.childNodes.length) box.appendChild(reasons);
    box.appendChild(stars); box.appendChild(comment);
    var again = el("button", "kefu-again", t.again); again.type = "button";
    again.addEventListener("click", function () { state.ended = false; state.seen = {}; state.lastSeq = 0;
      log.textContent = ""; hello(); });
    box.appendChild(again);
    return box;
  }

  function field(name, label, type) {
    var l = el("label", "kefu-field"); l.appendChild(el("span", null, label));
    var i = el(type === "textarea" ? "textarea" : "input"); i.name = name; if (type !== "textarea") i.type = type;
    l.appendChild(i); return l;
  }
  function offlineForm() {
    var f = el("form", "kefu-offline");
    f.appendChild(field("name", t.name, "text")); f.appendChild(field("phone", t.phone, "tel"));
    f.appendChild(field("body", t.message, "textarea"));
    var b = el("button", null, t.leave); b.type = "submit"; f.appendChild(b);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      wsSend({ type: "offline", name: f.elements.name.value, phone: f.elements.phone.value, body: f.elements.body.value });
    });
    return f;
  }
  function system(text) { log.appendChild(el("div", "kefu-msg kefu-system", text)); scroll(); }

  function wsSend(obj) {
    if (state.ws && state.ws.readyState === 1) { state.ws.send(JSON.stringify(obj)); return true; }
    return false;
  }
  function hello() {
    var msg = { type: "hello", token: state.token, after: state.lastSeq, page: location.href.slice(0, 300) };
    if (state.prechat) { msg.name = state.prechat.name; msg.phone = state.prechat.phone; state.prechat = null; }
    wsSend(msg);
  }
  function connect() {
    var ws = new WebSocket(origin.replace(/^http/, "ws") + "/ws/chat/");
    state.ws = ws;
    ws.onopen = function () { state.delay = 500; notice.hidden = true; hello(); };
    ws.onmessage = function (e) {
      var d; try { d = JSON.parse(e.data); } catch (err) { return; }
      if (d.type === "hello") {
        if (state.conv !== null && state.conv !== d.conversation) { log.textContent = ""; state.seen = {}; state.lastSeq = 0; }
        state.token = d.token; state.conv = d.conversation; state.status = d.status;
        try { localStorage.setItem(KEY, d.token); } catch (err) { /* ignore */ }
        d.messages.forEach(bubble);
        // What the server never acknowledged goes again; the client_id keeps it from being stored twice.
        Object.keys(state.pending).forEach(function (id) {
          wsSend({ type: "send", body: state.pending[id].body, client_id: id });
        });
      } else if (d.type === "message" && d.conversation === state.conv) {
        bubble(d.message);
        if (d.message.sender === "agent") typing.hidden = true;
      } else if (d.type === "ack") {
        var p = state.pending[d.client_id];
        if (p && !state.seen[d.seq]) { state.seen[d.seq] = true; p.node.classList.remove("kefu-pending");
          p.node.dataset.seq = d.seq; delete state.pending[d.client_id]; }
      } else if (d.type === "status") {
        state.status = d.status;
        if (d.status === "ended") state.ended = true;
        root.dataset.status = d.status;
      } else if (d.type === "typing" && d.who === "agent") {
        typing.hidden = false; clearTimeout(state.typingTimer);
        state.typingTimer = setTimeout(function () { typing.hidden = true; }, 4000);
      } else if (d.type === "read" && d.by === "agent") {
        log.querySelectorAll(".kefu-visitor").forEach(function (n) {
          if (Number(n.dataset.seq) <= d.seq) n.classList.add("kefu-read");
        });
      } else if (d.type === "offline_saved") {
        system(t.saved + d.number);
      } else if (d.type === "error") {
        if (d.client_id && state.pending[d.client_id]) { state.pending[d.client_id].node.classList.add("kefu-failed");
          delete state.pending[d.client_id]; }
        system(d.message);
        if (d.code === "bad_token") { state.token = null; try { localStorage.removeItem(KEY); } catch (err) { /* */ } }
      }
    };
    ws.onclose = function (e) {
      if (e.code === 4401) { state.token = null; }
      notice.hidden = false;
      setTimeout(connect, state.delay);
      state.delay = Math.min(state.delay * 2, 10000);
    };
  }
  var started = false;
  function start() {
    if (started) return;
    if (ds.prechat && !state.token && !state.prechat) { showPrechat(); return; }
    started = true;
    connect();
  }
  function showPrechat() {
    var f = el("form", "kefu-prechat");
    f.appendChild(field("name", t.name, "text")); f.appendChild(field("phone", t.phone, "tel"));
    var b = el("button", null, t.start); b.type = "submit"; f.appendChild(b);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      state.prechat = { name: f.elements.name.value, phone: f.elements.phone.value };
      f.remove(); start();
    });
    log.appendChild(f);
  }
  var n = 0;
  function send(text) {
    text = (text || "").trim();
    if (!text) return;
    var id = "c" + Date.now().toString(36) + "-" + (n++) + "-" + Math.random().toString(36).slice(2, 8);
    var row = el("div", "kefu-msg kefu-visitor kefu-pending");
    row.appendChild(el("div", "kefu-body", text));
    log.appendChild(row); scroll();
    state.pending[id] = { body: text, node: row };
    wsSend({ type: "send", body: text, client_id: id });
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); send(input.value); input.value = ""; });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(input.value); input.value = ""; }
  });
  var lastTyping = 0;
  input.addEventListener("input", function () {
    if (Date.now() - lastTyping > 2000) { lastTyping = Date.now(); wsSend({ type: "typing" }); }
  });
  humanBtn.addEventListener("click", function () { send("转人工"); });
  endBtn.addEventListener("click", function () { wsSend({ type: "end" }); });
  if (pageMode) start();
})();
