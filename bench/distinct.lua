-- Every request a different prompt (a counter in the user message), so no memo of worked-out completions can
-- answer it: the headline loads of bench/run.py. Non-streaming chat on openai/gpt-5-mini; with the script argument
-- `stream` (wrk ... URL -- stream), a stream on openai/gpt-5-chat, which bench/run.py's 50-word stub answers
-- (50 content chunks + finish + usage + [DONE], --time-scale 0); with `long`, the same question closing a
-- 22-message conversation (~20 KB: a system prompt, ten exchanges), as an agent loop sends. The counter starts
-- from the clock so a later round never repeats an earlier round's prompts.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000"
local counter = os.time() * 100000  -- an exact integer in Lua's doubles; written with %.0f, never as 1.79e+14
local model, tail, history = "openai/gpt-5-mini", "", ""

function init(args)
  if args[1] == "stream" then
    model, tail = "openai/gpt-5-chat", ',"stream":true'
  elseif args[1] == "long" then
    -- an agent loop's request: a system prompt and ten exchanges (~20 KB) before the new question
    local turn = string.rep("Explain the trade-offs of this design in detail, considering latency, cost and failure modes. ", 10)
    history = '{"role":"system","content":"You are a careful engineer."},'
    for i = 1, 10 do
      history = history .. '{"role":"user","content":"' .. turn .. '(turn ' .. i .. ')"},{"role":"assistant","content":"' .. turn .. '"},'
    end
  end
end

request = function()
  counter = counter + 1
  local body = '{"model":"' .. model .. '","messages":[' .. history .. '{"role":"user","content":"Hello, request ' .. string.format("%.0f", counter) .. '"}]' .. tail .. '}'
  return wrk.format(nil, nil, nil, body)
end
