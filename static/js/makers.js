// The running total of the makers' shares, updated as they are typed. The page already
// shows the total the server worked out, and adding or removing a row works without this
// script (those are submit buttons); this only saves a round trip to see the sum.
(function () {
  var total = document.getElementById("makers-total");
  if (!total) return;
  var form = total.closest("form");
  // "62.5" → 6250 basis points, as the server reads a percentage; null if it is not one.
  function bp(text) {
    var t = text.trim();
    if (!/^[0-9]*(\.[0-9]{0,2})?$/.test(t) || t === "" || t === ".") return null;
    var parts = t.split(".");
    return parseInt(parts[0] || "0", 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }
  // 6250 → "62.5%", without floating point.
  function percent(b) {
    var whole = Math.floor(b / 100), frac = b % 100;
    if (frac === 0) return whole + "%";
    if (frac % 10 === 0) return whole + "." + frac / 10 + "%";
    return whole + "." + (frac < 10 ? "0" : "") + frac + "%";
  }
  function update() {
    var sum = 0;
    form.querySelectorAll("input[name=share]").forEach(function (input) {
      var v = bp(input.value);
      if (v !== null) sum += v;
    });
    var state = sum === 10000 ? "ok" : sum > 10000 ? "over" : "short";
    total.textContent = total.getAttribute("data-" + state)
      .replace("{sum}", percent(sum))
      .replace("{left}", percent(Math.max(10000 - sum, 0)));
    total.className = "makers-total " + state;
  }
  form.addEventListener("input", function (e) {
    if (e.target.name === "share") update();
  });
})();
