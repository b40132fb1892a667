(function () {
  "use strict";
  // Interactions of the propscope report: tooltips, the technique filter and the score slider.
  // Everything taken from the page is written with textContent, never as HTML.
  var info = JSON.parse(document.getElementById("ps-techniques").textContent);
  var marks = Array.prototype.slice.call(document.querySelectorAll(".ps-mark"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-span-row]"));
  var buttons = Array.prototype.slice.call(document.querySelectorAll(".ps-legend-item"));
  var slider = document.getElementById("ps-threshold");
  var shown = document.getElementById("ps-threshold-value");
  var tip = document.getElementById("ps-tip");
  var off = {};

  function visible(element) {
    return !off[element.dataset.technique] && parseFloat(element.dataset.score) >= parseFloat(slider.value);
  }

  function apply() {
    marks.forEach(function (mark) {
      var on = visible(mark);
      mark.classList.toggle("ps-hidden", !on);
      if (mark.hasAttribute("tabindex")) { mark.tabIndex = on ? 0 : -1; }
    });
    var counts = {};
    rows.forEach(function (row) {
      var on = visible(row);
      row.hidden = !on;
      if (parseFloat(row.dataset.score) >= parseFloat(slider.value)) {
        counts[row.dataset.technique] = (counts[row.dataset.technique] || 0) + 1;
      }
    });
    buttons.forEach(function (button) {
      var name = button.dataset.technique;
      button.setAttribute("aria-pressed", off[name] ? "false" : "true");
      button.querySelector(".ps-count").textContent = String(counts[name] || 0);
    });
    shown.textContent = Number(slider.value).toFixed(2);
  }

  function spansAt(mark) {
    var seen = {}, found = [];
    for (var node = mark; node; node = node.parentElement ? node.parentElement.closest(".ps-mark") : null) {
      if (!node.classList.contains("ps-hidden") && !seen[node.dataset.span]) {
        seen[node.dataset.span] = true;
        found.push(node);
      }
    }
    return found;
  }

  function showTip(mark) {
    var items = spansAt(mark);
    if (!items.length) { hideTip(); return; }
    tip.textContent = "";
    items.forEach(function (node) {
      var about = info[node.dataset.technique] || { title: node.dataset.technique, definition: "" };
      var item = document.createElement("div");
      item.className = "ps-tip-item";
      var title = document.createElement("div");
      title.className = "ps-tip-title";
      title.textContent = about.title;
      var score = document.createElement("span");
      score.className = "ps-tip-score";
      score.textContent = " score " + parseFloat(node.dataset.score).toFixed(2);
      title.appendChild(score);
      var definition = document.createElement("p");
      definition.textContent = about.definition;
      item.appendChild(title);
      item.appendChild(definition);
      tip.appendChild(item);
    });
    tip.hidden = false;
    var box = mark.getBoundingClientRect();
    var left = Math.max(4, Math.min(box.left, document.documentElement.clientWidth - tip.offsetWidth - 4));
    tip.style.left = (left + window.scrollX) + "px";
    tip.style.top = (box.bottom + window.scrollY + 6) + "px";
    mark.setAttribute("aria-describedby", "ps-tip");
  }

  function hideTip() {
    tip.hidden = true;
    marks.forEach(function (mark) { mark.removeAttribute("aria-describedby"); });
  }

  document.addEventListener("mouseover", function (event) {
    var mark = event.target.closest && event.target.closest(".ps-mark");
    if (mark) { showTip(mark); } else if (!tip.contains(event.target)) { hideTip(); }
  });
  document.addEventListener("focusin", function (event) {
    var mark = event.target.closest && event.target.closest(".ps-mark");
    if (mark) { showTip(mark); } else { hideTip(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hideTip(); }
  });
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      off[button.dataset.technique] = !off[button.dataset.technique];
      apply();
    });
  });
  slider.addEventListener("input", apply);

  // The article index sorts by any column: click once for ascending, again for descending.
  Array.prototype.slice.call(document.querySelectorAll(".ps-sort")).forEach(function (button) {
    button.addEventListener("click", function () {
      var header = button.parentElement;
      var column = Array.prototype.indexOf.call(header.parentElement.children, header);
      var body = header.closest("table").tBodies[0];
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      var numeric = button.dataset.kind === "number";
      var value = function (row) {
        var text = row.children[column].dataset.value || "";
        return numeric ? parseFloat(text) || 0 : text.toLowerCase();
      };
      var ordered = Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = value(a), y = value(b);
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      ordered.forEach(function (row) { body.appendChild(row); });
      Array.prototype.slice.call(header.parentElement.children).forEach(function (cell) {
        cell.setAttribute("aria-sort", "none");
      });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    });
  });

  // A passage link shows its highlight even when the filters had hidden it.
  Array.prototype.slice.call(document.querySelectorAll(".ps-passage a")).forEach(function (link) {
    link.addEventListener("click", function () {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target) { target.classList.remove("ps-hidden"); target.focus(); }
    });
  });
  apply();
})();
