// The evidence explorer: filters, search, per-principle counts and CMOC detail over the embedded JSON.
// Evidence is data: every piece of it reaches the page through textContent, never as markup, and the
// only live links are the http(s) and DOI addresses crm put in the data after checking them.
(function () {
  "use strict";

  var PAGE_SIZE = 25;
  var FILTERS = ["principle", "relation", "direction", "source", "country", "design", "relevance", "rigour", "theme"];
  var KEYS = ["q"].concat(FILTERS, ["cmoc"]);

  var data, sources, principles, cmocs, byId, principleIndex, sourceIndex, index = null;
  var state = {}, shown = 0, matches = [], moveFocus = false;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        if (key === "text") node.textContent = attrs[key];
        else if (key === "className") node.className = attrs[key];
        else node.setAttribute(key, attrs[key]);
      });
    }
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function byIdNode(id) { return document.getElementById(id); }

  function plural(n, one, many) { return n.toLocaleString("en") + " " + (n === 1 ? one : many); }

  // --- the URL hash holds the whole view --------------------------------------------------------

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var next = {};
    KEYS.forEach(function (key) {
      var value = params.get(key);
      if (value) next[key] = value;
    });
    return next;
  }

  function hashOf(st) {
    var parts = [];
    KEYS.forEach(function (key) {
      if (st[key]) parts.push(key + "=" + encodeURIComponent(st[key]));
    });
    return "#" + parts.join("&");
  }

  function withChange(changes) {
    var next = {};
    KEYS.forEach(function (key) { if (state[key]) next[key] = state[key]; });
    Object.keys(changes).forEach(function (key) {
      if (changes[key]) next[key] = changes[key];
      else delete next[key];
    });
    return next;
  }

  function go(next) {
    var hash = hashOf(next);
    if (hash === location.hash || (hash === "#" && !location.hash)) { apply(); return; }
    location.hash = hash;  // hashchange renders it, and the back button returns to the previous view
  }

  // --- the data, prepared once --------------------------------------------------------------------

  function prepare() {
    data = JSON.parse(byIdNode("evidence").textContent);
    principles = data.principles;
    sources = data.sources;
    cmocs = data.cmocs;
    // Maps without a prototype: an id or a country such as "constructor" is just a key.
    byId = Object.create(null);
    principleIndex = Object.create(null);
    sourceIndex = Object.create(null);
    principles.forEach(function (p, i) { principleIndex[p.id] = i; });
    sources.forEach(function (s, i) { sourceIndex[s.id] = i; s.count = 0; });
    cmocs.forEach(function (c) {
      byId[c.id] = c;
      sources[c.s].count += 1;
    });
  }

  // Lower case without accents, so that "peru" finds "Perú"; plain ASCII text (most of it) skips the
  // costly decomposition.
  function normalise(text) {
    var lower = text.toLowerCase();
    return /[^\u0000-\u007f]/.test(lower) ? lower.normalize("NFD").replace(/[\u0300-\u036f]/g, "") : lower;
  }

  function searchText(c) {
    var parts = [c.context, c.resource, c.response, c.outcome, c.notes || ""];
    c.quotes.forEach(function (q) { parts.push(q[0], q[1]); });
    return normalise(parts.join("\n"));
  }

  // The search index is built after the first view is on screen, in slices, so opening stays quick;
  // a search that comes sooner finishes it at once.
  var built = [];
  function buildIndex(limit) {
    var stop = Math.min(cmocs.length, built.length + limit);
    while (built.length < stop) built.push(searchText(cmocs[built.length]));
    if (built.length === cmocs.length) index = built;
  }

  function buildIndexSoon() {
    setTimeout(function slice() {
      if (index) return;
      buildIndex(2000);
      if (!index) setTimeout(slice, 0);
    }, 0);
  }

  function ensureIndex() {
    if (!index) buildIndex(cmocs.length);
  }

  function terms(query) {
    var found = [], pattern = /"([^"]+)"|(\S+)/g, m;
    while ((m = pattern.exec(normalise(query))) !== null) found.push((m[1] || m[2]).trim());
    return found.filter(function (t) { return t.length > 0; });
  }

  // --- filtering ----------------------------------------------------------------------------------

  // Everything but the principle and relation filters, which renderCounts sets aside to count by them.
  function test(c, i, st, words) {
    var s = sources[c.s];
    if (st.source && s.id !== st.source) return false;
    if (st.direction && c.direction !== st.direction) return false;
    if (st.country && s.countries.indexOf(st.country) < 0) return false;
    if (st.design && s.design !== st.design) return false;
    if (st.relevance && s.relevance !== st.relevance) return false;
    if (st.rigour && s.rigour !== st.rigour) return false;
    if (st.theme && c.themes.indexOf(st.theme) < 0) return false;
    if (words.length) {
      var text = index[i];
      for (var w = 0; w < words.length; w++) if (text.indexOf(words[w]) < 0) return false;
    }
    return true;
  }

  function linked(c, st) {
    if (!st.principle && !st.relation) return true;
    var wanted = st.principle ? principleIndex[st.principle] : -1;
    for (var k = 0; k < c.links.length; k++) {
      if ((wanted < 0 || c.links[k][0] === wanted) && (!st.relation || c.links[k][1] === st.relation)) return true;
    }
    return false;
  }

  // --- controls -----------------------------------------------------------------------------------

  function fillSelect(id, anyLabel, options) {
    var select = byIdNode(id);
    select.appendChild(el("option", { value: "", text: anyLabel }));
    options.forEach(function (o) { select.appendChild(el("option", { value: o[0], text: o[1] })); });
  }

  function distinct(values) {
    var seen = Object.create(null);
    values.forEach(function (v) { seen[v] = (seen[v] || 0) + 1; });
    return Object.keys(seen).sort(function (a, b) { return a.localeCompare(b, "en"); }).map(function (v) { return [v, v + " (" + seen[v] + ")"]; });
  }

  function setUpControls() {
    var countries = [], designs = [], themes = [];
    cmocs.forEach(function (c) {
      var s = sources[c.s];
      countries.push.apply(countries, s.countries);
      designs.push(s.design);
      themes.push.apply(themes, c.themes);
    });
    fillSelect("f-principle", "Any principle", principles.map(function (p) { return [p.id, p.title]; }));
    fillSelect("f-relation", "Any relation", data.vocabulary.relations.map(function (r) { return [r, r]; }));
    fillSelect("f-direction", "Any direction", data.vocabulary.directions.map(function (d) { return [d, d]; }));
    fillSelect("f-source", "Any source", sources.map(function (s) { return [s.id, s.cite + " (" + s.count + ")"]; }));
    fillSelect("f-country", "Any country", distinct(countries));
    fillSelect("f-design", "Any design", distinct(designs));
    fillSelect("f-relevance", "Any relevance", data.vocabulary.ratings.map(function (r) { return [r, r]; }));
    fillSelect("f-rigour", "Any rigour", data.vocabulary.ratings.map(function (r) { return [r, r]; }));
    fillSelect("f-theme", "Any theme", distinct(themes));
    FILTERS.forEach(function (name) {
      var select = byIdNode("f-" + name);
      select.addEventListener("change", function () {
        var change = { cmoc: "" };
        change[name] = select.value;
        go(withChange(change));
      });
      select.disabled = false;
    });
    var box = byIdNode("q");
    box.addEventListener("input", function () {
      state = withChange({ q: box.value, cmoc: "" });
      var hash = hashOf(state);
      history.replaceState(null, "", hash === "#" ? location.pathname + location.search : hash);
      render();
    });
    box.disabled = false;
    byIdNode("filters").addEventListener("submit", function (event) { event.preventDefault(); });
    byIdNode("more").addEventListener("click", function () {
      var first = shown;
      renderMore();
      // Keyboard users continue reading at the first card just added.
      var added = byIdNode("results").children[first];
      if (added) added.querySelector("a").focus();
    });
    byIdNode("question").textContent = data.question;
  }

  function syncControls() {
    var box = byIdNode("q");
    if (box.value !== (state.q || "")) box.value = state.q || "";
    FILTERS.forEach(function (name) {
      var select = byIdNode("f-" + name), value = state[name] || "";
      select.value = value;
      if (select.value !== value) {  // a value the data does not have (an old link): drop it, show "Any"
        select.value = "";
        delete state[name];
      }
    });
  }

  // --- rendering ----------------------------------------------------------------------------------

  function link(text, st, extra) {
    var a = el("a", { href: hashOf(st), text: text });
    if (extra) a.setAttribute("aria-label", extra);
    return a;
  }

  function direction(d) {
    return el("span", { className: "direction " + d, text: data.symbols.directions[d] + " " + d });
  }

  function principleLinks(c) {
    var list = el("ul", { className: "links" });
    c.links.forEach(function (l) {
      var p = principles[l[0]];
      list.appendChild(el("li", { className: "relation " + l[1] }, [
        el("span", { className: "relation-word", text: data.symbols.relations[l[1]] + " " + l[1] }), " ", link(p.title, { principle: p.id })
      ]));
    });
    return list;
  }

  function card(c) {
    var s = sources[c.s];
    var item = el("li", { className: "card " + c.direction });
    item.appendChild(el("h3", null, [link("CMOC " + c.id, withChange({ cmoc: c.id }))]));
    item.appendChild(el("p", { className: "meta" }, [
      link(s.cite, { source: s.id }, "Source: " + s.cite), " \u00b7 ", direction(c.direction)
    ]));
    item.appendChild(principleLinks(c));
    item.appendChild(el("dl", { className: "cmo" }, [
      el("dt", { text: "Context" }), el("dd", { text: c.context }),
      el("dt", { text: "Mechanism" }), el("dd", null, [c.resource, el("span", { className: "arrow", text: " \u2192 " }), c.response]),
      el("dt", { text: "Outcome" }), el("dd", { text: c.outcome })
    ]));
    return item;
  }

  function reference(s) {
    var parts = [];
    if (s.authors) parts.push(s.authors + " ");
    parts.push("(" + s.year + "). ", el("cite", { text: s.title }), ".");
    if (s.details) parts.push(" " + s.details + ".");
    if (s.link) parts.push(" ", el("a", { href: safeHref(s.link), rel: "noopener noreferrer", text: s.link }));
    if (s.shownUrl) parts.push(" ", el("span", { text: s.shownUrl }));
    return el("p", { className: "reference" }, parts);
  }

  // crm checked these addresses already; checking again here keeps the page safe if the data is edited.
  function safeHref(url) { return /^https?:\/\/[^\s]+$/i.test(url) ? url : "#"; }

  function sourceFacts(s) {
    return el("dl", { className: "facts" }, [
      el("dt", { text: "Design" }), el("dd", { text: s.design }),
      el("dt", { text: "Countries" }), el("dd", { text: s.countries.join(", ") }),
      s.setting ? el("dt", { text: "Setting" }) : null, s.setting ? el("dd", { text: s.setting }) : null,
      el("dt", { text: "Appraisal" }), el("dd", { text: "relevance " + s.relevance + ", rigour " + s.rigour })
    ]);
  }

  function renderDetail() {
    var section = byIdNode("detail");
    section.replaceChildren();
    var c = state.cmoc ? byId[state.cmoc] : null;
    if (!c) { section.hidden = true; return; }
    var s = sources[c.s];
    section.className = "detail " + c.direction;
    var quotes = el("ol", { className: "quotes" });
    c.quotes.forEach(function (q) {
      var locator = el("p", { className: "locator", text: "\u2014 " + s.cite + ", " + q[1] });
      if (q.length > 2) { locator.appendChild(el("em", { className: "verified", text: " (" + q[2] + ")" })); }
      quotes.appendChild(el("li", null, [el("blockquote", { text: q[0] }), locator]));
    });
    var themes = el("ul", { className: "themes" });
    c.themes.forEach(function (t) { themes.appendChild(el("li", null, [link(t, { theme: t }, "Theme: " + t)])); });
    section.append(
      el("h2", { id: "detail-heading", tabindex: "-1", text: "CMOC " + c.id }),
      el("p", { className: "meta" }, [direction(c.direction), " outcome \u00b7 from ", link(s.cite, { source: s.id }, "Source: " + s.cite)]),
      el("dl", { className: "cmo" }, [
        el("dt", { text: "Context" }), el("dd", { text: c.context }),
        el("dt", { text: "Mechanism: resource" }), el("dd", { text: c.resource }),
        el("dt", { text: "Mechanism: response" }), el("dd", { text: c.response }),
        el("dt", { text: "Outcome" }), el("dd", { text: c.outcome }),
        el("dt", { text: "Principles" }), el("dd", null, [principleLinks(c)]),
        c.themes.length ? el("dt", { text: "Themes" }) : null, c.themes.length ? el("dd", null, [themes]) : null,
        c.notes ? el("dt", { text: "Notes" }) : null, c.notes ? el("dd", { text: c.notes }) : null
      ]),
      el("h3", { text: c.quotes.length === 1 ? "Quote" : "Quotes" }),
      quotes,
      el("h3", { text: "Source" }),
      reference(s),
      sourceFacts(s),
      el("p", { className: "actions" }, [
        link("Back to the list", withChange({ cmoc: "" })), " \u00b7 ",
        link("Every CMOC of " + s.cite, { source: s.id })
      ])
    );
    section.hidden = false;
  }

  // Each pattern the synthesis found for the principle, with its outcomes by direction written out.
  function patternList(p) {
    var list = el("ul", { className: "patterns" });
    p.patterns.forEach(function (pattern) {
      var outcomes = data.vocabulary.directions.filter(function (d) { return pattern.outcomes[d]; }).map(function (d) {
        return data.symbols.directions[d] + " " + pattern.outcomes[d] + " " + d;
      });
      list.appendChild(el("li", null, [
        link(pattern.theme, { principle: p.id, theme: pattern.theme }, "Pattern " + pattern.theme + ": its CMOCs under " + p.title),
        ": " + plural(pattern.cmocs, "CMOC", "CMOCs") + " from " + plural(pattern.sources, "source", "sources") + " (" + outcomes.join(", ") + ")"
          + (pattern.sources >= 2 ? ", recurring across sources" : "")
      ]));
    });
    return list;
  }

  function renderFocus() {
    var section = byIdNode("focus");
    section.replaceChildren();
    var s = state.source !== undefined ? sources[sourceIndex[state.source]] : null;
    var p = state.principle !== undefined ? principles[principleIndex[state.principle]] : null;
    if (s) {
      section.append(el("h2", { id: "focus-source", tabindex: "-1", text: "Source: " + s.cite }), reference(s), sourceFacts(s),
        el("p", { text: plural(s.count, "CMOC", "CMOCs") + " coded from this source." }));
    }
    if (p) {
      section.append(el("h2", { id: "focus-principle", tabindex: "-1", text: "Principle: " + p.title }), el("p", { className: "statement", text: p.statement }));
      if (p.patterns.length) section.append(el("h3", { text: "Patterns: mechanism themes its CMOCs share" }), patternList(p));
    }
    section.hidden = !(s || p);
  }

  // One pass over the CMOCs: counts by principle and relation under the other filters, and the matches.
  function tally(words) {
    var rows = principles.map(function () { return { supports: 0, refutes: 0, refines: 0, all: 0 }; });
    matches = [];
    for (var i = 0; i < cmocs.length; i++) {
      var c = cmocs[i];
      if (!test(c, i, state, words)) continue;
      for (var k = 0; k < c.links.length; k++) {
        rows[c.links[k][0]][c.links[k][1]] += 1;
        rows[c.links[k][0]].all += 1;
      }
      if (linked(c, state)) matches.push(c);
    }
    return rows;
  }

  function renderCounts(rows) {
    var body = byIdNode("counts").tBodies[0];
    body.replaceChildren();
    principles.forEach(function (p, i) {
      var chosen = state.principle === p.id;
      var head = el("th", { scope: "row" }, [link(p.title, withChange({ principle: chosen ? "" : p.id, relation: "", cmoc: "" }))]);
      if (chosen) head.appendChild(el("span", { className: "chosen", text: " (chosen)" }));
      var row = el("tr", chosen ? { className: "chosen", "aria-current": "true" } : null, [head]);
      data.vocabulary.relations.forEach(function (r) {
        var n = rows[i][r];
        var cell = el("td", { className: "num", "data-label": r });
        if (n) cell.appendChild(link(String(n), withChange({ principle: p.id, relation: r, cmoc: "" }), plural(n, "CMOC", "CMOCs") + " " + r + " " + p.title));
        else cell.textContent = "0";
        row.appendChild(cell);
      });
      row.appendChild(el("td", { className: "num", "data-label": "all", text: String(rows[i].all) }));
      body.appendChild(row);
    });
  }

  function renderMore() {
    var list = byIdNode("results"), stop = Math.min(matches.length, shown + PAGE_SIZE);
    var fragment = document.createDocumentFragment();
    for (var i = shown; i < stop; i++) fragment.appendChild(card(matches[i]));
    list.appendChild(fragment);
    shown = stop;
    var more = byIdNode("more");
    more.hidden = shown >= matches.length;
    more.textContent = "Show " + Math.min(PAGE_SIZE, matches.length - shown) + " more (" + (matches.length - shown).toLocaleString("en") + " not shown yet)";
  }

  // The view in words, so that a printed or shared page says what it shows.
  function renderSummary() {
    var parts = [];
    if (state.q) parts.push("search \u201c" + state.q + "\u201d");
    FILTERS.forEach(function (name) {
      if (!state[name]) return;
      var label = document.querySelector("label[for='f-" + name + "']").textContent;
      var value = name === "principle" ? principles[principleIndex[state.principle]].title
        : name === "source" ? sources[sourceIndex[state.source]].cite : state[name];
      parts.push(label.toLowerCase() + ": " + value);
    });
    byIdNode("summary").textContent = parts.length ? "Showing CMOCs with " + parts.join("; ") + "." : "Showing every CMOC.";
  }

  function render() {
    var words = state.q ? terms(state.q) : [];
    if (words.length) ensureIndex();
    var rows = tally(words);
    byIdNode("status").textContent = plural(matches.length, "CMOC matches", "CMOCs match") + " (of " + cmocs.length.toLocaleString("en") + ", from " + plural(sources.length, "source", "sources") + ").";
    byIdNode("results-heading").textContent = matches.length ? "Matching CMOCs" : "No CMOC matches: loosen a filter or the search";
    byIdNode("results").replaceChildren();
    shown = 0;
    renderMore();
    renderCounts(rows);
    renderSummary();
    renderFocus();
    renderDetail();
    byIdNode("clear").hidden = Object.keys(state).length === 0;
  }

  function apply() {
    state = readHash();
    syncControls();
    render();
    if (moveFocus) {
      var target = state.cmoc && byId[state.cmoc] ? "detail-heading" : state.source ? "focus-source" : state.principle ? "focus-principle" : "results-heading";
      var node = byIdNode(target);
      if (node) node.focus();
    }
    moveFocus = false;
  }

  function start() {
    try {
      prepare();
    } catch (error) {
      byIdNode("status").textContent = "The evidence in this page cannot be read: " + error;
      return;
    }
    setUpControls();
    // A followed link moves focus to what it opened; a changed filter leaves focus on the filter.
    document.addEventListener("click", function (event) {
      var a = event.target.closest && event.target.closest("a[href^='#']");
      if (a && a.id !== "clear" && !a.classList.contains("skip")) moveFocus = true;
    });
    // The skip link moves focus only: a fragment of its own would replace the view's hash.
    document.querySelector("a.skip").addEventListener("click", function (event) {
      event.preventDefault();
      byIdNode("results-heading").focus();
    });
    byIdNode("clear").addEventListener("click", function (event) {
      event.preventDefault();
      go({});
    });
    window.addEventListener("hashchange", apply);
    apply();
    document.documentElement.setAttribute("data-ready", "true");
    if (window.performance && performance.mark) performance.mark("explorer-ready");
    buildIndexSoon();
  }

  start();
})();
