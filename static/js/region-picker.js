// Cascading province → prefecture → county selects over the county-code field of the
// checkout form. Without JavaScript the form still works: the buyer types the 6-digit code.
// /api/v1/regions/{code} answers {children: [{region: {code, name_zh, name_pinyin}, ...}]}.
// A county code already in the field (a form re-rendered after a mistake) is selected again.
(function () {
  var province = document.getElementById("province");
  var prefecture = document.getElementById("prefecture");
  var county = document.getElementById("county");
  var country = document.getElementById("country");
  if (!province || !prefecture || !county) return;
  var base = province.getAttribute("data-regions") || "/api/v1/regions/";
  var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
  var kept = /^[0-9]{6}$/.test(county.value) ? county.value : "";
  var picker = document.createElement("select");
  picker.id = county.id;
  picker.name = county.name;
  picker.disabled = true;
  // The field's message (after a refused order) stays tied to it.
  ["aria-invalid", "aria-describedby"].forEach(function (a) {
    if (county.hasAttribute(a)) picker.setAttribute(a, county.getAttribute(a));
  });
  county.replaceWith(picker);

  function fill(select, regions) {
    select.innerHTML = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = "—";
    select.appendChild(blank);
    regions.forEach(function (child) {
      var r = child.region || child;
      var o = document.createElement("option");
      o.value = r.code;
      o.textContent = zh ? r.name_zh : r.name_pinyin + " · " + r.name_zh;
      select.appendChild(o);
    });
    select.disabled = regions.length === 0;
  }

  function children(code, then) {
    // One product per page: the picker needs only the region's children.
    fetch(base + code + "?per_page=1", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { children: [] }; })
      .then(function (body) { then(body.children || []); })
      .catch(function () { then([]); });
  }

  province.addEventListener("change", function () {
    fill(prefecture, []);
    fill(picker, []);
    if (province.value) children(province.value, function (list) { fill(prefecture, list); });
  });
  prefecture.addEventListener("change", function () {
    fill(picker, []);
    if (prefecture.value) children(prefecture.value, function (list) { fill(picker, list); });
  });
  if (kept) {
    // Re-select the kept county: its province and prefecture are its code's prefixes.
    var prov = kept.slice(0, 2) + "0000";
    var pref = kept.slice(0, 4) + "00";
    province.value = prov;
    if (province.value === prov) {
      children(prov, function (list) {
        fill(prefecture, list);
        prefecture.value = pref;
        children(prefecture.value || pref, function (counties) {
          // Municipalities' counties hang straight off the province.
          fill(picker, counties.length ? counties : list);
          picker.value = kept;
        });
      });
    }
  }
  var cn = document.getElementById("region-cn");
  var intl = document.getElementById("region-intl");
  if (country) {
    // Show the fields of the chosen country only: counties for China, a region elsewhere.
    var sync = function () {
      var china = country.value === "CN";
      picker.required = china;
      if (cn) cn.hidden = !china;
      if (intl) intl.hidden = china;
    };
    country.addEventListener("change", sync);
    sync();
  }
})();
