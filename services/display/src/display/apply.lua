-- Apply a batch of board changes atomically, each appending its board update to the stream.
-- One call per batch: on a Redis with appendfsync always, one fsync instead of one per event.
-- KEYS: 1 last sequence per partition key (hash), 2 counter tiles (hash), 3 waiting counts
--       (hash), 4 recent calls (list of JSON), 5 board update stream
-- ARGV: 1 JSON array of changes (see projection.py), 2 recent calls kept, 3 stream MAXLEN (~)
-- Returns, per change: "stale" for a duplicate or old event, "noop" when it changed nothing
-- visible, or the stream id of the update it appended.
local function apply(change)
  local last = tonumber(redis.call('HGET', KEYS[1], change.pk) or '0')
  if change.seq <= last then
    return 'stale'
  end
  redis.call('HSET', KEYS[1], change.pk, change.seq)

  local update = {type = change.type}
  local changed = false

  local part = change.counter
  if part then
    local raw = redis.call('HGET', KEYS[2], part.id)
    local tile
    if raw then
      tile = cjson.decode(raw)
    else
      tile = {id = part.id, state = 'closed', seq = 0}
    end
    -- A counter's events come through several partitions: only a newer counter_seq moves it.
    if part.seq > tile.seq then
      for k, v in pairs(part.set) do
        if v == cjson.null then tile[k] = nil else tile[k] = v end
      end
      tile.seq = part.seq
      redis.call('HSET', KEYS[2], part.id, cjson.encode(tile))
      update.counter = tile
      changed = true
    end
  end

  if change.waiting then
    redis.call('HSET', KEYS[3], change.waiting.service, change.waiting.count)
    update.waiting = {[change.waiting.service] = change.waiting.count}
    changed = true
  end

  local call = change.call
  if call then
    -- Keep the hall's recent calls newest first, one entry per ticket (a recall moves it up).
    local kept = {call}
    for _, raw in ipairs(redis.call('LRANGE', KEYS[4], 0, -1)) do
      local item = cjson.decode(raw)
      if item.ticket_id ~= call.ticket_id then table.insert(kept, item) end
    end
    table.sort(kept, function(a, b) return a.at > b.at end)
    redis.call('DEL', KEYS[4])
    local limit = math.min(#kept, tonumber(ARGV[2]))
    for i = 1, limit do
      redis.call('RPUSH', KEYS[4], cjson.encode(kept[i]))
    end
    update.call = call
    changed = true
  end

  if not changed then
    return 'noop'
  end
  local id = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[3], '*', 'u', cjson.encode(update))
  return id
end

local results = {}
for i, change in ipairs(cjson.decode(ARGV[1])) do
  results[i] = apply(change)
end
return results
