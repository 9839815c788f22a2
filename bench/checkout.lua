-- wrk script for bench/checkout.sh: each request is a new checkout of one piece of PRODUCT
-- (and a unique idempotency key), as the buyer's bearer TOKEN.
local product = os.getenv("PRODUCT")
local token = os.getenv("TOKEN")
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  prefix = string.format("bench-%d-%d-%d", os.time(), math.random(1, 1000000000), tid or 0)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"items":[{"product_id":%s,"quantity":1}],"recipient":"阿依","phone":"13800138000","county_code":"513432","line":"光明镇 1 号","idempotency_key":"%s-%d"}',
    product, prefix, counter)
  return wrk.format("POST", "/api/v1/checkout", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
