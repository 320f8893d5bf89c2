// The face chart on a draft treatment record: a tap or click adds a point where it lands (in the
// area chosen above the chart, with that area's label dose per site). The dose guard's panel
// (totals included) is the server's: HTMX posts the rows on every change and swaps the panel in,
// so what it shows is the verdict the API and signing give. Without this script the rows, and
// "Add the pattern", do the same work, and the panel follows each save.
(function () {
  "use strict";
  var svg = document.getElementById("face-chart");
  var rows = document.getElementById("point-rows");
  var picker = document.getElementById("tap-area");
  if (!svg || !rows || !picker || !svg.dataset.editable) return;
  document.getElementById("tap-area-field").hidden = false;
  var total = document.getElementById("id_p-TOTAL_FORMS");
  var NS = "http://www.w3.org/2000/svg";
  var box = svg.viewBox.baseVal;

  function fieldsOf(row) {
    return {
      area: row.querySelector("select[name$='-area']"),
      units: row.querySelector("input[name$='-units']"),
      x: row.querySelector("input[name$='-x']"),
      y: row.querySelector("input[name$='-y']"),
      remove: row.querySelector("input[name$='-remove']")
    };
  }
  function blankRow() {
    var all = rows.querySelectorAll("tr.point-row");
    for (var i = 0; i < all.length; i++) {
      var f = fieldsOf(all[i]);
      if (!f.area.value && !f.units.value) return all[i];
    }
    // No empty row left: copy the last one as a new form of the set.
    var last = all[all.length - 1];
    var index = parseInt(total.value, 10);
    var copy = last.cloneNode(true);
    copy.querySelectorAll("[name], [id], [for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(/p-\d+-/, "p-" + index + "-"));
      });
      if (el.tagName === "INPUT" && el.type !== "checkbox") el.value = "";
      if (el.tagName === "INPUT" && el.type === "checkbox") el.checked = false;
      if (el.tagName === "SELECT") el.value = "";
    });
    copy.querySelector("td").firstChild.textContent = String(index + 1);
    rows.appendChild(copy);
    total.value = String(index + 1);
    return copy;
  }
  function mark(x, y) {
    var dot = document.createElementNS(NS, "circle");
    dot.setAttribute("cx", (x * box.width).toFixed(2));
    dot.setAttribute("cy", (y * box.height).toFixed(2));
    dot.setAttribute("r", "4");
    dot.setAttribute("class", "point new");
    document.getElementById("chart-points").appendChild(dot);
  }
  svg.addEventListener("click", function (event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var at = point.matrixTransform(svg.getScreenCTM().inverse());
    var x = Math.min(1, Math.max(0, at.x / box.width));
    var y = Math.min(1, Math.max(0, at.y / box.height));
    var f = fieldsOf(blankRow());
    f.area.value = picker.value;
    f.units.value = picker.selectedOptions[0].dataset.units || "";
    f.x.value = x.toFixed(4);
    f.y.value = y.toFixed(4);
    mark(x, y);
    changed();
  });
  // A point added by a tap changes no field by typing: say so, and the panel asks again.
  function changed() {
    svg.dispatchEvent(new CustomEvent("chart-changed", { bubbles: true }));
  }
  // The panel answers 422 when a row cannot be read yet; it is still the panel to show.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id === "verdict" && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // Signing locks what is saved: while the screen holds unsaved points, it waits for a save.
  var sign = document.getElementById("sign-button");
  if (window.htmx && sign) {
    window.htmx.onLoad(function (added) {
      if (added.id !== "verdict") return;
      sign.disabled = !!added.dataset.unsaved || !added.dataset.level;
    });
  }
})();
