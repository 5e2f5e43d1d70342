/* The compact chat page of the widget (/widget). Everything that comes from an article is
 * inserted with textContent, never as HTML; only http(s) URLs become links. */
(function () {
  "use strict";
  var WORDS = {
    en: { placeholder: "Ask about the news…", send: "Send", hello: "Ask a question about the news; each answer cites its sources.",
          sources: "Sources", untitled: "(untitled)", error: "Something went wrong", helpful: "Helpful", unhelpful: "Not helpful",
          thanks: "Thanks!" },
    fr: { placeholder: "Une question sur l'actualité…", send: "Envoyer", hello: "Posez une question sur l'actualité ; chaque réponse cite ses sources.",
          sources: "Sources", untitled: "(sans titre)", error: "Une erreur est survenue", helpful: "Utile", unhelpful: "Pas utile",
          thanks: "Merci !" }
  };
  var params = new URLSearchParams(location.search);
  var language = params.get("language") === "fr" ? "fr" : "en";
  var w = WORDS[language];
  var token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  var hex = /^#[0-9a-fA-F]{3,8}$/;
  if (hex.test(params.get("color") || "")) document.documentElement.style.setProperty("--nbw-accent", params.get("color"));
  if (hex.test(params.get("text_color") || "")) document.documentElement.style.setProperty("--nbw-on-accent", params.get("text_color"));
  document.documentElement.lang = language;
  var filters = { source: params.getAll("source"), since: params.get("since") || "", until: params.get("until") || "",
                  lang: params.get("lang") || "" };

  var log = document.getElementById("nbw-log");
  var form = document.getElementById("nbw-form");
  var input = document.getElementById("nbw-input");
  var send = document.getElementById("nbw-send");
  document.getElementById("nbw-title").textContent = params.get("title") || "Newsbot";
  input.placeholder = w.placeholder;
  input.setAttribute("aria-label", w.placeholder);
  send.setAttribute("aria-label", w.send);
  var history = [];
  var turn = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function scrollDown() { log.scrollTop = log.scrollHeight; }
  function httpUrl(url) {
    try { var u = new URL(url); return (u.protocol === "http:" || u.protocol === "https:") ? u.href : ""; }
    catch (e) { return ""; }
  }

  function passageNode(passage, spans) {
    var node = el("blockquote", "nbw-passage");
    var pos = 0;
    (spans || []).slice().sort(function (a, b) { return a[0] - b[0]; }).forEach(function (span) {
      var s = Math.max(span[0], pos), e = Math.min(span[1], passage.length);
      if (e <= s) return;
      node.appendChild(document.createTextNode(passage.slice(pos, s)));
      node.appendChild(el("mark", "", passage.slice(s, e)));
      pos = e;
    });
    node.appendChild(document.createTextNode(passage.slice(pos)));
    return node;
  }

  function renderAnswer(bubble, answer, question) {
    var id = ++turn;
    bubble.textContent = "";
    var numbers = {};
    (answer.citations || []).forEach(function (c) { numbers[c.n] = true; });
    var text = el("div", "nbw-answer");
    var re = /\[(\d{1,3})\]/g, last = 0, m;
    var body = answer.answer || "";
    var short = answer.short_answer || "";
    if (short && body.indexOf(short) === 0) {
      text.appendChild(el("strong", "nbw-short", short));
      body = body.slice(short.length);
    }
    while ((m = re.exec(body)) !== null) {
      text.appendChild(document.createTextNode(body.slice(last, m.index)));
      var n = parseInt(m[1], 10);
      if (numbers[n]) {
        var b = el("button", "nbw-cite", "[" + n + "]");
        b.type = "button";
        b.dataset.target = "nbw-src-" + id + "-" + n;
        text.appendChild(b);
      } else {
        text.appendChild(document.createTextNode(m[0]));
      }
      last = re.lastIndex;
    }
    text.appendChild(document.createTextNode(body.slice(last)));
    bubble.appendChild(text);
    if ((answer.citations || []).length) {
      bubble.appendChild(el("div", "nbw-hint", w.sources));
      var list = el("ol", "nbw-sources");
      answer.citations.forEach(function (c) {
        var card = el("li", "nbw-card");
        card.id = "nbw-src-" + id + "-" + c.n;
        var title = el("div", "nbw-card-title", "[" + c.n + "] ");
        var url = httpUrl(c.url || "");
        if (url) {
          var a = el("a", "", c.title || w.untitled);
          a.href = url;
          a.target = "_blank";
          a.rel = "noopener noreferrer nofollow";
          title.appendChild(a);
        } else {
          title.appendChild(document.createTextNode(c.title || w.untitled));
        }
        card.appendChild(title);
        card.appendChild(el("div", "nbw-meta", [c.source, (c.published || "").slice(0, 10)].filter(Boolean).join(" · ")));
        card.appendChild(passageNode(c.passage || "", c.highlight));
        list.appendChild(card);
      });
      bubble.appendChild(list);
      list.querySelectorAll(".nbw-passage").forEach(function (q) {
        var mark = q.querySelector("mark");
        if (mark) q.scrollTop = Math.max(0, mark.offsetTop - 16);
      });
    }
    var rate = el("div", "nbw-rate");
    [["up", "\uD83D\uDC4D", w.helpful], ["down", "\uD83D\uDC4E", w.unhelpful]].forEach(function (r) {
      var b = el("button", "", r[1]);
      b.type = "button";
      b.title = r[2];
      b.setAttribute("aria-label", r[2]);
      b.addEventListener("click", function () {
        rate.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
        post("api/feedback", { rating: r[0], question: question, answer: answer, filters: filters })
          .then(function () { rate.appendChild(el("span", "nbw-hint", w.thanks)); });
      });
      rate.appendChild(b);
    });
    bubble.appendChild(rate);
  }

  function post(path, body) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(path, { method: "POST", headers: headers, body: JSON.stringify(body) });
  }

  function fail(bubble, message) {
    bubble.className = "nbw-msg nbw-bot nbw-error";
    bubble.textContent = message;
  }

  async function ask(question) {
    log.appendChild(el("div", "nbw-msg nbw-user", question));
    var bubble = el("div", "nbw-msg nbw-bot", "…");
    log.appendChild(bubble);
    scrollDown();
    var resp;
    try {
      resp = await post("api/ask/stream", { question: question, history: history.slice(-6), filters: filters });
    } catch (e) { return fail(bubble, w.error); }
    if (!resp.ok) {
      var detail = w.error + " (" + resp.status + ")";
      try { var j = await resp.json(); if (typeof j.detail === "string") detail = j.detail; } catch (e) { /* not JSON */ }
      return fail(bubble, detail);
    }
    var reader = resp.body.getReader(), decoder = new TextDecoder(), buffer = "", text = "", done = false;
    bubble.textContent = "";
    while (!done) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        var block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        var event = "message", data = "";
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) event = line.slice(6).trim();
          else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
        });
        var payload = JSON.parse(data || "{}");
        if (event === "token") { text += payload.text; bubble.textContent = text; }
        else if (event === "answer") {
          renderAnswer(bubble, payload, question);
          history.push({ question: question, answer: payload.answer || "" });
          done = true;
        } else if (event === "error") { fail(bubble, payload.detail || w.error); done = true; }
        scrollDown();
      }
    }
  }

  log.appendChild(el("div", "nbw-msg nbw-bot nbw-hint", w.hello));
  log.addEventListener("click", function (e) {
    var marker = e.target.closest("button.nbw-cite");
    if (!marker) return;
    var card = document.getElementById(marker.dataset.target);
    if (!card) return;
    card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    card.classList.add("nbw-flash");
    setTimeout(function () { card.classList.remove("nbw-flash"); }, 1600);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    if (!q) return;
    input.value = "";
    send.disabled = true;
    ask(q).finally(function () { send.disabled = false; input.focus(); });
  });
})();
