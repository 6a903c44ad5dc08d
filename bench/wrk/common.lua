-- Shared by the bench's wrk scripts: per-thread counters of bad answers, aggregated in done().
--
-- A response counts as an error when its status is not 200 or its JSON carries a non-empty
-- "errors" list (GraphQL's top-level errors, or a mutation payload's user errors): a fast error is
-- never a fast answer. done() prints one line "BENCH_RESULT {json}" that bench/load.py parses.

local M = {}

function M.read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in file:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  file:close()
  assert(#lines > 0, "no lines in " .. path)
  return lines
end

function M.read_file(path)
  local file = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  local text = file:read("*a")
  file:close()
  return text
end

function M.split(line)
  local fields = {}
  for field in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = field end
  return fields
end

local threads = {}
local next_id = 0

-- setup() runs in the main Lua state once per thread: number them and keep them for done().
function M.setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  threads[#threads + 1] = thread
end

-- State of the thread's own Lua state.
responses, bad_status, graphql_errors, sample = 0, 0, 0, ""

function M.response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then
    bad_status = bad_status + 1
    if sample == "" then sample = "HTTP " .. status .. ": " .. string.sub(body or "", 1, 300) end
  elseif body and string.find(body, '"errors":%[[^%]]') then
    graphql_errors = graphql_errors + 1
    if sample == "" then sample = string.sub(body, 1, 300) end
  end
end

local function json_string(text)
  text = string.gsub(text, '[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" end
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. text .. '"'
end

function M.done(summary, latency, requests)
  local total, status, errors, first = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    total = total + (thread:get("responses") or 0)
    status = status + (thread:get("bad_status") or 0)
    errors = errors + (thread:get("graphql_errors") or 0)
    local s = thread:get("sample") or ""
    if first == "" then first = s end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"responses":%d', total),
    string.format('"duration_s":%.3f', seconds),
    string.format('"requests_per_s":%.2f', summary.requests / seconds),
    string.format('"bad_status":%d', status),
    string.format('"graphql_errors":%d', errors),
    string.format('"socket_errors":%d', e.connect + e.read + e.write + e.timeout),
    string.format('"timeouts":%d', e.timeout),
    string.format('"latency_mean_ms":%.3f', latency.mean / 1000),
    string.format('"latency_max_ms":%.3f', latency.max / 1000),
    string.format('"p50_ms":%.3f', latency:percentile(50) / 1000),
    string.format('"p90_ms":%.3f', latency:percentile(90) / 1000),
    string.format('"p99_ms":%.3f', latency:percentile(99) / 1000),
    '"error_sample":' .. json_string(first),
  }
  io.write("BENCH_RESULT {" .. table.concat(parts, ",") .. "}\n")
end

return M
