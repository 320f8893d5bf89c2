// Idle logoff on staff pages: a minute before the quiet time runs out, a notice with a
// "stay signed in" button; when it has run out, the page goes to sign-in (the server signs the
// person out at that request and says why). Each request to the server restarts the count.
(function () {
  "use strict";
  var body = document.body;
  var minutes = Number(body.getAttribute("data-idle-minutes"));
  if (!minutes) { return; }
  var signIn = body.getAttribute("data-idle-sign-in");
  var stillHere = body.getAttribute("data-idle-still-here");
  // The server notes activity at most every data-idle-noted seconds (core/idle.py's
  // REWRITE_AFTER_SECONDS) and so signs out only once the quiet time has passed since that long
  // after its last note: the page leaves that much later, or the server would still count the
  // person here and the visit to sign-in would itself be noted as activity, over and over.
  var noted = Number(body.getAttribute("data-idle-noted") || 30) * 1000;
  var quiet = minutes * 60 * 1000;
  var warnBefore = Math.min(60 * 1000, quiet / 2);
  var timers = [];
  var notice = null;

  function csrfToken() {
    var found = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (found) { return found.value; }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function hideNotice() {
    if (notice) { notice.remove(); notice = null; }
  }

  function warn() {
    hideNotice();
    notice = document.createElement("div");
    notice.className = "banner warning idle-warning";
    notice.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = "You will be signed out in a minute without activity, to keep patients' records private. ";
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Stay signed in";
    button.addEventListener("click", function () {
      fetch(stillHere, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": csrfToken() }
      }).then(function (response) {
        if (response.ok) { restart(); } else { window.location.assign(signIn); }
      });
    });
    text.appendChild(button);
    notice.appendChild(text);
    var main = document.getElementById("main") || body;
    main.insertBefore(notice, main.firstChild);
  }

  function signOut() {
    window.location.assign(signIn + "?next=" + encodeURIComponent(window.location.pathname + window.location.search));
  }

  function restart() {
    hideNotice();
    timers.forEach(clearTimeout);
    // The server counts from its last request; a few seconds' margin so the page never leaves first.
    var leave = quiet + noted + 5000;
    timers = [setTimeout(warn, leave - 5000 - warnBefore), setTimeout(signOut, leave)];
  }

  document.addEventListener("htmx:afterRequest", restart);
  restart();
})();
