-- POST a fixed GraphQL body (BENCH_BODY_FILE) with a random bearer token per request
-- (BENCH_TOKENS_FILE, one per line): the dashboard, the scaling customers, the history pages.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local tokens, body

setup = common.setup
response = common.response
done = common.done

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  tokens = common.read_lines(os.getenv("BENCH_TOKENS_FILE"))
  body = common.read_file(os.getenv("BENCH_BODY_FILE"))
end

function request()
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
  }
  return wrk.format("POST", nil, headers, body)
end
