-- Every request a different prompt (a counter in the user message), so no memo of worked-out completions can
-- answer it: the headline loads of bench/run.py. Non-streaming chat on openai/gpt-5-mini; with the script argument
-- `stream` (wrk ... URL -- stream), a stream on openai/gpt-5-chat, which bench/run.py's 50-word stub answers
-- (50 content chunks + finish + usage + [DONE], --time-scale 0). The counter starts from the clock so a later round
-- never repeats an earlier round's prompts.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000"
local counter = os.time() * 100000  -- an exact integer in Lua's doubles; written with %.0f, never as 1.79e+14
local model, tail = "openai/gpt-5-mini", ""

function init(args)
  if args[1] == "stream" then
    model, tail = "openai/gpt-5-chat", ',"stream":true'
  end
end

request = function()
  counter = counter + 1
  local body = '{"model":"' .. model .. '","messages":[{"role":"user","content":"Hello, request ' .. string.format("%.0f", counter) .. '"}]' .. tail .. '}'
  return wrk.format(nil, nil, nil, body)
end
