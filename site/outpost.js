/* Outpost dashboard script. Optional: every page reads and links without it.
   With it, data tables sort by any column and filter as you type, and the
   search box finds customers, plans, subscriptions, orders, invoices and
   domains. The search index is a set of script files (search/s-N.js) loaded
   with <script> elements, never fetch(), so it works from file:// in
   Chromium; a query loads only the file of its longest word's bucket. */
(function () {
  "use strict";

  var root = document.documentElement.getAttribute("data-root") || "";

  /* Navigation menus ------------------------------------------------------ */
  /* The menus work without this (each <details> opens and closes on its own); with it, opening one closes the
     others, and a click elsewhere or Escape closes them, as menus do. */
  (function () {
    var nav = document.querySelector("nav.sections");
    if (!nav) return;
    var menu = nav.querySelector("details.menu");
    var groups = Array.prototype.slice.call(nav.querySelectorAll(".group details"));
    // A browser that cannot keep the outer menu open from the stylesheet (no ::details-content) opens it here on wide screens.
    if (menu && window.CSS && CSS.supports && !CSS.supports("selector(::details-content)") && window.matchMedia("(min-width: 40rem)").matches) {
      menu.open = true;
    }
    function closeAll(except) {
      groups.forEach(function (details) { if (details !== except) details.open = false; });
    }
    groups.forEach(function (details) {
      details.addEventListener("toggle", function () { if (details.open) closeAll(details); });
    });
    document.addEventListener("click", function (event) {
      if (!nav.contains(event.target)) {
        closeAll(null);
        if (menu && window.matchMedia("(max-width: 39.99rem)").matches) menu.open = false;
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      var open = nav.querySelector("details[open] > summary");
      closeAll(null);
      if (menu && window.matchMedia("(max-width: 39.99rem)").matches) menu.open = false;
      if (open && nav.contains(document.activeElement)) open.focus();
    });
  })();
  /* Whole lists (lists engineer) ------------------------------------------
     A long list is cut into pages (Sources/OutpostSite/Pages/PagedList.swift).
     Its page numbers, page count and row total are in one script beside its
     pages (DIR/pages.js: OutpostListPages), and the row counts of a list's
     views in FAMILY/lists.js (OutpostListCounts), so an insert does not
     rewrite every page. Here they become "Page 3 of 20", links to the first,
     last and nearby pages, and the counts on the views' tabs. A table of a
     list with more than one page does not sort in place: its headers lead
     to the whole list in that order instead; one that fits a page does. */

  function listNumber(n) { return n.toLocaleString("en-US"); }

  function numberPages(nav) {
    var data = (window.OutpostListPages || {})[nav.getAttribute("data-list")];
    if (!data) return;
    var names = data.pages.map(function (page) { return page[0]; });
    var current = names.indexOf(nav.getAttribute("data-page"));
    if (current < 0) return;
    var base = nav.getAttribute("data-base");
    var first = 0;
    for (var i = 0; i < current; i += 1) first += data.pages[i][1];
    var list = document.createElement("ul");
    function item(index, label, rel) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = base + names[index] + ".html";
      a.textContent = label;
      if (index === current) a.setAttribute("aria-current", "page");
      if (rel) a.rel = rel;
      li.appendChild(a);
      list.appendChild(li);
    }
    function gap() {
      var li = document.createElement("li");
      li.className = "gap";
      li.textContent = "\u2026";
      list.appendChild(li);
    }
    if (current > 0) item(current - 1, "\u2190 Previous", "prev");
    var from = Math.max(0, current - 2), to = Math.min(names.length - 1, current + 2);
    if (from > 0) { item(0, "1"); if (from > 1) gap(); }
    for (var n = from; n <= to; n += 1) item(n, String(n + 1));
    if (to < names.length - 1) { if (to < names.length - 2) gap(); item(names.length - 1, String(names.length)); }
    if (current < names.length - 1) item(current + 1, "Next \u2192", "next");
    var note = document.createElement("p");
    note.className = "page-note list-position";
    var rows = data.pages[current][1];
    note.textContent = "Page " + (current + 1) + " of " + names.length + " \u00b7 rows " + listNumber(first + (rows ? 1 : 0)) +
      "\u2013" + listNumber(first + rows) + " of " + listNumber(data.rows);
    nav.textContent = "";
    nav.appendChild(note);
    nav.appendChild(list);
  }

  Array.prototype.forEach.call(document.querySelectorAll("nav.pages[data-list]"), numberPages);

  Array.prototype.forEach.call(document.querySelectorAll(".list-views .count[data-count]"), function (span) {
    var count = (window.OutpostListCounts || {})[span.getAttribute("data-count")];
    if (typeof count === "number") span.textContent = " (" + listNumber(count) + ")";
  });

  // A list that fits one page sorts in place: its order links become plain header text for the sort buttons.
  Array.prototype.forEach.call(document.querySelectorAll('table.data[data-paged="false"] th a.order'), function (link) {
    link.parentNode.replaceChild(document.createTextNode(link.textContent), link);
  });

  // The filter box of a list's page says it filters this page, and offers the search box for the whole list.
  function offerSearch(table, box) {
    if (!table.hasAttribute("data-list")) return;
    var label = box.querySelector("label");
    if (label) label.textContent = table.getAttribute("data-paged") === "true" ? "Filter this page: " : "Filter this list: ";
    var search = document.getElementById("site-search");
    if (!search || table.getAttribute("data-paged") !== "true") return;
    var offer = document.createElement("button");
    offer.type = "button";
    offer.className = "search-offer";
    offer.textContent = "Search every page";
    offer.addEventListener("click", function () {
      var input = box.querySelector("input");
      if (input && input.value) search.value = input.value;
      search.focus();
      search.dispatchEvent(new Event("input"));
    });
    box.appendChild(offer);
  }

  /* Sorting and filtering ------------------------------------------------ */

  function sortValue(cell, numeric) {
    var raw = cell.getAttribute("data-sort");
    var text = raw !== null ? raw : cell.textContent.trim();
    if (!numeric) return text.toLowerCase();
    var number = parseFloat(text.replace(/[^0-9.\-]/g, ""));
    return isNaN(number) ? -Infinity : number;
  }

  function makeSortable(table) {
    if (table.getAttribute("data-paged") === "true") return;
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, column) {
      var numeric = th.classList.contains("num");
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.map.call(body.rows, function (row, index) {
          return { row: row, index: index, key: sortValue(row.cells[column] || row.cells[0], numeric) };
        });
        rows.sort(function (a, b) {
          if (a.key < b.key) return ascending ? -1 : 1;
          if (a.key > b.key) return ascending ? 1 : -1;
          return a.index - b.index;
        });
        rows.forEach(function (item) { body.appendChild(item.row); });
      });
    });
  }

  function makeFilterable(table, number) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < 8) return;
    var wrap = table.parentNode;
    var box = document.createElement("div");
    box.className = "filter";
    var label = document.createElement("label");
    label.htmlFor = "table-filter-" + number;
    label.textContent = "Filter this table: ";
    var input = document.createElement("input");
    input.type = "search";
    input.id = "table-filter-" + number;
    input.autocomplete = "off";
    var count = document.createElement("span");
    count.setAttribute("aria-live", "polite");
    count.className = "page-note";
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(count);
    wrap.parentNode.insertBefore(box, wrap);
    offerSearch(table, box);
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(body.rows, function (row) {
        var text = row.textContent.toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        row.hidden = !match;
        if (match) shown += 1;
      });
      count.textContent = words.length ? shown + " of " + body.rows.length + " rows on this page" : "";
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.data"), function (table, index) {
    makeSortable(table);
    makeFilterable(table, index + 1);
  });

  /* Search ---------------------------------------------------------------- */
  /* The index is search/s-N.js files and search/index.js, which says how many
     there are. An entry lies under the buckets of its words (first three
     letters; a shorter word is its own bucket; an id is "#" and its last
     three) and, for customers and plans, every three-letter piece of their
     names, so "ade" finds "Nova Jade". A bucket lies in file FNV-1a(bucket)
     mod N. The rules mirror SearchKey and SearchEntry.buckets in
     Sources/OutpostSite/Search. */

  var stopWords = ["ord", "inv", "crn", "com", "net", "org", "io", "de", "uk", "co", "eu", "fr", "nl", "es", "it",
                   "the", "and", "of", "ltd", "gmbh", "inc", "llc", "ag", "sa", "bv", "srl", "sl", "oy", "ab", "as",
                   "info", "office", "billing", "accounts", "admin", "contact", "sales", "support", "mail", "hello"];
  var idPattern = /^[a-z]{2,4}_[0-9a-z]{8,}$/;
  var foundMidWord = ["customer", "plan"];
  var shownAtMost = 25;

  function tokens(text) {
    var out = [];
    text.toLowerCase().split(/[ \t\n]+/).forEach(function (word) {
      if (!word) return;
      if (idPattern.test(word)) { out.push(word); return; }
      word.split(/[^\p{L}\p{N}\p{M}]+/u).forEach(function (token) {
        if (!token) return;
        out.push(/^[0-9]+$/.test(token) ? (token.replace(/^0+/, "") || "0") : token);
      });
    });
    return out;
  }

  function bucket(token) {
    var points = Array.from(token);
    if (idPattern.test(token)) return "#" + points.slice(-3).join("");
    return points.slice(0, 3).join("");
  }

  function fileNumber(name, files) {
    var hash = 2166136261;
    new TextEncoder().encode(name).forEach(function (byte) {
      hash ^= byte;
      hash = Math.imul(hash, 16777619) >>> 0;
    });
    return hash % files;
  }

  var fileCount = null;
  var loaded = {};
  var waiting = {};

  window.OutpostSearch = {
    files: function (files) { fileCount = files; finished("count"); },
    add: function (number, entries) { loaded[number] = entries; finished(number); }
  };

  function finished(key) {
    var list = waiting[key] || [];
    delete waiting[key];
    list.forEach(function (callback) { callback(); });
  }

  function loadScript(key, file, callback) {
    if (waiting[key]) { waiting[key].push(callback); return; }
    waiting[key] = [callback];
    var script = document.createElement("script");
    script.src = root + "search/" + file;
    // A missing file is an empty one: no entry has a bucket in it.
    script.onerror = function () { if (key === "count") fileCount = 1; else loaded[key] = []; finished(key); };
    document.head.appendChild(script);
  }

  function load(name, callback) {
    function withCount() {
      var number = fileNumber(name, fileCount);
      if (loaded[number]) { callback(loaded[number]); return; }
      loadScript(number, "s-" + number + ".js", function () { callback(loaded[number] || []); });
    }
    if (fileCount !== null) withCount(); else loadScript("count", "index.js", withCount);
  }

  var form = document.querySelector("form.search");
  var input = document.getElementById("site-search");
  var results = document.getElementById("site-search-results");
  if (!form || !input || !results) return;
  form.hidden = false;
  // A combobox and its listbox (WAI-ARIA 1.2); what was found, or not, is said in a status line.
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", results.id);
  results.setAttribute("role", "listbox");
  results.setAttribute("aria-label", "Search results");
  results.removeAttribute("aria-live");
  var status = document.createElement("p");
  status.id = "site-search-status";
  status.className = "search-status";
  status.setAttribute("role", "status");
  results.parentNode.insertBefore(status, results);
  var shown = [];
  var active = -1;

  function setActive(index) {
    if (shown.length === 0) return;
    active = (index + shown.length) % shown.length;
    shown.forEach(function (item, position) { item.option.setAttribute("aria-selected", position === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", shown[active].option.id);
    shown[active].option.scrollIntoView({ block: "nearest" });
  }

  function open(index) {
    if (index >= 0 && index < shown.length) window.location.href = shown[index].href;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    open(active >= 0 ? active : 0);
  });

  function show(query, items, message) {
    if (input.value !== query) return;
    results.textContent = "";
    shown = [];
    active = -1;
    input.removeAttribute("aria-activedescendant");
    input.setAttribute("aria-expanded", items && items.length ? "true" : "false");
    status.textContent = message || "";
    if (!items) return;
    items.forEach(function (entry, index) {
      var option = document.createElement("li");
      option.id = "site-search-option-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = entry[0];
      var label = document.createElement("span");
      label.className = "label";
      label.textContent = entry[1] || "(no name)";
      var detail = document.createElement("span");
      detail.className = "detail";
      detail.textContent = entry[2];
      option.appendChild(kind);
      option.appendChild(label);
      option.appendChild(detail);
      var item = { option: option, href: root + entry[3] };
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { window.location.href = item.href; });
      results.appendChild(option);
      shown.push(item);
    });
  }

  function matches(entry, words) {
    var keys = entry[4].split(" ");
    var names = foundMidWord.indexOf(entry[0]) !== -1 ? tokens(entry[1]) : [];
    var exact = 0;
    var all = words.every(function (word) {
      if (keys.indexOf(word) !== -1) { exact += 1; return true; }
      if (keys.some(function (key) { return key.lastIndexOf(word, 0) === 0; })) return true;
      return names.some(function (name) { return name.indexOf(word) !== -1; });
    });
    return all ? exact : -1;
  }

  function search() {
    var query = input.value;
    var words = tokens(query);
    if (query.trim().length < 2 || words.length === 0) { show(query, null); return; }
    var candidates = words.filter(function (word) { return stopWords.indexOf(word) === -1; });
    if (candidates.length === 0) candidates = words;
    var longest = candidates.reduce(function (a, b) { return Array.from(b).length > Array.from(a).length ? b : a; });
    // A word of one letter is no bucket of its own (SearchKey.isSingleLetter): ask for a longer one.
    if (Array.from(longest).length < 2 && !/^[0-9]$/.test(longest)) { show(query, [], "Type a word of two letters or more."); return; }
    // A word shorter than three letters is a bucket of its own: it finds only that whole word.
    var whole = Array.from(longest).length < 3 && !/^[0-9]+$/.test(longest);
    load(bucket(longest), function (entries) {
      // Every word must start a word of the entry (or lie inside a customer's or plan's name);
      // entries with more whole-word matches come first.
      var found = [];
      entries.forEach(function (entry, index) {
        var exact = matches(entry, words);
        if (exact >= 0) found.push({ entry: entry, exact: exact, index: index });
      });
      found.sort(function (a, b) { return b.exact - a.exact || a.index - b.index; });
      var message;
      if (found.length === 0) {
        message = whole ? "Nothing found with the word \u201c" + longest + "\u201d; type three letters or more to find the words that start with them."
                        : "Nothing found for \u201c" + query + "\u201d.";
      } else if (found.length > shownAtMost) {
        message = "Showing " + shownAtMost + " of " + found.length + " found: " + (found.length - shownAtMost) + " more; type more to narrow the search.";
      } else {
        message = found.length === 1 ? "1 found." : found.length + " found.";
      }
      show(query, found.slice(0, shownAtMost).map(function (item) { return item.entry; }), message);
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && shown.length) { event.preventDefault(); setActive(active + 1); }
    else if (event.key === "ArrowUp" && shown.length) { event.preventDefault(); setActive(active < 0 ? shown.length - 1 : active - 1); }
    else if (event.key === "Escape") { input.value = ""; show("", null); }
  });

  // index.html?q=… opens with that search (a bookmark, a link from elsewhere).
  var match = /[?&]q=([^&#]*)/.exec(window.location.search);
  if (match) {
    input.value = decodeURIComponent(match[1].replace(/\+/g, " "));
    search();
  }
})();
