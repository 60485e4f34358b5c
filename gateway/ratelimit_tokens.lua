-- Correct a key's token log with real usage: add a (possibly negative) entry now.
-- KEYS[1]: the token log; ARGV: entry id, tokens
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1] .. ':' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], 60000)
return 1
