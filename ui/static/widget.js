/* newsbot widget loader: paste
 *   <script src="https://bot.example/widget.js" data-source="Le Monde" data-language="fr" async></script>
 * to get a floating chat button that opens the bot's /widget page in an iframe.
 * Options (data- attributes): source (outlet filter, comma-separated), since, until (YYYY-MM-DD),
 * as-of (YYYY-MM-DD: questions are asked as of that day; default today), lang (article language filter), language (en|fr: the widget's words), color, text-color
 * (#hex), position (right|left), title, token (bearer token when the API requires one; visible
 * to visitors, so only for private sites).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__newsbotWidget) return;
  window.__newsbotWidget = true;
  var d = script.dataset;
  var origin = new URL(script.src, location.href).origin;
  var hex = /^#[0-9a-fA-F]{3,8}$/;
  var color = hex.test(d.color || "") ? d.color : "#2563eb";
  var textColor = hex.test(d.textColor || "") ? d.textColor : "#ffffff";
  var language = d.language === "fr" ? "fr" : "en";
  var side = d.position === "left" ? "left" : "right";

  var params = new URLSearchParams();
  (d.source || "").split(",").forEach(function (s) { if (s.trim()) params.append("source", s.trim()); });
  ["since", "until", "lang", "title"].forEach(function (k) { if (d[k]) params.set(k, d[k]); });
  if (/^\d{4}-\d{2}-\d{2}$/.test(d.asOf || "")) params.set("as_of", d.asOf);
  params.set("language", language);
  params.set("color", color);
  params.set("text_color", textColor);
  var src = origin + "/widget?" + params.toString() + (d.token ? "#token=" + encodeURIComponent(d.token) : "");

  function place(el, bottom) {
    el.style.position = "fixed";
    el.style.bottom = bottom;
    el.style[side] = "20px";
    el.style.zIndex = "2147483000";
  }

  function mount() {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "newsbot-widget-button";
    button.setAttribute("aria-label", language === "fr" ? "Ouvrir le chat des actualités" : "Open the news chat");
    button.setAttribute("aria-expanded", "false");
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z");
    svg.appendChild(path);
    button.appendChild(svg);
    button.style.display = "flex";
    button.style.alignItems = "center";
    button.style.justifyContent = "center";
    place(button, "20px");
    button.style.width = button.style.height = "56px";
    button.style.borderRadius = "50%";
    button.style.border = "none";
    button.style.background = color;
    button.style.color = textColor;
    button.style.cursor = "pointer";
    button.style.boxShadow = "0 4px 14px rgba(0,0,0,.25)";

    var panel = null, frame = null;
    var words = language === "fr"
      ? { close: "Fermer", refused: "Ce chat d'actualités ne peut pas s'afficher sur ce site : {origin} ne fait pas partie des sites autorisés à l'intégrer. L'administrateur peut l'ajouter à NEWSBOT_CORS_ORIGINS sur le serveur newsbot.",
          unreachable: "Le chat d'actualités est injoignable pour le moment ({server})." }
      : { close: "Close", refused: "This news chat cannot be shown on this site: {origin} is not among the sites allowed to embed it. The administrator can add it to NEWSBOT_CORS_ORIGINS on the newsbot server.",
          unreachable: "The news chat cannot be reached right now ({server})." };

    function explain(text) {
      // In the panel, instead of a frame the browser would refuse to show (a grey broken page).
      var head = document.createElement("div");
      head.textContent = d.title || "Newsbot";
      head.style.cssText = "padding:.6rem 2.8rem .6rem .9rem;font:600 15px/1.45 system-ui,sans-serif;";
      head.style.background = color;
      head.style.color = textColor;
      var body = document.createElement("p");
      body.className = "newsbot-widget-refusal";
      body.setAttribute("role", "alert");
      body.textContent = text;
      body.style.cssText = "margin:0;padding:1rem .9rem;font:15px/1.45 system-ui,sans-serif;color:#1a1a1a;";
      panel.appendChild(head);
      panel.appendChild(body);
    }

    function showChat() {
      frame = document.createElement("iframe");
      frame.className = "newsbot-widget-frame";
      frame.src = src;
      frame.title = d.title || "Newsbot";
      frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
      frame.style.cssText = "display:block;width:100%;height:100%;border:0;";
      panel.insertBefore(frame, panel.firstChild);
    }

    function makePanel() {
      panel = document.createElement("div");
      panel.className = "newsbot-widget-panel";
      place(panel, "88px");
      panel.style.width = "min(380px, calc(100vw - 40px))";
      panel.style.height = "min(600px, calc(100vh - 110px))";
      panel.style.border = "1px solid rgba(0,0,0,.15)";
      panel.style.borderRadius = "12px";
      panel.style.overflow = "hidden";
      panel.style.background = "#fff";
      panel.style.boxShadow = "0 8px 30px rgba(0,0,0,.25)";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "newsbot-widget-close";
      close.textContent = "\u00d7";
      close.title = words.close;
      close.setAttribute("aria-label", words.close);
      close.style.cssText = "position:absolute;top:4px;right:6px;width:34px;height:34px;border:0;border-radius:50%;" +
        "background:transparent;font:26px/1 system-ui,sans-serif;cursor:pointer;padding:0;";
      close.style.color = textColor;
      close.addEventListener("click", function () { toggle(false); button.focus(); });
      panel.appendChild(close);
      document.body.appendChild(panel);
      // Ask the server first whether this site may frame the chat (its frame-ancestors list).
      fetch(origin + "/widget/origin", { credentials: "omit" })
        .then(function (r) { return r.json(); })
        .then(function (r) {
          if (r.allowed) showChat();
          else explain(words.refused.replace("{origin}", r.origin || location.origin));
        }, function () { explain(words.unreachable.replace("{server}", origin)); });
    }

    function toggle(open) {
      if (open && !panel) makePanel();
      if (panel) panel.style.display = open ? "block" : "none";
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      toggle(!(panel && panel.style.display !== "none"));
    });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });
    document.body.appendChild(button);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
