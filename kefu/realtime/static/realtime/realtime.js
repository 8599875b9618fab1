// kefu realtime: one WebSocket per page of a logged-in staff member (/ws/push/).
//   <script src=".../realtime.js" data-user="7" data-msg-queued="..."> in base.html
//   [data-realtime-topic="ticket.41"]  subscribes; on "ticket.updated" by another actor it is shown
//   window.kefuRealtime.subscribe(topic) / .on(type, fn)   for other scripts (the chat console)
// Reconnects with backoff; after a reconnect it subscribes again and fires "reconnected", so pages
// read what they missed from the server (pushes are notifications, the database is the record).
(function () {
  "use strict";
  var me = document.currentScript;
  var userId = me ? Number(me.dataset.user) : 0;
  var msgQueued = me ? me.dataset.msgQueued : "";
  var topics = {};
  var handlers = {};
  var socket = null;
  var delay = 500;

  function emit(type, data) {
    (handlers[type] || []).forEach(function (fn) { try { fn(data); } catch (e) { console.error(e); } });
    (handlers["*"] || []).forEach(function (fn) { try { fn(data); } catch (e) { console.error(e); } });
  }
  function send(obj) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(obj));
  }
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(proto + location.host + "/ws/push/");
    socket.onopen = function () {
      delay = 500;
      Object.keys(topics).forEach(function (t) { send({ type: "subscribe", topic: t }); });
    };
    socket.onmessage = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (data.type === "hello" && connect.opened) emit("reconnected", data);
      if (data.type === "hello") connect.opened = true;
      emit(data.type, data);
    };
    socket.onclose = function (e) {
      if (e.code === 4401) return; // logged out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  window.kefuRealtime = {
    userId: userId,
    subscribe: function (topic) { topics[topic] = true; send({ type: "subscribe", topic: topic }); },
    unsubscribe: function (topic) { delete topics[topic]; send({ type: "unsubscribe", topic: topic }); },
    on: function (type, fn) { (handlers[type] = handlers[type] || []).push(fn); },
    connected: function () { return !!socket && socket.readyState === 1; }
  };
  function toast(message) {
    document.dispatchEvent(new CustomEvent("kefuToast", { detail: { message: message } }));
  }
  window.kefuRealtime.on("ticket.queued", function (d) {
    toast((msgQueued || "New ticket in your queue:") + " " + d.number);
  });
  window.kefuRealtime.on("ticket.updated", function (d) {
    if (d.actor === userId) return;
    document.querySelectorAll('[data-realtime-topic="ticket.' + d.ticket + '"]').forEach(function (el) {
      el.hidden = false;
    });
  });
  function start() {
    document.querySelectorAll("[data-realtime-topic]").forEach(function (el) {
      topics[el.dataset.realtimeTopic] = true;
    });
    connect();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
