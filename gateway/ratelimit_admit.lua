-- Admit one request for a gateway key, atomically, on Redis's clock.
-- KEYS[1]: the key's request log (sorted set: member = request id, score = ms)
-- KEYS[2]: the key's token log (sorted set: member = "id:tokens", score = ms)
-- ARGV: limit, window_ms, tokens_per_minute (-1: none), tokens, request id
-- Returns {1, 0, ""} when admitted (and counted), {0, retry_after_ms, reason} when refused.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local token_window = 60000

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  if limit <= 0 then
    return {0, window, 'requests'}
  end
  local edge = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return {0, tonumber(edge[2]) + window - now, 'requests'}
end

if tpm >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - token_window)
  local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local used = 0
  for i = 1, #entries, 2 do
    used = used + tonumber(string.match(entries[i], ':(%-?%d+)$'))
  end
  if used + tokens > tpm then
    local freed = 0
    for i = 1, #entries, 2 do
      freed = freed + tonumber(string.match(entries[i], ':(%-?%d+)$'))
      if used - freed + tokens <= tpm then
        return {0, tonumber(entries[i + 1]) + token_window - now, 'tokens'}
      end
    end
    return {0, token_window, 'tokens'}
  end
  if tokens ~= 0 then
    redis.call('ZADD', KEYS[2], now, ARGV[5] .. ':' .. ARGV[4])
    redis.call('PEXPIRE', KEYS[2], token_window)
  end
end

redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0, ''}
