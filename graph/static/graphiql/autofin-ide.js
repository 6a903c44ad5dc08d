/*
 * autofin GraphiQL bootstrap: mounts the vendored GraphiQL into #graphiql.
 *
 * Plain ES2017, no build step. Loaded as an external script (never inline) so
 * the IDE page works under a Content-Security-Policy of `script-src 'self'`.
 * Expects the globals React, ReactDOM and GraphiQL from the vendored bundles.
 *
 * Configuration comes from attributes on the root element:
 *   data-endpoint       URL the fetcher POSTs GraphQL requests to (required)
 *   data-csrf-cookie    name of the cookie whose value is sent as X-CSRF-Token
 *   data-default-query  text shown in the query editor when nothing is saved
 */
(function () {
  "use strict";

  function readCookie(name) {
    if (!name || !document.cookie) {
      return null;
    }
    var parts = document.cookie.split(";");
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      var eq = part.indexOf("=");
      if (eq < 0) {
        continue;
      }
      if (part.slice(0, eq) === name) {
        var raw = part.slice(eq + 1);
        try {
          return decodeURIComponent(raw);
        } catch (e) {
          return raw;
        }
      }
    }
    return null;
  }

  function makeFetcher(endpoint, csrfCookie) {
    return async function fetcher(graphQLParams, opts) {
      // Headers typed into GraphiQL's headers editor first, ours last so a
      // user cannot accidentally drop the JSON content type or CSRF token.
      // (Headers.set is case-insensitive, so no duplicate content-type.)
      var headers = new Headers((opts && opts.headers) || {});
      headers.set("Accept", "application/graphql-response+json, application/json");
      headers.set("Content-Type", "application/json");
      var token = readCookie(csrfCookie);
      if (token !== null) {
        headers.set("X-CSRF-Token", token);
      }
      var response = await fetch(endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: headers,
        body: JSON.stringify(graphQLParams),
      });
      var text = await response.text();
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new Error(
          "HTTP " + response.status + " " + response.statusText + ": " + text.slice(0, 1000)
        );
      }
    };
  }

  function mount() {
    var root = document.getElementById("graphiql");
    if (!root) {
      throw new Error("autofin-ide: no #graphiql element on the page");
    }
    var endpoint = root.getAttribute("data-endpoint");
    if (!endpoint) {
      throw new Error("autofin-ide: #graphiql has no data-endpoint attribute");
    }
    var props = {
      fetcher: makeFetcher(endpoint, root.getAttribute("data-csrf-cookie")),
    };
    if (root.hasAttribute("data-default-query")) {
      props.defaultQuery = root.getAttribute("data-default-query");
    }
    ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
