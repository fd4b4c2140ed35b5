-- wrk cannot compute an HMAC, so every thread cycles through signed bodies written beforehand
-- (`webhook_load --write-bodies`): one file per thread, one "signature<TAB>body" per line, each
-- body one follow event with its own webhookEventId. Use as many bodies as the run can send, or
-- the ids repeat (still answered 200, stored once).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local dir = args[1] or "bench/out/bodies"
  requests = {}
  for line in io.lines(dir .. "/thread-" .. id .. ".txt") do
    local tab = line:find("\t", 1, true)
    local sig, body = line:sub(1, tab - 1), line:sub(tab + 1)
    requests[#requests + 1] = wrk.format("POST", "/line/webhook",
      { ["Content-Type"] = "application/json", ["X-Line-Signature"] = sig }, body)
  end
  n = 0
  non200 = 0
end

function request()
  n = n + 1
  return requests[(n - 1) % #requests + 1]
end

function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d non200=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status,
    bad))
end
