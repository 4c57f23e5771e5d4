// The staff console's queue refreshes itself when intake's read model moves: the server sends a 'changed' event
// (server-sent events), and htmx fetches the rows again under the same filters. If the stream is refused (the
// session ended), one more refresh lets the server send the browser to the sign-in page.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue || !window.EventSource) {
    return;
  }
  var source = new EventSource(queue.getAttribute("data-events"));
  var refresh = function () { htmx.trigger(document.body, "queue-changed"); };
  source.addEventListener("changed", refresh);
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      refresh();
    }
  });
})();
