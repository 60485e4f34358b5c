-- Start a month's counter from the spend recorded elsewhere, unless another worker already did.
-- KEYS[1]: the month's hash; ARGV: spent (micro-USD), unix time the key expires
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'spent', ARGV[1], 'reserved', 0)
redis.call('EXPIREAT', KEYS[1], ARGV[2])
return 1
