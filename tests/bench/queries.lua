-- wrk script: cycles through a query file, one query per line, sending each as
-- GET /search?q=<url-encoded query>&size=10 (plus any extra parameters).
--
--   wrk -t2 -c32 -d10s --latency -s tests/bench/queries.lua http://127.0.0.1:PORT \
--       -- QUERY_FILE [EXTRA_PARAMS]
--
-- EXTRA_PARAMS is appended verbatim, e.g. "op=or&sort=-date". Every wrk thread
-- runs its own Lua state; each starts at a different offset in the file so the
-- threads do not send the same query at the same moment.

local thread_count = 0

-- Runs once per thread in the main Lua state, before the thread's own init().
function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

-- application/x-www-form-urlencoded, as a browser form would send it: unreserved
-- characters stay, space becomes '+', everything else (quotes, '+', '(', ':' ...)
-- becomes %XX of its UTF-8 bytes.
local function encode(text)
  text = text:gsub("[^%w%-%._~ ]", function(c)
    return string.format("%%%02X", string.byte(c))
  end)
  return (text:gsub(" ", "+"))
end

local paths = {}
local next_path = 1

function init(args)
  local file = args[1]
  if not file then error("queries.lua: pass the query file after --") end
  local extra = args[2] and args[2] ~= "" and ("&" .. args[2]) or ""
  local handle = io.open(file, "r")
  if not handle then error("queries.lua: cannot open " .. file) end
  for line in handle:lines() do
    local query = line:gsub("\r$", ""):match("^%s*(.-)%s*$")
    if query ~= "" then
      paths[#paths + 1] = wrk.format("GET", "/search?q=" .. encode(query) .. "&size=10" .. extra)
    end
  end
  handle:close()
  if #paths == 0 then error("queries.lua: no queries in " .. file) end
  -- Start each thread at a different point of the file (golden-ratio steps
  -- spread any number of threads without knowing how many there are).
  local index = tonumber(thread_index) or 0
  next_path = math.floor(index * 0.618034 * #paths) % #paths + 1
end

function request()
  local req = paths[next_path]
  next_path = next_path % #paths + 1
  return req
end
