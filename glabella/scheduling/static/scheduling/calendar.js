/* The staff calendar: drag a visit to another time (progressive enhancement).
   A visit that may move carries data-move-url; every quarter hour of the grid carries its start
   and provider. Dropping opens the visit's Move page with the new time filled in, to confirm;
   without this script (or on a touch screen) the Move button does the same. */
(function () {
  "use strict";
  function setUp(root) {
    var grid = root.querySelector(".tgrid");
    if (!grid || grid.dataset.dragReady) return;
    grid.dataset.dragReady = "1";
    var dragged = null;
    grid.querySelectorAll(".tg-block[data-move-url]").forEach(function (block) {
      block.setAttribute("draggable", "true");
      block.addEventListener("dragstart", function (event) {
        dragged = block;
        block.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", block.dataset.visit);
      });
      block.addEventListener("dragend", function () {
        block.classList.remove("dragging");
        dragged = null;
      });
    });
    function cellAt(target) {
      return target && target.closest ? target.closest(".tg-cell") : null;
    }
    grid.addEventListener("dragover", function (event) {
      var cell = cellAt(event.target);
      if (!dragged || !cell) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      grid.querySelectorAll(".drop-here").forEach(function (c) { c.classList.remove("drop-here"); });
      cell.classList.add("drop-here");
    });
    grid.addEventListener("dragleave", function (event) {
      var cell = cellAt(event.target);
      if (cell) cell.classList.remove("drop-here");
    });
    grid.addEventListener("drop", function (event) {
      var cell = cellAt(event.target);
      if (!dragged || !cell) return;
      event.preventDefault();
      var url = new URL(dragged.dataset.moveUrl, window.location.href);
      url.searchParams.set("start", cell.dataset.start);
      url.searchParams.set("provider", cell.dataset.provider);
      window.location.assign(url.toString());
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:afterSwap", function (event) { setUp(event.target); });
})();
