-- wrk script: POST a chat completion to the fake vendor (or, with an Authorization header added, the gateway).
-- taskset -c 0 wrk -t1 -c64 -d5s --latency -s bench/wrk_chat.lua http://127.0.0.1:9100/v1/chat/completions
wrk.method = "POST"
wrk.body = '{"model":"bench-model","messages":[{"role":"user","content":"Say hello."}],"max_tokens":64}'
wrk.headers["Content-Type"] = "application/json"
