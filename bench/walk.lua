-- wrk script: every request a URL not asked for before in this run, so that no page cache can
-- answer it. WALK picks what is walked:
--   list     /products over filter combinations, sorts and pages (min_price varies per request)
--   product  /products/{slug} over the slugs in SLUGS (a file, one per line), with ?n= per request
--   search   /search over a few queries, sorts and pages, with &n= per request
--   paths    the paths in PATHS (a file, one per line), in turn: for a peer shop with no page
--            cache, whose own URLs are not ours
-- START offsets the request counter, so that each round of a benchmark walks new URLs.
local walk = os.getenv("WALK") or "list"
local n = tonumber(os.getenv("START") or "0")
local slugs = {}
if walk == "product" or walk == "paths" then
  for line in io.lines(os.getenv(walk == "paths" and "PATHS" or "SLUGS")) do
    if #line > 0 then slugs[#slugs + 1] = line end
  end
end
local provinces = {"", "510000", "520000", "540000", "530000", "620000", "450000", "630000"}
local sorts = {"featured", "newest", "price_asc", "price_desc", "best_selling"}
local queries = {"%E6%BC%86%E5%99%A8", "%E9%93%B6%E9%A5%B0", "%E5%94%90%E5%8D%A1", "%E5%88%BA%E7%BB%A3",
                 "%E8%9C%A1%E6%9F%93", "lacquer", "silver", "embroidery"}
local search_sorts = {"relevance", "price_asc", "price_desc", "newest"}

request = function()
  n = n + 1
  local path
  if walk == "paths" then
    path = slugs[n % #slugs + 1]
  elseif walk == "product" then
    path = string.format("/products/%s?n=%d", slugs[n % #slugs + 1], n)
  elseif walk == "search" then
    path = string.format("/search?q=%s&sort=%s&page=%d&n=%d", queries[n % #queries + 1],
      search_sorts[math.floor(n / #queries) % #search_sorts + 1], math.floor(n / 32) % 3 + 1, n)
  else
    path = string.format("/products?province=%s&sort=%s&page=%d&min_price=%d.%02d", provinces[n % #provinces + 1],
      sorts[math.floor(n / #provinces) % #sorts + 1], math.floor(n / 40) % 3 + 1, math.floor(n / 100) % 50, n % 100)
  end
  return wrk.format("GET", path)
end
