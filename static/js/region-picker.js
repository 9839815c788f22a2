// Cascading province → prefecture → county selects over the county-code field of the
// checkout form. Without JavaScript the form still works: the buyer types the 6-digit code.
(function () {
  var province = document.getElementById("province");
  var prefecture = document.getElementById("prefecture");
  var county = document.getElementById("county");
  var country = document.getElementById("country");
  if (!province || !prefecture || !county) return;
  var base = province.getAttribute("data-regions") || "/api/v1/regions/";
  var picker = document.createElement("select");
  picker.id = county.id;
  picker.name = county.name;
  picker.disabled = true;
  county.replaceWith(picker);

  function fill(select, regions) {
    select.innerHTML = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = "—";
    select.appendChild(blank);
    regions.forEach(function (r) {
      var o = document.createElement("option");
      o.value = r.code;
      o.textContent = r.name_zh + " " + r.name_pinyin;
      select.appendChild(o);
    });
    select.disabled = regions.length === 0;
  }

  function children(code, then) {
    fetch(base + code, { headers: { Accept: "application/json" } })
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
