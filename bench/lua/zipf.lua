-- wrk script: GET /{code} with codes drawn from a Zipf distribution, plus a share of unknown codes.
-- Usage: wrk ... -s zipf.lua URL -- CODES_FILE UNKNOWN_FILE ZIPF_S UNKNOWN_FRACTION
-- CODES_FILE lists one code per line, most popular first. Every thread counts response statuses;
-- done() prints one JSON line prefixed "BENCH_JSON " that bench/loadgen.py reads.

local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if #line > 0 then lines[#lines + 1] = line end
  end
  return lines
end

local paths = {}
local cumulative = {}
local unknown_paths = {}
local unknown_fraction = 0.01
local n = 0
statuses = {}

function init(args)
  local codes = read_lines(args[1])
  local unknown = read_lines(args[2])
  local s = tonumber(args[3])
  unknown_fraction = tonumber(args[4])
  n = #codes
  local total = 0
  for rank = 1, n do
    total = total + 1 / rank ^ s
    cumulative[rank] = total
    paths[rank] = "/" .. codes[rank]
  end
  for rank = 1, n do cumulative[rank] = cumulative[rank] / total end
  for i = 1, #unknown do unknown_paths[i] = "/" .. unknown[i] end
  math.randomseed(os.time() * 1000 + id)
  -- Real browsers send a user agent and often a referrer; the edge records both with each click.
  wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench/wrk"
  wrk.headers["Referer"] = "https://news.example.org/"
end

local function draw()
  local u = math.random()
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cumulative[mid] < u then lo = mid + 1 else hi = mid end
  end
  return paths[lo]
end

function request()
  if math.random() < unknown_fraction then
    return wrk.format("GET", unknown_paths[math.random(#unknown_paths)])
  end
  return wrk.format("GET", draw())
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local thread_statuses = thread:get("statuses")
    for status, count in pairs(thread_statuses) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    parts[#parts + 1] = string.format('"%d": %d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d}, "latency_us": {"p50": %d, "p90": %d, "p99": %d, "p999": %d, '
      .. '"max": %d, "mean": %.1f}, "statuses": {%s}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, table.concat(parts, ", ")))
end
