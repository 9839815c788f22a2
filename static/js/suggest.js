// Search-as-you-type for every search box with a data-suggest URL. An enhancement only:
// without JavaScript the form submits to /search as usual. Suggestion titles arrive as HTML
// that the server escaped, with the typed words in <mark>. Each suggestion is an option of the
// listbox (no link inside: an option must not hold another control); choosing one, by click
// or by Enter, opens its product.
(function () {
  "use strict";
  var lang = document.documentElement.lang === "en" ? "en" : "zh";

  function attach(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) return;
    var timer = null, seq = 0, active = -1;

    function close() { list.hidden = true; list.innerHTML = ""; active = -1; input.removeAttribute("aria-activedescendant"); }

    function show(items) {
      list.innerHTML = "";
      active = -1;
      items.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.dataset.href = "/products/" + encodeURIComponent(s.slug);
        li.innerHTML = (s.highlight && s.highlight["title_" + lang]) || "";
        // mousedown, not click: it comes before the input's blur closes the list.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); window.location.href = li.dataset.href; });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
    }

    function move(step) {
      var options = list.querySelectorAll("li");
      if (!options.length) return;
      if (active >= 0) options[active].removeAttribute("aria-selected");
      active = (active + step + options.length) % options.length;
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) { if (mine === seq) show(items); })
          .catch(close);
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { move(1); e.preventDefault(); }
      else if (e.key === "ArrowUp") { move(-1); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0) {
        var option = list.querySelectorAll("li")[active];
        if (option) { window.location.href = option.dataset.href; e.preventDefault(); }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 200); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), attach);
})();
