(function () {
  "use strict";
  // The web page: collects one article, asks the public API for its report, and shows it in a
  // sandboxed frame (scripts run there, but in an opaque origin that cannot touch this page).
  var form = document.getElementById("analyse-form");
  var button = document.getElementById("analyse");
  var status = document.getElementById("status");
  var frame = document.getElementById("report");
  var result = document.getElementById("result");
  var download = document.getElementById("download");
  var field = function (id) { return document.getElementById(id).value.trim(); };

  function say(message, isError) {
    status.textContent = message;
    status.className = isError ? "error" : "";
  }

  async function requestBody() {
    var body = {};
    var file = document.getElementById("file").files[0];
    if (field("url")) {
      body.url = field("url");
    } else if (file) {
      var content = await file.text();
      if (/\.x?html?$/i.test(file.name)) { body.html = content; } else { body.text = content; }
      body.id = file.name;
    } else if (document.getElementById("text").value.trim()) {
      body.text = document.getElementById("text").value;
    } else {
      return null;
    }
    if (field("title")) { body.title = field("title"); }
    if (field("source")) { body.source = field("source"); }
    return body;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var body = await requestBody();
    if (!body) { say("Paste a text, choose a file or give a URL first.", true); return; }
    button.disabled = true;
    say("Analysing…", false);
    try {
      var response = await fetch("/api/v1/report", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body)
      });
      if (!response.ok) {
        var problem = await response.json().catch(function () { return null; });
        say(problem && problem.error ? problem.error.message : "The server answered " + response.status + ".", true);
        return;
      }
      var html = await response.text();
      frame.srcdoc = html;
      result.hidden = false;
      if (download.href) { URL.revokeObjectURL(download.href); }
      download.href = URL.createObjectURL(new Blob([html], { type: "text/html" }));
      download.hidden = false;
      say("Done. Hover or focus a highlighted passage to see why it was flagged.", false);
    } catch (error) {
      say("Could not reach the server: " + error.message, true);
    } finally {
      button.disabled = false;
    }
  });
})();
