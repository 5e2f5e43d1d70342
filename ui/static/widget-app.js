/* The compact chat page of the widget (/widget). Everything that comes from an article is
 * inserted with textContent, never as HTML; only http(s) URLs become links. */
(function () {
  "use strict";
  var WORDS = {
    en: { placeholder: "Ask about the news…", send: "Send", hello: "Ask a question about the news; each answer cites its sources.",
          sources: "Sources", untitled: "(untitled)", error: "Something went wrong", helpful: "Helpful", unhelpful: "Not helpful",
          thanks: "Thanks!", undated: "undated", week: "week {w} of {y}", more: "More",
          months: "January February March April May June July August September October November December".split(" ") },
    fr: { placeholder: "Une question sur l'actualité…", send: "Envoyer", hello: "Posez une question sur l'actualité ; chaque réponse cite ses sources.",
          sources: "Sources", untitled: "(sans titre)", error: "Une erreur est survenue", helpful: "Utile", unhelpful: "Pas utile",
          thanks: "Merci !", undated: "sans date", week: "semaine {w} de {y}", more: "La suite",
          months: "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(" ") }
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
  var asOf = /^\d{4}-\d{2}-\d{2}$/.test(params.get("as_of") || "") ? params.get("as_of") : "";

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

  // "2025-07-03" -> "3 July 2025", "2025-06" -> "June 2025", "2025-W27" -> "week 27 of 2025",
  // "2025-06-28/2025-06-29" -> "28–29 June 2025", "2025-06-28/2025-07-03" -> "28 June – 3 July 2025",
  // whole months and years: "2025-03-01/2025-05-31" -> "March – May 2025", "1990-01-01/1999-12-31" -> "1990–1999"
  // (as ui/render.py: readable_date)
  function readableMonths(first, last, words) {
    if (/-01$/.test(first) && /-12$/.test(last)) {
      return first.slice(0, 4) === last.slice(0, 4) ? first.slice(0, 4) : first.slice(0, 4) + "\u2013" + last.slice(0, 4);
    }
    var a = readableDate(first, words), b = readableDate(last, words);
    if (first === last) return a;
    if (first.slice(0, 4) === last.slice(0, 4)) a = a.slice(0, a.lastIndexOf(" "));
    return a + " \u2013 " + b;
  }
  function readableDate(value, words) {
    words = words && words.months ? words : w;  // the page's language unless told
    var cut = (value || "").indexOf("/");
    if (cut > 0) {
      var first = value.slice(0, cut), last = value.slice(cut + 1);
      var d1 = /^(\d{4})-(\d{2})-01$/.exec(first), d2 = /^(\d{4})-(\d{2})-(\d{2})$/.exec(last);
      if (d1 && d2 && +d2[2] >= 1 && +d2[2] <= 12 && +d2[3] === new Date(Date.UTC(+d2[1], +d2[2], 0)).getUTCDate()) {
        return readableMonths(first.slice(0, 7), last.slice(0, 7), words);
      }
      var a = readableDate(first, words), b = readableDate(last, words);
      if (first.length === 10 && last.length === 10 && first.slice(0, 4) === last.slice(0, 4)) {
        a = a.slice(0, a.lastIndexOf(" "));  // two days of one year: say it once
        if (first.slice(0, 7) === last.slice(0, 7)) return a.split(" ")[0] + "\u2013" + b;
      }
      return a + " \u2013 " + b;
    }
    var m = /^(\d{4})-(\d{2})(?:-(\d{2}))?/.exec(value || ""), k = /^(\d{4})-W(\d{2})$/.exec(value || "");
    if (k) return words.week.replace("{w}", String(parseInt(k[2], 10))).replace("{y}", k[1]);
    if (!m || +m[2] < 1 || +m[2] > 12) return value || "";
    var month = words.months[+m[2] - 1];
    return m[3] ? parseInt(m[3], 10) + " " + month + " " + m[1] : month + " " + m[1];
  }

  // The passage as text nodes; one note per date (as ui/render.py: date_notes, highlighted_passage).
  function wordSet(text) {
    var set = {};
    (text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) || []).forEach(function (x) {
      set[/^\d+$/.test(x) ? (x.replace(/^0+/, "") || "0") : x] = true;
    });
    return set;
  }
  function saysDate(phrase, value) {
    var have = wordSet(phrase);
    return Object.keys(WORDS).some(function (lang) {
      return Object.keys(wordSet(readableDate(value, WORDS[lang]))).every(function (x) { return have[x]; });
    });
  }
  function dateNotes(passage, dates) {
    var phrases = (dates || []).map(function (d) {
      var end = +d.end, start = d.start === undefined ? end - (d.text || "").length : +d.start;
      return [start, end, String(d.value || "")];
    }).sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var groups = [];
    phrases.forEach(function (p) {
      if (!(p[0] >= 0 && p[0] < p[1] && p[1] <= passage.length) || !p[2]) return;
      var last = groups[groups.length - 1];
      if (last && last[2] === p[2] && /^[\s,]*$/.test(passage.slice(last[1], p[0]))) last[1] = p[1];
      else groups.push(p.slice());
    });
    var said = {}, notes = {};
    groups.forEach(function (g) { if (saysDate(passage.slice(g[0], g[1]), g[2])) said[g[2]] = true; });
    groups.forEach(function (g) {
      if (!said[g[2]] && notes[g[1]] === undefined) { notes[g[1]] = readableDate(g[2]); said[g[2]] = true; }
    });
    return notes;
  }
  // Highlight spans in one <mark> each (a note inside a highlight stays inside it).
  function passageNode(passage, spans, dates) {
    var node = el("blockquote", "nbw-passage");
    var notes = dateNotes(passage, dates), cuts = [0, passage.length];
    Object.keys(notes).forEach(function (k) { cuts.push(+k); });
    var marked = (spans || []).map(function (s) { return [Math.max(0, s[0]), Math.min(passage.length, s[1])]; });
    marked.forEach(function (s) { if (s[0] <= passage.length) cuts.push(s[0]); if (s[1] >= 0) cuts.push(s[1]); });
    cuts = cuts.filter(function (x, i) { return cuts.indexOf(x) === i; }).sort(function (a, b) { return a - b; });
    var inside = [];
    for (var j = 0; j + 1 < cuts.length; j++) {
      inside.push(marked.some(function (sp) { return sp[0] <= cuts[j] && cuts[j + 1] <= sp[1]; }));
    }
    var mark = null;
    for (var i = 0; i + 1 < cuts.length; i++) {
      var e = cuts[i + 1];
      if (inside[i] && !mark) { mark = el("mark", ""); node.appendChild(mark); }
      if (!inside[i]) mark = null;
      (mark || node).appendChild(document.createTextNode(passage.slice(cuts[i], e)));
      if (notes[e] !== undefined) {
        if (mark && !inside[i + 1]) mark = null;  // a highlight ending with the phrase: the note after it
        (mark || node).appendChild(el("span", "nbw-date", " (" + notes[e] + ")"));
      }
    }
    return node;
  }

  function appendCited(container, body, numbers, id) {
    // Text with its [n] markers as buttons that show the source card (markers of no citation stay text).
    var re = /\[(\d{1,3})\]/g, last = 0, m;
    while ((m = re.exec(body)) !== null) {
      container.appendChild(document.createTextNode(body.slice(last, m.index)));
      var n = parseInt(m[1], 10);
      if (numbers[n]) {
        var b = el("button", "nbw-cite", "[" + n + "]");
        b.type = "button";
        b.dataset.target = "nbw-src-" + id + "-" + n;
        container.appendChild(b);
      } else {
        container.appendChild(document.createTextNode(m[0]));
      }
      last = re.lastIndex;
    }
    container.appendChild(document.createTextNode(body.slice(last)));
  }

  function renderAnswer(bubble, answer, question) {
    var id = ++turn;
    bubble.textContent = "";
    var numbers = {};
    (answer.citations || []).forEach(function (c) { numbers[c.n] = true; });
    var text = el("div", "nbw-answer");
    var body = answer.answer || "";
    // The short answer first, set apart above the quote, with the date it names (ui/render.py does the same).
    var short = answer.refused ? "" : answer.short_answer || "";
    if (short) {
      var box = el("div", "nbw-short-answer");
      box.appendChild(el("strong", "nbw-short", short));
      var when = answer.short_date ? readableDate(answer.short_date) : "";
      if (when && short.toLowerCase().indexOf(when.toLowerCase()) < 0) {
        box.appendChild(el("span", "nbw-short-date", " (" + when + ")"));
      }
      bubble.appendChild(box);
    }
    // The first quoted sentence (up to its citation markers) is shown; further ones wait behind
    // a button, so that a long answer does not fill the small panel.
    var first = /(\s*\[\d{1,3}\])+/.exec(body);
    var cut = first ? first.index + first[0].length : body.length;
    appendCited(text, body.slice(0, cut), numbers, id);
    if (body.slice(cut).trim()) {
      var rest = el("span", "nbw-rest");
      rest.hidden = true;
      appendCited(rest, body.slice(cut), numbers, id);
      var more = el("button", "nbw-more", w.more);
      more.type = "button";
      more.setAttribute("aria-expanded", "false");
      more.addEventListener("click", function () {
        rest.hidden = false;
        more.remove();
      });
      text.appendChild(more);
      text.appendChild(rest);
    }
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
        card.appendChild(el("div", "nbw-meta", [c.source, c.published ? readableDate(c.published.slice(0, 10)) : w.undated]
          .filter(Boolean).join(" · ")));
        card.appendChild(passageNode(c.passage || "", c.highlight, c.dates));
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
      var body = { question: question, history: history.slice(-6), filters: filters };
      if (asOf) body.as_of = asOf;
      resp = await post("api/ask/stream", body);
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
