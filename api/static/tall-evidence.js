// T-ALL Evidence components for lab websites. One script tag, then:
//
//   <tall-evidence-card study="ns7car-t"></tall-evidence-card>
//   <tall-evidence-table target-antigen="CD7" therapy-class="car_t"></tall-evidence-table>
//
// They fetch the public JSON API (cross-origin) and render what /embed/studies/{id} and
// /embed/table render, with the same stylesheet, inside a shadow root so neither page's
// styles leak into the other. The table takes every /v1/studies filter as an attribute
// (hyphens for underscores; several values separated by commas are alternatives).
// The API is the origin this script came from, or an `api` attribute on the element.
//
// Data is only ever inserted as text (textContent, setAttribute), never as HTML.
// The script also sizes iframes showing /embed/ pages (which report their height).
(function () {
  "use strict";

  var script = document.currentScript;
  var DEFAULT_API = script ? new URL(".", script.src).href.replace(/\/static\/$/, "") : "";
  var HEIGHT_MESSAGE = "tall-evidence:height";

  // ---- talking to the API ----

  function apiBase(element) {
    return (element.getAttribute("api") || DEFAULT_API).replace(/\/$/, "");
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(
        function (body) {
          if (!response.ok) throw problem(response, body);
          return body;
        },
        function () {
          throw problem(response, null);
        }
      );
    });
  }

  function problem(response, body) {
    var error = new Error((body && body.detail) || response.statusText || "request failed");
    error.status = response.status;
    error.title = (body && body.title) || response.statusText;
    return error;
  }

  // Every item of a paginated list, following its next links.
  function getAll(url) {
    return getJson(url).then(function (page) {
      if (!page.links || !page.links.next) return page.items;
      return getAll(page.links.next).then(function (rest) {
        return page.items.concat(rest);
      });
    });
  }

  // The display words and the dataset's meta (licence, version), once per API: the footer says
  // what the iframe's footer says.
  var vocabularies = {};
  function vocabulary(base) {
    if (!vocabularies[base]) {
      vocabularies[base] = Promise.all([getJson(base + "/embed/labels.json"), getJson(base + "/v1/meta")]).then(
        function (results) {
          results[0].meta = results[1];
          return results[0];
        }
      );
    }
    return vocabularies[base];
  }

  // The stylesheet as a constructed CSSStyleSheet: a host page whose policy is style-src 'self'
  // blocks a <link> to the API's stylesheet and any <style>, but not a sheet built through the
  // CSSOM. The text is read with fetch, as the data is (connect-src).
  var sheets = {};
  function styleSheet(base) {
    if (!sheets[base]) {
      sheets[base] = fetch(base + "/static/embed.css")
        .then(function (response) {
          if (!response.ok) throw new Error("stylesheet: HTTP " + response.status);
          return response.text();
        })
        .then(function (text) {
          var sheet = new CSSStyleSheet();
          sheet.replaceSync(text);
          return sheet;
        });
    }
    return sheets[base];
  }

  function constructable(root) {
    return "adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype;
  }

  // ---- words, as api/views/labels.py says them ----

  function Words(vocab) {
    this.vocab = vocab;
  }
  Words.prototype.label = function (code) {
    if (code === null || code === undefined) return "";
    var text = String(code);
    return this.vocab.labels[text] || text.replace(/_/g, " ");
  };
  Words.prototype.timePoint = function (code) {
    if (!code) return "";
    if (code === "best") return "best response";
    if (code.indexOf("cycle") === 0) return "after cycle " + code.slice(5);
    if (/^d\d+$/.test(code)) return "day " + code.slice(1);
    var match = /^(\d+(?:\.\d+)?)([my])$/.exec(code);
    if (match) return match[1] + " " + (match[2] === "m" ? "month" : "year") + (match[1] === "1" ? "" : "s");
    return code;
  };
  Words.prototype.grade = function (low, high) {
    if (low === null && high === null) return "grade not stated";
    if (high === null) return "grade \u2265" + low;
    if (low === null) return "grade \u2264" + high;
    if (low === high) return "grade " + high;
    return "grade " + low + "\u2013" + high;
  };
  Words.prototype.list = function (codes) {
    return codes.map(this.label, this).join(", ");
  };

  function rank(order, value) {
    var i = order.indexOf(value);
    return i < 0 ? order.length : i;
  }

  function byKeys(keys) {
    return function (a, b) {
      var x = keys(a);
      var y = keys(b);
      for (var i = 0; i < x.length; i++) {
        if (x[i] < y[i]) return -1;
        if (x[i] > y[i]) return 1;
      }
      return 0;
    };
  }

  // Same order as api/views/figure_order.py.
  function orderedOutcomes(outcomes, vocab) {
    return outcomes.slice().sort(
      byKeys(function (o) {
        var months = o.time_point_months === null ? -1 : o.time_point_months;
        return [rank(vocab.measure_order, o.measure), o.arm_id || "", o.subgroup || "", months, o.id];
      })
    );
  }

  function orderedEvents(events, vocab) {
    return events.slice().sort(
      byKeys(function (e) {
        return [rank(vocab.term_order, e.term), e.grade_min || 0, e.arm_id || "", e.id];
      })
    );
  }

  // ---- building DOM from text only ----

  function h(tag, attributes) {
    var element = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value !== null && value !== undefined && value !== false) element.setAttribute(name, String(value));
    });
    for (var i = 2; i < arguments.length; i++) append(element, arguments[i]);
    return element;
  }

  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      child.forEach(function (c) {
        append(parent, c);
      });
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }

  function Citations(sources) {
    this.sources = [];
    this.numbers = {};
    this.known = sources;
  }
  Citations.prototype.cite = function (sourceId) {
    if (!(sourceId in this.numbers) && this.known[sourceId]) {
      this.sources.push(this.known[sourceId]);
      this.numbers[sourceId] = this.sources.length;
    }
    return this.numbers[sourceId];
  };

  function cite(citations, figure) {
    var n = citations.cite(figure.source_id);
    return h(
      "span",
      { class: "te-cite", "data-fact": "source_id locator", title: figure.source_id },
      n ? [h("a", { href: "#source-" + n, title: figure.source_id }, "[" + n + "]"), " "] : null,
      figure.locator
    );
  }

  // The hover texts of the marks, worded as api/render/labels.py words them.
  function inferredNote(inferred) {
    return (
      "Inferred by curators, not printed: " +
      inferred
        .map(function (i) {
          return i.field.replace(/_/g, " ") + ": " + i.reason;
        })
        .join("; ")
    );
  }

  function derivedNote(derivation) {
    return derivation ? "Derived by curators, not printed: " + derivation : "Derived by curators, not printed";
  }

  // Marks read with the printed words: each says what a reader must not take as printed.
  // page: where the conflicts are described ("" for this card).
  function flags(figure, page) {
    var out = (figure.conflict_ids || []).map(function (id) {
      var link = {
        class: "te-flag te-flag-conflict",
        "data-fact": "conflict_ids",
        href: (page || "") + "#conflict-" + id,
        title: "Recorded conflict " + id,
      };
      if (page) link.target = "_blank";
      return [" ", h("a", link, "conflict")];
    });
    if (figure.inferred && figure.inferred.length) {
      out.push([
        " ",
        h("span", { class: "te-flag te-flag-inferred", "data-fact": "inferred", title: inferredNote(figure.inferred) }, "inferred"),
      ]);
    }
    if (figure.derived) {
      out.push([" ", h("span", { class: "te-flag", "data-fact": "derived derivation", title: derivedNote(figure.derivation) }, "derived")]);
    }
    if (figure.unlabeled) {
      out.push([
        " ",
        h("span", { class: "te-flag", "data-fact": "unlabeled", title: "Printed without saying exactly what it measures" }, "unlabeled"),
      ]);
    }
    if (figure.caveat) out.push([" ", h("span", { class: "te-flag", "data-fact": "caveat", title: figure.caveat }, "caveat")]);
    return out;
  }

  function group(figure, words) {
    var who = h("span", { "data-fact": "arm_label" }, figure.arm_label || "all patients");
    return figure.subgroup ? [who, " \u00b7 ", h("span", { "data-fact": "subgroup" }, words.label(figure.subgroup))] : who;
  }

  function figureTable(className, headings, rows) {
    return h(
      "table",
      { class: "te-figures " + className },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          headings.map(function (name) {
            return h("th", { scope: "col" }, name);
          })
        )
      ),
      h("tbody", null, rows)
    );
  }

  function cell(name, content, fact) {
    return h("td", { "data-label": name, "data-fact": fact || null }, content);
  }

  function sourceList(citations) {
    if (!citations.sources.length) return null;
    return h(
      "section",
      { class: "te-section" },
      h("h2", null, "Sources"),
      h(
        "ol",
        { class: "te-sources" },
        citations.sources.map(function (s, i) {
          return h(
            "li",
            { id: "source-" + (i + 1), "data-source-id": s.id },
            s.title,
            s.venue ? [". ", h("i", null, s.venue)] : null,
            s.year ? " (" + s.year + ")" : null,
            ". ",
            h("span", { class: "te-muted" }, "Document " + s.id)
          );
        })
      )
    );
  }

  // The iframe pages' footer: the licence and dataset version every figure shown belongs to, and the
  // notice that comes with the words (/embed/labels.json), the same text the server's pages carry.
  function footer(base, jsonPath, words) {
    return h(
      "footer",
      { class: "te-footer" },
      "T-ALL Evidence API",
      words.vocab.meta && words.vocab.meta.licence
        ? h("span", { "data-field": "licence" }, " \u00b7 data " + words.vocab.meta.licence)
        : null,
      words.vocab.meta && words.vocab.meta.dataset_version
        ? h("span", { "data-field": "dataset-version" }, " \u00b7 dataset " + words.vocab.meta.dataset_version)
        : null,
      jsonPath ? [" \u00b7 ", h("a", { href: base + jsonPath, target: "_blank", rel: "noopener noreferrer" }, "JSON")] : null,
      words.vocab.notice ? h("p", { class: "te-notice", "data-notice": "" }, words.vocab.notice) : null
    );
  }

  function phaseText(phase) {
    return phase === "not_stated" || phase === "not_applicable" ? "" : "phase " + phase;
  }

  // ---- the study card ----

  function renderCard(study, sources, words, base) {
    var vocab = words.vocab;
    var citations = new Citations(sources);
    var outcomes = orderedOutcomes(study.outcomes, vocab);
    var events = orderedEvents(study.adverse_events, vocab);
    var ages = "";
    if (study.age_min !== null || study.age_max !== null) {
      ages = " \u00b7 ages " + (study.age_min === null ? "?" : study.age_min) + "\u2013" + (study.age_max === null ? "?" : study.age_max);
    }
    var n = study.enrolled_printed || (study.n_enrolled === null ? "not stated" : String(study.n_enrolled));
    var therapy = [study.agents.length ? words.list(study.agents) : words.list(study.therapy_classes)];
    study.car_products.forEach(function (p) {
      var source = p.cell_source === "not_stated" ? "cell source not stated" : words.label(p.cell_source);
      therapy.push(h("br"), p.name + ": " + p.target_antigens.join("/") + " CAR " + words.label(p.cell_type) + ", " + source);
    });
    var kicker = [words.label(study.design), phaseText(study.phase), words.label(study.setting)].filter(Boolean);

    var outcomeRows = outcomes.map(function (o) {
      return h(
        "tr",
        { "data-figure-id": o.id, class: o.conflict_ids.length ? "te-in-conflict" : null },
        cell("Measure", words.label(o.measure), "measure"),
        cell("Group", group(o, words)),
        cell("Time", h("span", { class: "te-nowrap", "data-fact": "time_point" }, words.timePoint(o.time_point) || "\u2014")),
        cell("As printed", [h("span", { class: "te-printed", "data-fact": "printed" }, o.printed), flags(o)]),
        cell("Source", cite(citations, o))
      );
    });
    var eventRows = events.map(function (e) {
      var grade = [h("span", { class: "te-nowrap", "data-fact": "grade_min grade_max" }, words.grade(e.grade_min, e.grade_max))];
      if (e.grading_system !== "not_stated") {
        grade.push(" (", h("span", { "data-fact": "grading_system" }, words.label(e.grading_system)), ")");
      }
      return h(
        "tr",
        { "data-figure-id": e.id, class: e.conflict_ids.length ? "te-in-conflict" : null },
        cell("Event", words.label(e.term), "term"),
        cell("Grade", grade),
        cell("Group", group(e, words)),
        cell("As printed", [h("span", { class: "te-printed", "data-fact": "printed" }, e.printed), flags(e)]),
        cell("Source", cite(citations, e))
      );
    });
    var conflicts = study.conflicts.map(function (c) {
      return h(
        "div",
        { class: "te-conflict", id: "conflict-" + c.id, "data-conflict-id": c.id },
        h("p", null, h("strong", null, words.label(c.kind) + ":"), " ", c.description),
        h(
          "ul",
          null,
          c.members.map(function (m) {
            return h("li", null, h("span", { class: "te-printed" }, m.printed), " \u2014 ", cite(citations, m));
          })
        )
      );
    });
    study.source_ids.forEach(function (id) {
      citations.cite(id);
    });

    return h(
      "div",
      { class: "te" },
      h(
        "article",
        { class: "te-card", "data-study-id": study.id },
        h(
          "header",
          { class: "te-header" },
          h("p", { class: "te-kicker" }, kicker.join(" \u00b7 ")),
          h("h1", { class: "te-title" }, study.title),
          study.acronym ? h("p", { class: "te-acronym" }, study.acronym) : null
        ),
        h(
          "dl",
          { class: "te-facts" },
          fact("Design", "design", words.label(study.design) + (study.randomised ? ", randomised" : "")),
          fact("Phase", "phase", words.label(study.phase)),
          fact(
            "Population",
            "population",
            study.diseases.join(", ") +
              (study.age_groups.length ? " \u00b7 " + words.list(study.age_groups) : "") +
              ages +
              (study.age_median !== null ? " (median " + study.age_median + ")" : "") +
              " \u00b7 " +
              words.label(study.setting)
          ),
          fact("Patients", "n", n),
          study.period_start || study.period_end
            ? fact("Period", null, (study.period_start || "?") + "\u2013" + (study.period_end || "?"))
            : null,
          fact("Therapy", "therapy", therapy),
          (study.prior_therapies || []).length
            ? fact("Prior therapy", "prior-therapies", words.list(study.prior_therapies) + " (before the study; not its treatment)")
            : null,
          study.registry_ids.length ? fact("Registry", null, study.registry_ids.join(", ")) : null
        ),
        h("p", { class: "te-summary" }, study.summary),
        h(
          "section",
          { class: "te-section" },
          h("h2", null, "Outcomes"),
          outcomeRows.length
            ? figureTable("te-outcomes", ["Measure", "Group", "Time", "As printed", "Source"], outcomeRows)
            : h("p", { class: "te-muted" }, "No outcome figures curated.")
        ),
        h(
          "section",
          { class: "te-section" },
          h("h2", null, "Adverse events"),
          eventRows.length
            ? figureTable("te-adverse-events", ["Event", "Grade", "Group", "As printed", "Source"], eventRows)
            : h("p", { class: "te-muted" }, "No adverse-event figures curated.")
        ),
        conflicts.length
          ? h(
              "section",
              { class: "te-section te-conflicts" },
              h("h2", null, "Recorded conflicts"),
              h("p", { class: "te-muted" }, "The sources disagree here; every figure is kept, none is chosen."),
              conflicts
            )
          : null,
        sourceList(citations)
      ),
      footer(base, "/v1/studies/" + encodeURIComponent(study.id), words)
    );
  }

  function fact(name, field, value) {
    return h("div", null, h("dt", null, name), h("dd", field ? { "data-field": field } : null, value));
  }

  // ---- the evidence table ----

  function renderTable(studies, outcomesByStudy, sources, filters, words, base) {
    var citations = new Citations(sources);
    var heading = Object.keys(filters)
      .map(function (name) {
        return words.label(name) + " " + filters[name].map(words.label, words).join(" or ");
      })
      .join("; ");
    var rows = studies.map(function (s) {
      var outcomes = orderedOutcomes(outcomesByStudy[s.id] || [], words.vocab);
      var population = s.diseases.join(", ") + " \u00b7 " + words.label(s.setting);
      if (s.n_enrolled !== null) population += " \u00b7 n = " + s.n_enrolled;
      else if (s.enrolled_printed) population += " \u00b7 " + s.enrolled_printed;
      var therapy = words.list(s.agents);
      if (s.target_antigens.length) {
        therapy += (s.agents.length ? " \u00b7 " : "") + s.target_antigens.join("/") + " CAR (" + words.list(s.cell_sources) + ")";
      }
      var card = base + "/embed/studies/" + encodeURIComponent(s.id);
      return h(
        "tr",
        { "data-study-id": s.id },
        cell("Study", [
          h("a", { href: card, target: "_blank", rel: "noopener noreferrer" }, s.acronym || s.title),
          s.acronym ? [h("br"), h("span", { class: "te-muted" }, s.title)] : null,
        ]),
        cell("Design", words.label(s.design) + (phaseText(s.phase) ? ", " + phaseText(s.phase) : "")),
        cell("Population", population),
        cell("Therapy", therapy),
        cell(
          "Outcomes",
          h(
            "ul",
            { class: "te-figure-list" },
            outcomes.length
              ? outcomes.map(function (o) {
                  var what = [words.label(o.measure)];
                  if (o.time_point) what.push(" ", h("span", { "data-fact": "time_point" }, words.timePoint(o.time_point)));
                  if (o.subgroup) what.push(" (" + words.label(o.subgroup) + ")");
                  return h(
                    "li",
                    { "data-figure-id": o.id },
                    h("span", { class: "te-measure", "data-fact": "measure" }, what),
                    " ",
                    h("span", { class: "te-arm", "data-fact": "arm_label", "data-field": "arm" }, o.arm_label || "all patients"),
                    ": ",
                    h("span", { class: "te-printed", "data-fact": "printed" }, o.printed),
                    flags(o, card),
                    h("br"),
                    cite(citations, o)
                  );
                })
              : h("li", { class: "te-muted" }, "none curated")
          )
        )
      );
    });
    return h(
      "div",
      { class: "te" },
      h(
        "section",
        { class: "te-table-view" },
        h(
          "header",
          { class: "te-header" },
          h("h1", { class: "te-title" }, "Studies" + (heading ? ": " + heading : "")),
          h("p", { class: "te-kicker", "data-field": "count" }, studies.length + (studies.length === 1 ? " study" : " studies"))
        ),
        rows.length
          ? figureTable("te-evidence", ["Study", "Design", "Population", "Therapy", "Outcomes as printed"], rows)
          : h("p", { class: "te-muted te-empty" }, "No study matches these filters."),
        sourceList(citations)
      ),
      footer(base, null, words)
    );
  }

  // ---- the elements ----

  // A fresh shadow root for one rendering; renderings superseded by a newer one are dropped.
  function shadow(element, base) {
    element._rendering = (element._rendering || 0) + 1;
    var root = element.shadowRoot;
    if (!root) {
      root = element.attachShadow({ mode: "open" });
      // #fragment links do not reach into a shadow root; scroll to their target by hand.
      root.addEventListener("click", function (event) {
        var link = event.target.closest && event.target.closest("a[href^='#']");
        var target = link && root.getElementById(link.getAttribute("href").slice(1));
        if (target) {
          event.preventDefault();
          target.scrollIntoView({ block: "center" });
        }
      });
    }
    while (root.firstChild) root.removeChild(root.firstChild);
    if (constructable(root)) {
      styleSheet(base).then(
        function (sheet) {
          root.adoptedStyleSheets = [sheet];
        },
        function () {
          root.insertBefore(h("link", { rel: "stylesheet", href: base + "/static/embed.css" }), root.firstChild);
        }
      );
    } else {
      root.appendChild(h("link", { rel: "stylesheet", href: base + "/static/embed.css" }));
    }
    return root;
  }

  function showStatus(root, text, isError) {
    var status = h("div", { class: "te" }, h("p", { class: isError ? "te-error" : "te-status", role: "status" }, text));
    root.appendChild(status);
    return status;
  }

  function current(element, rendering) {
    return element._rendering === rendering;
  }

  function failed(root, status, what, error) {
    status.remove();
    var detail = error.status ? error.status + " " + error.title + ": " + error.message : error.message;
    showStatus(root, "Could not load " + what + " (" + detail + ").", true);
  }

  class TallEvidenceCard extends HTMLElement {
    static get observedAttributes() {
      return ["study", "api"];
    }
    connectedCallback() {
      this.render();
    }
    attributeChangedCallback(name, before, after) {
      // On upgrade every attribute "changes" from null; connectedCallback renders then.
      if (before !== null && before !== after && this.isConnected) this.render();
    }
    render() {
      var self = this;
      var base = apiBase(this);
      var studyId = this.getAttribute("study") || "";
      var root = shadow(this, base);
      var rendering = this._rendering;
      var status = showStatus(root, "Loading study " + studyId + "\u2026");
      var load = Promise.all([vocabulary(base), getJson(base + "/v1/studies/" + encodeURIComponent(studyId))]);
      load
        .then(function (results) {
          var vocab = results[0];
          var study = results[1];
          var known = {};
          study.sources.forEach(function (s) {
            known[s.id] = s;
          });
          // Figures may cite documents other than the study's own: fetch those too.
          var figures = study.outcomes.concat(study.adverse_events);
          study.conflicts.forEach(function (c) {
            figures = figures.concat(c.members);
          });
          var missing = [];
          figures.forEach(function (f) {
            if (!known[f.source_id] && missing.indexOf(f.source_id) < 0) missing.push(f.source_id);
          });
          return Promise.all(
            missing.map(function (id) {
              return getJson(base + "/v1/sources/" + encodeURIComponent(id));
            })
          ).then(function (extra) {
            if (!current(self, rendering)) return;
            extra.forEach(function (s) {
              known[s.id] = s;
            });
            status.remove();
            root.appendChild(renderCard(study, known, new Words(vocab), base));
          });
        })
        .catch(function (error) {
          if (current(self, rendering)) failed(root, status, "study " + studyId, error);
        });
    }
  }

  // Attributes that are not filters.
  var NOT_FILTERS = ["api", "class", "id", "style", "hidden", "title", "lang", "dir", "slot"];

  class TallEvidenceTable extends HTMLElement {
    connectedCallback() {
      this.render();
    }
    filters() {
      var filters = {};
      Array.prototype.forEach.call(this.attributes, function (attribute) {
        if (NOT_FILTERS.indexOf(attribute.name) >= 0 || attribute.name.indexOf("data-") === 0) return;
        var values = attribute.value.split(",").map(function (v) {
          return v.trim();
        });
        filters[attribute.name.replace(/-/g, "_")] = values.filter(Boolean);
      });
      return filters;
    }
    render() {
      var self = this;
      var base = apiBase(this);
      var root = shadow(this, base);
      var rendering = this._rendering;
      var status = showStatus(root, "Loading studies\u2026");
      var filters = this.filters();
      var query = new URLSearchParams();
      Object.keys(filters).forEach(function (name) {
        filters[name].forEach(function (value) {
          query.append(name, value);
        });
      });
      query.set("limit", "500");
      // The figure lists take the study filters too: one request for every outcome shown.
      var outcomes = new URLSearchParams(query);
      outcomes.set("subgroup", "any");
      Promise.all([
        vocabulary(base),
        getAll(base + "/v1/studies?" + query),
        getAll(base + "/v1/outcomes?" + outcomes),
        getAll(base + "/v1/sources?limit=500"),
      ])
        .then(function (results) {
          if (!current(self, rendering)) return;
          var byStudy = {};
          results[2].forEach(function (o) {
            (byStudy[o.study_id] = byStudy[o.study_id] || []).push(o);
          });
          var sources = {};
          results[3].forEach(function (s) {
            sources[s.id] = s;
          });
          status.remove();
          root.appendChild(renderTable(results[1], byStudy, sources, filters, new Words(results[0]), base));
        })
        .catch(function (error) {
          if (current(self, rendering)) failed(root, status, "the studies", error);
        });
    }
  }

  if (!customElements.get("tall-evidence-card")) customElements.define("tall-evidence-card", TallEvidenceCard);
  if (!customElements.get("tall-evidence-table")) customElements.define("tall-evidence-table", TallEvidenceTable);

  // ---- sizing iframes that show /embed/ pages ----

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== HEIGHT_MESSAGE || typeof data.height !== "number") return;
    var frames = document.querySelectorAll("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        // Through the CSSOM: allowed even where the page's CSP forbids inline styles.
        frames[i].style.height = Math.max(50, Math.min(data.height, 20000)) + "px";
      }
    }
  });
})();
