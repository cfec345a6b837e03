// Progressive enhancement only: the page works without this file.
// "/" focuses the search box (as on many sites); Escape leaves it.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("q");
    if (!box) return;
    var target = event.target;
    var typing = target && (target.isContentEditable ||
      /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "Escape" && target === box && !event.defaultPrevented) {
      box.blur();
    }
  });
})();

// Suggestions as you type (/api/suggest): the ARIA 1.2 combobox pattern. The box keeps the
// focus; ArrowDown/ArrowUp move through the list (aria-activedescendant), Enter searches for
// the chosen one, Escape closes the list, and a click chooses too.
(function () {
  "use strict";
  var box = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  var form = box && box.form;
  if (!box || !list || !form || !form.dataset.suggest || !window.fetch) return;
  var status = document.getElementById("q-suggest-status");
  var active = -1, timer = null, asked = 0;

  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-expanded", "false");

  function options() { return list.querySelectorAll("[role=option]"); }

  function close() {
    list.hidden = true;
    list.textContent = "";
    active = -1;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    var items = options();
    active = index;
    for (var i = 0; i < items.length; i++) {
      items[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    if (index >= 0) box.setAttribute("aria-activedescendant", items[index].id);
    else box.removeAttribute("aria-activedescendant");
  }

  function choose(text) {
    box.value = text;
    close();
    form.submit();
  }

  function show(words) {
    list.textContent = "";
    active = -1;
    box.removeAttribute("aria-activedescendant");
    words.forEach(function (word, i) {
      var item = document.createElement("li");
      item.id = "q-suggestion-" + i;
      item.className = "suggestions__item";
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.dir = "auto";
      item.textContent = word;
      // mousedown, not click: the box must not lose the focus first
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(word);
      });
      list.appendChild(item);
    });
    list.hidden = words.length === 0;
    box.setAttribute("aria-expanded", words.length ? "true" : "false");
    if (status) status.textContent = words.length ? words.length + " suggestions" : "";
  }

  function ask() {
    var text = box.value;
    if (!text.trim()) { close(); return; }
    var mine = ++asked;
    fetch(form.dataset.suggest + "?q=" + encodeURIComponent(text), {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
      .then(function (body) {
        if (mine === asked && box.value === text) show(body.suggestions || []);
      })
      .catch(function () { close(); });
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 120);
  });
  box.addEventListener("keydown", function (event) {
    var items = options();
    if (event.key === "ArrowDown") {
      if (list.hidden) { ask(); return; }
      event.preventDefault();
      highlight(items.length ? (active + 1) % items.length : -1);
    } else if (event.key === "ArrowUp" && !list.hidden) {
      event.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      choose(items[active].textContent);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();  // the first Escape closes the list, the next leaves the box
      close();
    }
  });
  box.addEventListener("blur", function () { setTimeout(close, 150); });
})();
