// The face chart on a draft treatment record: a tap or click adds a point where it lands (in the
// area chosen above the chart, with that area's label dose per site), and the totals follow the
// rows as they change. Without this script the rows, and "Add the pattern", do the same work.
(function () {
  "use strict";
  var svg = document.getElementById("face-chart");
  var rows = document.getElementById("point-rows");
  var picker = document.getElementById("tap-area");
  var totals = document.getElementById("totals");
  if (!svg || !rows || !picker || !svg.dataset.editable) return;
  document.getElementById("tap-area-field").hidden = false;
  var total = document.getElementById("id_p-TOTAL_FORMS");
  var labelMax = JSON.parse(totals.dataset.labelMax || "{}");
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
    recount();
  });
  function labelArea(area) {
    return area.indexOf("lateral_canthal") === 0 ? "lateral_canthal" : area;
  }
  function recount() {
    var sums = {};
    var session = 0;
    rows.querySelectorAll("tr.point-row").forEach(function (row) {
      var f = fieldsOf(row);
      var units = parseFloat(f.units.value);
      if (!f.area.value || !(units > 0) || (f.remove && f.remove.checked)) return;
      var key = labelArea(f.area.value);
      sums[key] = (sums[key] || 0) + units;
      session += units;
    });
    totals.textContent = "";
    Object.keys(sums).forEach(function (key) {
      var dt = document.createElement("dt");
      dt.textContent = key;
      var dd = document.createElement("dd");
      var max = labelMax[key];
      dd.textContent = sums[key] + " U" + (max ? " of " + max + " U on the label" : "");
      if (max && sums[key] > parseFloat(max)) dd.className = "error";
      totals.appendChild(dt);
      totals.appendChild(dd);
    });
    var dt = document.createElement("dt");
    dt.textContent = "Session";
    var dd = document.createElement("dd");
    dd.innerHTML = "<strong></strong>";
    dd.firstChild.textContent = session + " U";
    totals.appendChild(dt);
    totals.appendChild(dd);
  }
  rows.addEventListener("input", recount);
  rows.addEventListener("change", recount);
})();
