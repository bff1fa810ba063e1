-- Non-streaming chat completion, every request a different prompt (a counter in the user message), so no memo of
-- worked-out completions can answer it: the headline load of bench/run.py. The counter starts from the clock so a
-- later round never repeats an earlier round's prompts.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000"
local counter = os.time() * 100000

request = function()
  counter = counter + 1
  local body = '{"model":"openai/gpt-5-mini","messages":[{"role":"user","content":"Hello, request ' .. counter .. '"}]}'
  return wrk.format(nil, nil, nil, body)
end
