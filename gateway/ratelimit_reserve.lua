-- Hold an amount against a key's monthly budget, atomically. Amounts are micro-USD integers.
-- KEYS[1]: the month's hash (spent, reserved, r:<id> = held amount, x:<id> = expired hold)
-- KEYS[2]: the month's holds by expiry (sorted set: member = id, score = ms)
-- ARGV: amount, budget, reservation id, hold ttl ms, unix time the keys expire
-- Returns -1 when the month has no counter yet (the caller seeds it and calls again),
-- 1 when held, 0 when it would pass the budget.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(expired) do
  local held = redis.call('HGET', KEYS[1], 'r:' .. id)
  if held then
    redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(held))
    redis.call('HDEL', KEYS[1], 'r:' .. id)
    redis.call('HSET', KEYS[1], 'x:' .. id, held)
  end
  redis.call('ZREM', KEYS[2], id)
end
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
if spent + reserved + tonumber(ARGV[1]) > tonumber(ARGV[2]) then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
redis.call('HSET', KEYS[1], 'r:' .. ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
redis.call('EXPIREAT', KEYS[1], ARGV[5])
redis.call('EXPIREAT', KEYS[2], ARGV[5])
return 1
