-- Release a hold and add the real cost, once. Amounts are micro-USD integers.
-- KEYS[1]: the month's hash; KEYS[2]: the month's holds by expiry
-- ARGV: reservation id, actual cost ("" = charge the held amount)
-- Returns 1 when settled now, 0 when it was settled before (or never held).
local held = redis.call('HGET', KEYS[1], 'r:' .. ARGV[1])
if held then
  redis.call('HDEL', KEYS[1], 'r:' .. ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(held))
else
  held = redis.call('HGET', KEYS[1], 'x:' .. ARGV[1])
  if not held then
    return 0
  end
  redis.call('HDEL', KEYS[1], 'x:' .. ARGV[1])
end
local actual = held
if ARGV[2] ~= '' then
  actual = ARGV[2]
end
redis.call('HINCRBY', KEYS[1], 'spent', actual)
return 1
