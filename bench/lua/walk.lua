-- wrk script: GET /{code} for every code of CODES_FILE once, in order, then the thread stops.
-- Usage: wrk -t1 ... -s walk.lua URL -- CODES_FILE
-- Prints "BENCH_WALKED" (flushed) once the last code has been asked for.
-- Every request asks for a code the edge has not seen yet: its local cache fills up to
-- HOP_CACHE_MAX_ENTRIES and then evicts (bench/memory.py watches its RSS meanwhile). One thread
-- only: a thread walks the whole list. Statuses are counted and done() prints the "BENCH_JSON "
-- line of lua/zipf.lua, whose setup(), response() and done() this script reuses.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "zipf.lua")

local walk = {}
local next_index = 1

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then walk[#walk + 1] = "/" .. line end
  end
  -- As zipf.lua: browsers send a user agent and often a referrer, and the edge records both.
  wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench/wrk"
  wrk.headers["Referer"] = "https://news.example.org/"
end

local walked = false

function request()
  local path = walk[next_index]
  if path == nil then
    -- Walked: stop, and say so (wrk itself waits out its -d; bench/memory.py then ends it with
    -- SIGINT). The connections that ask before the thread stops get the last code again (a cache
    -- hit), at most one request each.
    if not walked then
      walked = true
      io.write("BENCH_WALKED\n")
      io.stdout:flush()
      wrk.thread:stop()
    end
    return wrk.format("GET", walk[#walk])
  end
  next_index = next_index + 1
  return wrk.format("GET", path)
end
