/*
 * Search as you type for the place and organisation pickers of the case form
 * (templates/practices/submit/bestpractice_form.html).
 *
 * Without JavaScript a picker is a search field and a "Find" button that posts the form
 * back (action=find_places), and the server lists the matches as checkboxes. This file
 * only adds to that: as the user types, it asks the API for matches and shows them as
 * the same checkboxes, so that nothing changes for keyboard users or when the API fails.
 *
 * Markup (every text comes from the template, so that it stays translatable):
 *
 *   <div data-picker
 *        data-picker-source="/api/v1/places/"        the API list to search (required)
 *        data-picker-name="places"                   the checkboxes' name (required)
 *        data-picker-param="search"                  the API's search parameter (default)
 *        data-picker-found="{count} places found"    announced after a search; {count}
 *        data-picker-found-one="{count} place found" optional, one per plural category of
 *                                                    the page's language (-zero, -one,
 *                                                    -two, -few, -many), else -found
 *        data-picker-none="No place has that name."  announced when nothing matches
 *        data-picker-more="Only the first {shown} of {count} are shown: type more of the name."
 *                                                    optional, added when the API has more
 *        data-picker-legend="Places matching “{query}”"
 *                                                    optional: the matches become a
 *                                                    fieldset with this legend
 *        data-picker-error="Search as you type is not available: use the Find button.">
 *                                                    optional, announced when a search fails
 *     <input type="search" data-picker-query ...>
 *     <button type="submit" name="action" value="find_places" data-picker-button>…</button>
 *     <p data-picker-status></p>                     optional; created when missing
 *     <div data-picker-results aria-live="polite">server-rendered matches</div>
 *   </div>
 *
 * Announcements go to the status element (role="status"), not to the results: a live
 * region around the results would read every new checkbox aloud on each keystroke, so
 * the results' aria-live is turned off once this script takes over.
 *
 * Ticked matches are never dropped: a new search keeps them and adds the new matches
 * after them, leaving out any place already ticked elsewhere in the form. API data
 * reaches the page through textContent and attributes only, never as HTML.
 */
