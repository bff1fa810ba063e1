-- Streaming chat completion: bench/run.py installs a stub for openai/gpt-5-chat whose content is 50 words, so the
-- mock sends 50 content chunks + a finish chunk + a usage chunk + [DONE] (run with --time-scale 0).
wrk.method = "POST"
wrk.body = '{"model":"openai/gpt-5-chat","messages":[{"role":"user","content":"Hello"}],"stream":true}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000"
