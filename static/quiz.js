// Autosave for the quiz page: every change is sent to the server at once; when the network
// drops, the answer is kept and retried until it is saved. The countdown follows the
// server's deadline. The page works without this script too (answers go with "submit").
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  if (!form) { return; }
  var attempt = form.dataset.attempt;
  // The API takes the page's session only with the session's CSRF token.
  var csrf = form.querySelector("input[name=csrf]").value;
  var pending = {};

  function answerOf(fs) {
    var kind = fs.dataset.kind;
    var inputs = fs.querySelectorAll("input, select");
    if (kind === "single") {
      var c = fs.querySelector("input:checked");
      return c ? c.value : undefined;
    }
    if (kind === "multiple") {
      return Array.prototype.map.call(fs.querySelectorAll("input:checked"), function (i) { return i.value; });
    }
    if (kind === "true_false") {
      var t = fs.querySelector("input:checked");
      return t ? t.value === "true" : undefined;
    }
    if (kind === "short_text" || kind === "numeric") {
      var v = inputs[0].value.trim();
      return v === "" ? undefined : v;
    }
    if (kind === "essay") {
      return fs.querySelector("textarea").value;
    }
    if (kind === "matching") {
      var m = {};
      Array.prototype.forEach.call(fs.querySelectorAll("select"), function (s) { if (s.value) { m[s.dataset.left] = s.value; } });
      return m;
    }
    return undefined;
  }

  function say(fs, text, cls) {
    var p = fs.querySelector(".save-state");
    p.textContent = text;
    p.className = "save-state " + (cls || "");
  }

  function save(fs, delay) {
    var qid = fs.dataset.qid;
    var answer = answerOf(fs);
    if (answer === undefined) { return; }
    pending[qid] = answer;
    say(fs, form.dataset.saving, "saving");
    fetch("/api/v1/attempts/" + attempt + "/answers/" + encodeURIComponent(qid), {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ answer: answer })
    }).then(function (r) {
      if (r.ok) {
        if (pending[qid] === answer) { delete pending[qid]; }
        say(fs, "✓ " + form.dataset.saved, "saved");
      } else if (r.status === 409) {
        say(fs, form.dataset.timeup, "error");
      } else {
        return r.json().then(function (b) { say(fs, b.error ? b.error.message : r.status, "error"); });
      }
    }).catch(function () {
      var next = Math.min((delay || 1000) * 2, 15000);
      say(fs, form.dataset.offline, "offline");
      setTimeout(function () { if (pending[qid] !== undefined) { save(fs, next); } }, delay || 1000);
    });
  }

  // Words as the markers count them: words between spaces, and Thai (written without
  // spaces) as one word per six characters.
  function words(text) {
    var n = 0;
    text.split(/\s+/).forEach(function (token) {
      if (!token) { return; }
      var thai = (token.match(/[\u0E00-\u0E7F]/g) || []).length;
      var other = token.replace(/[\u0E00-\u0E7F]/g, " ").split(" ").filter(function (p) { return /[0-9A-Za-z\u00C0-\u024F]/.test(p); }).length;
      n += Math.ceil(thai / 6) + (other > 0 ? 1 : 0);
    });
    return n;
  }

  Array.prototype.forEach.call(form.querySelectorAll("fieldset.question"), function (fs) {
    fs.addEventListener("change", function () { save(fs); });
    var area = fs.querySelector("textarea");
    if (area) {
      // Writing is saved a moment after the trainee pauses, not only when they leave the box.
      var timer = null;
      var count = fs.querySelector(".word-count");
      area.addEventListener("input", function () {
        var n = words(area.value), limit = parseInt(area.dataset.limit, 10);
        count.textContent = count.dataset.label + ": " + n + " / " + limit + (n > limit ? " — " + count.dataset.over : "");
        count.className = "word-count " + (n > limit ? "error" : "muted");
        clearTimeout(timer);
        timer = setTimeout(function () { save(fs); }, 1500);
      });
    }
  });
  window.addEventListener("online", function () {
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.question"), function (fs) {
      if (pending[fs.dataset.qid] !== undefined) { save(fs); }
    });
  });

  var cd = document.getElementById("countdown");
  var deadline = Date.parse(cd.dataset.deadline);
  function tick() {
    var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    cd.textContent = (h > 0 ? h + ":" : "") + (m < 10 && h > 0 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    if (left === 0) { form.submit(); return; }
    setTimeout(tick, 1000);
  }
  if (!isNaN(deadline)) { tick(); }
})();
