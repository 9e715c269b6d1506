/* Outpost dashboard script. Optional: every page reads and links without it.
   With it, data tables sort by any column and filter as you type, and the
   search box finds customers, subscriptions, orders, invoices and domains.
   The search index is a set of script files (search/s-XXXX.js) loaded with
   <script> elements, never fetch(), so it works from file:// in Chromium;
   a query loads only the bucket of its longest word. The word and bucket
   rules mirror SearchKey in Sources/OutpostSite/Search/SearchIndexWriter.swift. */
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

  var stopWords = ["ord", "inv", "crn", "com", "net", "org", "io", "de", "uk", "co", "eu", "fr", "nl", "es", "it",
                   "the", "and", "of", "ltd", "gmbh", "inc", "llc", "ag", "sa", "bv", "srl", "sl", "oy", "ab", "as",
                   "info", "office", "billing", "accounts", "admin", "contact", "sales", "support", "mail", "hello"];
  var idPattern = /^[a-z]{2,4}_[0-9a-z]{8,}$/;

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

  function fileName(name) {
    var bytes = new TextEncoder().encode(name);
    return "s-" + Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("") + ".js";
  }

  var loaded = {};
  var waiting = {};

  window.OutpostSearch = {
    add: function (name, entries) {
      loaded[name] = entries;
      (waiting[name] || []).forEach(function (callback) { callback(); });
      delete waiting[name];
    }
  };

  function load(name, callback) {
    if (loaded[name]) { callback(); return; }
    if (waiting[name]) { waiting[name].push(callback); return; }
    waiting[name] = [callback];
    var script = document.createElement("script");
    script.src = root + "search/" + fileName(name);
    script.onerror = function () { loaded[name] = []; var list = waiting[name] || []; delete waiting[name]; list.forEach(function (cb) { cb(); }); };
    document.head.appendChild(script);
  }

  var form = document.querySelector("form.search");
  var input = document.getElementById("site-search");
  var results = document.getElementById("site-search-results");
  if (!form || !input || !results) return;
  form.hidden = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = results.querySelector("a");
    if (first) first.click();
  });

  function show(query, items, message) {
    if (input.value !== query) return;
    results.textContent = "";
    if (!items) return;
    if (items.length === 0) {
      var none = document.createElement("li");
      none.textContent = message || "Nothing found for \u201c" + query + "\u201d.";
      results.appendChild(none);
      return;
    }
    items.forEach(function (entry) {
      var li = document.createElement("li");
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = entry[0];
      var link = document.createElement("a");
      link.href = root + entry[3];
      link.textContent = entry[1] || "(no name)";
      var detail = document.createElement("span");
      detail.className = "detail";
      detail.textContent = entry[2];
      li.appendChild(kind);
      li.appendChild(link);
      li.appendChild(detail);
      results.appendChild(li);
    });
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
    var name = bucket(longest);
    // A bucket holds the words that start with its three letters; a shorter word's bucket holds only that word.
    var whole = Array.from(longest).length < 3 && !/^[0-9]+$/.test(longest);
    load(name, function () {
      // Every word must start a word of the entry; entries with more whole-word matches come first.
      var found = [];
      var entries = loaded[name] || [];
      for (var i = 0; i < entries.length && found.length < 500; i += 1) {
        var keys = entries[i][4].split(" ");
        var exact = 0;
        var all = words.every(function (word) {
          if (keys.indexOf(word) !== -1) { exact += 1; return true; }
          return keys.some(function (key) { return key.lastIndexOf(word, 0) === 0; });
        });
        if (all) found.push({ entry: entries[i], exact: exact, index: i });
      }
      found.sort(function (a, b) { return b.exact - a.exact || a.index - b.index; });
      show(query, found.slice(0, 25).map(function (item) { return item.entry; }),
           whole ? "Nothing found with the word \u201c" + longest + "\u201d; type three letters or more to find the words that start with them." : null);
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { input.value = ""; results.textContent = ""; }
  });

  // index.html?q=… opens with that search (a bookmark, a link from elsewhere).
  var match = /[?&]q=([^&#]*)/.exec(window.location.search);
  if (match) {
    input.value = decodeURIComponent(match[1].replace(/\+/g, " "));
    search();
  }
})();
