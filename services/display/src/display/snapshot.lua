-- Read the whole board and the id of the last update it includes, in one atomic step.
-- KEYS: 1 counter tiles (hash), 2 waiting counts (hash), 3 recent calls (list), 4 update stream
local last = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', 1)
local last_id = '0-0'
if last[1] then last_id = last[1][1] end
return {
  redis.call('HGETALL', KEYS[1]),
  redis.call('HGETALL', KEYS[2]),
  redis.call('LRANGE', KEYS[3], 0, -1),
  last_id,
}
