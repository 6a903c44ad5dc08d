-- makePayment with a unique idempotency key per request. BENCH_TOKENS_FILE lines are
-- "token<TAB>contract id<TAB>payment method id"; BENCH_BODY_FILE holds the mutation with the
-- placeholders __CONTRACT__, __METHOD__ and __KEY__. Keys start with BENCH_RUN_ID so runs never collide.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local targets, template, run_id
local counter = 0

setup = common.setup
response = common.response
done = common.done

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  targets = {}
  for _, line in ipairs(common.read_lines(os.getenv("BENCH_TOKENS_FILE"))) do
    targets[#targets + 1] = common.split(line)
  end
  template = common.read_file(os.getenv("BENCH_BODY_FILE"))
  run_id = os.getenv("BENCH_RUN_ID") or "run"
end

local function plain(text)
  return (string.gsub(text, "%%", "%%%%"))
end

function request()
  counter = counter + 1
  local target = targets[math.random(#targets)]
  local key = string.format("bench-pay-%s-%d-%d-%d", run_id, thread_id or 0, counter, math.random(1, 1000000000))
  local body = string.gsub(template, "__CONTRACT__", plain(target[2]))
  body = string.gsub(body, "__METHOD__", plain(target[3]))
  body = string.gsub(body, "__KEY__", plain(key))
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. target[1],
  }
  return wrk.format("POST", nil, headers, body)
end
