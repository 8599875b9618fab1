// kefu screen pop (来电弹屏): on a "call.pop" push (kefu/channels/cti.py) show the caller's card in
// a corner of whatever page the agent has open, with "new ticket from this call". Text goes in
// through textContent only (the card holds customer text). Needs kefu/realtime's realtime.js.
(function () {
  "use strict";
  var me = document.currentScript;
  var t = me ? me.dataset : {};
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function link(href, text) { var a = el("a", "", text); a.href = href; return a; }
  function show(d) {
    var box = document.getElementById("call-pop");
    if (!box) {
      box = el("aside", "card call-pop");
      box.id = "call-pop";
      box.setAttribute("role", "alertdialog");
      box.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:1000;width:22rem;max-height:80vh;overflow:auto;box-shadow:0 4px 16px rgba(0,0,0,.25)";
      document.body.appendChild(box);
    }
    box.replaceChildren();
    box.dataset.callPop = d.call;
    var head = el("p", "call-pop-caller");
    head.appendChild(el("strong", "", (t.msgCall || "Incoming call") + " " + d.caller));
    if (d.queue) head.appendChild(document.createTextNode(" · " + d.queue));
    box.appendChild(head);
    if (d.customer) {
      var c = el("p", "call-pop-customer");
      c.appendChild(link(d.customer.url, d.customer.name));
      if (d.customer.tier) c.appendChild(el("span", "badge", d.customer.tier));
      if (d.customer.vip) c.appendChild(el("span", "badge badge-vip", "VIP"));
      if (d.customer.dissatisfied) c.appendChild(el("span", "badge badge-failed", t.msgDissatisfied || "Dissatisfied"));
      if (d.customer.phone) c.appendChild(el("span", "small muted", " " + d.customer.phone));
      box.appendChild(c);
      box.appendChild(el("h3", "", t.msgOpen || "Open tickets"));
      var ul = el("ul", "plain small call-pop-tickets");
      (d.open_tickets || []).forEach(function (x) {
        var li = el("li"); li.appendChild(link(x.url, x.number)); li.appendChild(document.createTextNode(" " + x.title + " · " + x.status)); ul.appendChild(li);
      });
      if (!ul.children.length) ul.appendChild(el("li", "muted", t.msgNone || "None"));
      box.appendChild(ul);
      var lc = el("ul", "plain small muted");
      (d.last_contacts || []).forEach(function (x) { lc.appendChild(el("li", "", x.at.slice(0, 16).replace("T", " ") + " · " + x.channel + " · " + x.what)); });
      if (lc.children.length) { box.appendChild(el("h3", "", t.msgLast || "Last contacts")); box.appendChild(lc); }
    } else {
      box.appendChild(el("p", "muted", t.msgUnknown || "Unknown number"));
    }
    var actions = el("p", "call-pop-actions");
    if (d.ticket) {
      actions.appendChild(link(d.ticket.url, d.ticket.number));
    } else {
      var f = el("form"); f.method = "post"; f.action = d.new_ticket_url;
      var tok = el("input"); tok.type = "hidden"; tok.name = "csrfmiddlewaretoken"; tok.value = csrf(); f.appendChild(tok);
      var b = el("button", "btn btn-primary", t.msgNewTicket || "New ticket from this call"); b.type = "submit";
      b.setAttribute("data-call-new-ticket", "");
      f.appendChild(b); actions.appendChild(f);
    }
    actions.appendChild(link(d.url, t.msgDetails || "Details"));
    var close = el("button", "btn btn-small", t.msgClose || "Close"); close.type = "button";
    close.onclick = function () { box.remove(); };
    actions.appendChild(close);
    box.appendChild(actions);
    document.dispatchEvent(new CustomEvent("kefuCallPop", { detail: d }));
  }
  function start() {
    if (!window.kefuRealtime) return;
    window.kefuRealtime.on("call.pop", show);
  }
  if (window.kefuRealtime) start(); else document.addEventListener("DOMContentLoaded", start);
})();
