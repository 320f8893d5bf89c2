// The signature pad on consent pages: strokes drawn with a finger, pen or mouse are kept as
// points (0-1000, both axes scaled by the pad's width so the shape keeps its proportions) in the
// hidden "strokes" field. Without this script, or by keyboard, the patient signs with their typed
// name instead (the checkbox below the pad).
(function () {
  "use strict";
  var field = document.getElementById("signature-field");
  var canvas = document.getElementById("signature-pad");
  var output = document.getElementById("id_strokes");
  var adopt = document.getElementById("id_adopt_typed");
  if (!field || !canvas || !output) return;
  field.hidden = false;
  var strokes = [];
  try { strokes = JSON.parse(output.value || "[]"); } catch (e) { strokes = []; }
  var current = null;
  var ctx = canvas.getContext("2d");

  function size() {
    var ratio = window.devicePixelRatio || 1;
    canvas.width = canvas.clientWidth * ratio;
    canvas.height = canvas.clientHeight * ratio;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    redraw();
  }
  function point(event) {
    var box = canvas.getBoundingClientRect();
    var scale = 1000 / box.width;
    var x = Math.min(1000, Math.max(0, (event.clientX - box.left) * scale));
    var y = Math.min(1000, Math.max(0, (event.clientY - box.top) * scale));
    return [Math.round(x), Math.round(y)];
  }
  function redraw() {
    var width = canvas.clientWidth;
    ctx.clearRect(0, 0, width, canvas.clientHeight);
    ctx.lineWidth = 2.2;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#16324f";
    strokes.forEach(function (stroke) {
      ctx.beginPath();
      stroke.forEach(function (p, i) {
        var x = (p[0] * width) / 1000, y = (p[1] * width) / 1000;
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      if (stroke.length === 1) ctx.lineTo((stroke[0][0] * width) / 1000 + 0.5, (stroke[0][1] * width) / 1000);
      ctx.stroke();
    });
  }
  function save() {
    output.value = strokes.length ? JSON.stringify(strokes) : "";
    if (strokes.length && adopt) adopt.checked = false;
  }
  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    strokes.push(current);
    redraw();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!current) return;
    var p = point(event);
    var last = current[current.length - 1];
    if (p[0] !== last[0] || p[1] !== last[1]) current.push(p);
    redraw();
  });
  function end() {
    if (!current) return;
    current = null;
    save();
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  document.getElementById("signature-clear").addEventListener("click", function () {
    strokes = [];
    save();
    redraw();
  });
  if (adopt) {
    adopt.addEventListener("change", function () {
      if (adopt.checked) { strokes = []; save(); redraw(); }
    });
  }
  window.addEventListener("resize", size);
  size();
})();