(function () {
  "use strict";

  const DELAY_MS = 250;
  const MIN_TYPED = 2;
  const LIMIT = 10;
  const MAX_QUERY = 200;
  // Characters that are space without looking like it: a query of only these is empty.
  const INVISIBLE = /[\s\u200b-\u200d\u2060\ufeff]/g;

  let lastId = 0;

  function visibleLength(text) {
    // Counted in characters, not UTF-16 units: one emoji is one character.
    return Array.from(text.replace(INVISIBLE, "")).length;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function capitalised(word) {
    return word.charAt(0).toUpperCase() + word.slice(1);
  }

  function foundMessage(picker, count) {
    let category = "other";
    try {
      category = new Intl.PluralRules(document.documentElement.lang || undefined).select(count);
    } catch (error) {
      category = "other";
    }
    const template =
      picker.dataset["pickerFound" + capitalised(category)] || picker.dataset.pickerFound || "";
    return fill(template, { count: count });
  }

  function freeId(base) {
    let id = base;
    while (document.getElementById(id)) {
      lastId += 1;
      id = base + "-" + lastId;
    }
    return id;
  }

  function label(item) {
    const country = item.country && (item.country.name || item.country.code);
    return country ? item.name + " (" + country + ")" : String(item.name);
  }

  function checkbox(name, item) {
    const wrapper = document.createElement("div");
    wrapper.className = "form-check";
    const input = document.createElement("input");
    input.className = "form-check-input";
    input.type = "checkbox";
    input.name = name;
    input.value = String(item.id);
    input.id = freeId(name + "-found-" + String(item.id).replace(/[^\w-]/g, ""));
    const text = document.createElement("label");
    text.className = "form-check-label";
    text.htmlFor = input.id;
    text.textContent = label(item);
    wrapper.append(input, text);
    return wrapper;
  }

  class Picker {
    constructor(root) {
      this.root = root;
      this.query = root.querySelector("[data-picker-query]");
      this.button = root.querySelector("[data-picker-button]");
      this.results = root.querySelector("[data-picker-results]");
      this.name = root.dataset.pickerName;
      this.form = root.closest("form");
      this.timer = null;
      this.request = null;
      this.failed = false;
      this.status = root.querySelector("[data-picker-status]") || this.makeStatus();
      this.status.setAttribute("role", "status");
      this.results.setAttribute("aria-live", "off");
      this.query.addEventListener("input", () => this.typed());
      this.query.addEventListener("keydown", (event) => this.keyed(event));
    }

    makeStatus() {
      const status = document.createElement("p");
      status.className = "form-text mb-2";
      status.setAttribute("data-picker-status", "");
      this.results.before(status);
      return status;
    }

    text() {
      return this.query.value.replace(/\u0000/g, "").slice(0, MAX_QUERY);
    }

    typed() {
      window.clearTimeout(this.timer);
      if (visibleLength(this.text()) < MIN_TYPED) {
        this.abort();
        return;
      }
      this.timer = window.setTimeout(() => this.search(), DELAY_MS);
    }

    keyed(event) {
      // An input method (Korean, Japanese, Chinese) confirms a word with Enter: let it.
      if (event.key !== "Enter" || event.isComposing) {
        return;
      }
      event.preventDefault();
      window.clearTimeout(this.timer);
      if (this.failed) {
        // The API let us down before: the server's search (the button) still works.
        this.button.click();
      } else if (visibleLength(this.text()) > 0) {
        this.search();
      }
    }

    abort() {
      if (this.request) {
        this.request.abort();
        this.request = null;
      }
    }

    address(text) {
      const url = new URL(this.root.dataset.pickerSource, window.location.href);
      url.searchParams.set(this.root.dataset.pickerParam || "search", text.trim());
      url.searchParams.set("limit", String(LIMIT));
      return url.toString();
    }

    async search() {
      const text = this.text();
      this.abort();
      const request = new AbortController();
      this.request = request;
      try {
        const response = await fetch(this.address(text), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: request.signal,
        });
        if (!response.ok) {
          throw new Error("the API answered " + response.status);
        }
        const body = await response.json();
        if (request.signal.aborted) {
          return;
        }
        if (!body || !Array.isArray(body.results)) {
          throw new Error("the API's answer has no results");
        }
        this.failed = false;
        this.show(text, body.results, Number(body.count) || body.results.length);
      } catch (error) {
        if (error.name !== "AbortError" && !request.signal.aborted) {
          this.fail();
        }
      } finally {
        if (this.request === request) {
          this.request = null;
        }
      }
    }

    fail() {
      this.failed = true;
      this.status.textContent = this.root.dataset.pickerError || "";
    }

    ticked() {
      const ticked = new Set();
      const scope = this.form || document;
      scope.querySelectorAll('input[type="checkbox"]:checked').forEach((input) => {
        if (input.name === this.name) {
          ticked.add(input.value);
        }
      });
      return ticked;
    }

    group(text) {
      const legendText = this.root.dataset.pickerLegend;
      if (!legendText) {
        return document.createElement("div");
      }
      const fieldset = document.createElement("fieldset");
      fieldset.className = "mb-3";
      const legend = document.createElement("legend");
      legend.className = "form-label fs-6";
      legend.textContent = fill(legendText, { query: text.trim() });
      fieldset.append(legend);
      return fieldset;
    }

    show(text, items, count) {
      // Matches the user ticked stay, whichever search found them.
      const kept = [];
      this.results.querySelectorAll('input[type="checkbox"]:checked').forEach((input) => {
        const wrapper = input.closest(".form-check");
        kept.push(wrapper && this.results.contains(wrapper) ? wrapper : input);
      });
      const ticked = this.ticked();

      const group = this.group(text);
      kept.forEach((element) => group.append(element));
      items
        .filter((item) => item && item.id !== undefined && item.id !== null)
        .filter((item) => !ticked.has(String(item.id)))
        .forEach((item) => group.append(checkbox(this.name, item)));
      this.results.replaceChildren(group);

      this.announce(items.length, count);
    }

    announce(shown, count) {
      const data = this.root.dataset;
      if (shown === 0) {
        this.status.textContent = data.pickerNone || "";
        return;
      }
      let message = foundMessage(this.root, count);
      if (count > shown && data.pickerMore) {
        message += " " + fill(data.pickerMore, { shown: shown, count: count });
      }
      this.status.textContent = message;
    }
  }

  function enhanceAll() {
    document.querySelectorAll("[data-picker]").forEach((root) => {
      const complete =
        root.dataset.pickerSource &&
        root.dataset.pickerName &&
        root.querySelector("[data-picker-query]") &&
        root.querySelector("[data-picker-button]") &&
        root.querySelector("[data-picker-results]");
      if (complete && typeof window.fetch === "function" && window.AbortController) {
        root.picker = new Picker(root);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhanceAll);
  } else {
    enhanceAll();
  }
})();
