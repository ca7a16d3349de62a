-- wrk script: lua/zipf.lua's traffic, plus responses counted per time slice (a throughput timeline).
-- Usage: wrk ... -s timeline.lua URL -- CODES_FILE UNKNOWN_FILE ZIPF_S UNKNOWN_FRACTION ORIGIN_S SLICE_S
-- ORIGIN_S is a Unix time (seconds, fractional): slice i counts the responses that arrived in
-- [ORIGIN_S + i * SLICE_S, ORIGIN_S + (i + 1) * SLICE_S). done() prints one line prefixed
-- "BENCH_TIMELINE " with the slice counts ([index, responses] pairs) and, as "first_request", when
-- the first request went out (seconds after ORIGIN_S; wrk reads the code list before it sends).

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "zipf.lua")

local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long tv_sec; long tv_nsec; } hop_timespec;
  int clock_gettime(int clock_id, hop_timespec *tp);
]])
local CLOCK_REALTIME = 0
local now_ts = ffi.new("hop_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_REALTIME, now_ts)
  return tonumber(now_ts.tv_sec) + tonumber(now_ts.tv_nsec) * 1e-9
end

local zipf_setup, zipf_init, zipf_request, zipf_response, zipf_done = setup, init, request, response, done
local timeline_threads = {}
local origin, slice = 0, 1
slices = {}
first_request = -1

function setup(thread)
  zipf_setup(thread)
  table.insert(timeline_threads, thread)
end

function init(args)
  zipf_init(args)
  origin = tonumber(args[5])
  slice = tonumber(args[6])
end

function request()
  if first_request < 0 then first_request = now() - origin end
  return zipf_request()
end

function response(status, headers, body)
  zipf_response(status, headers, body)
  local index = math.floor((now() - origin) / slice)
  slices[index] = (slices[index] or 0) + 1
end

function done(summary, latency, requests)
  zipf_done(summary, latency, requests)
  local counts, first, last = {}, -1, -1
  local started = -1
  for _, thread in ipairs(timeline_threads) do
    for index, count in pairs(thread:get("slices")) do
      counts[index] = (counts[index] or 0) + count
      if last < index then last = index end
      if first < 0 or index < first then first = index end
    end
    local t = thread:get("first_request")
    if t >= 0 and (started < 0 or t < started) then started = t end
  end
  local parts = {}
  if first >= 0 then
    for index = first, last do parts[#parts + 1] = string.format("[%d, %d]", index, counts[index] or 0) end
  end
  io.write(string.format('BENCH_TIMELINE {"first_request": %.4f, "slices": [%s]}\n',
    started, table.concat(parts, ", ")))
end
