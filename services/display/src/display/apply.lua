-- Apply a batch of board changes atomically, each appending its board update to the stream,
-- and keep the consumer's Kafka offsets in the same write (see "Offsets" below).
-- One call per batch: on a Redis with appendfsync always, one fsync instead of one per event.
-- KEYS: 1 position per partition key (hash: "epoch:sequence"), 2 counter tiles (hash),
--       3 waiting counts (hash), 4 recent calls (list of JSON), 5 board update stream,
--       6 Kafka offsets (hash: "topic:partition" -> "safe:read")
-- ARGV: 1 JSON array of changes (see projection.py; each with `tp`, "topic:partition", and
--       `off`, its record's offset), 2 recent calls kept, 3 stream MAXLEN (~),
--       4 the batch's offsets, JSON {"read": {tp: [first, end]}, "fresh": [tp...]}, or "" (a
--       retry one by one: offsets left as they are)
-- Returns, per change: "stale" (an earlier epoch) or "copy" (already applied): dropped; "gap"
-- (events of its queue are missing before it): not applied, the consumer holds it; "noop"
-- (applied, nothing visible changed); or the stream id of the update it appended.
-- Or {"rewind", JSON {tp: offset or -1}}: nothing applied, the projection is behind what the
-- consumer read (this Redis lost its last writes, or all of them: -1, read from the beginning).
-- The sequencing rule is antre_contracts.sequencing's, in its words:
--   an earlier epoch is stale; in the same epoch last + 1 is applied, at or below last is a
--   copy, beyond is a gap; a later epoch begins at sequence 1, anything beyond is a gap.
--
-- Offsets. Per partition "safe:read": `read` is past the last record the projection has seen,
-- `safe` is where to read again after a restart: `read`, or the offset of the first event
-- still held (a gap) if that is earlier. A batch whose first record lies beyond `read` means
-- this Redis lost writes that the consumer had made (a restart without fsync): it is not
-- applied, and the consumer reads again from `safe`. A partition with no offsets here that the
-- consumer has not just positioned at its beginning (`fresh`) means a projection rebuilt from
-- nothing: it reads from the beginning.

local function position(raw)
  if not raw then return 0, 0 end
  local epoch, seq = string.match(raw, '^(%d+):(%d+)$')
  if epoch then return tonumber(epoch), tonumber(seq) end
  return 0, tonumber(raw)  -- kept before epochs existed
end

local function verdict(change)
  local epoch, last = position(redis.call('HGET', KEYS[1], change.pk))
  if change.epoch < epoch then return 'stale' end
  if change.epoch == epoch then
    if change.seq <= last then return 'copy' end
    if change.seq == last + 1 then return 'next' end
    return 'gap'
  end
  if change.seq == 1 then return 'next' end
  return 'gap'
end

-- A counter's events come through several partitions (each queue's and its own), so its tile
-- moves only on a later (epoch, counter_seq).
local function newer(part, tile)
  local epoch = tile.epoch or 0
  return part.epoch > epoch or (part.epoch == epoch and part.seq > tile.seq)
end

-- Store the calls newest first, as many as are kept; returns what was stored. Two calls of
-- the same millisecond (counters calling back parked tickets together) go by number, as every
-- board orders them: table.sort is not stable, and boards would disagree with the display.
local function keep_recent(calls)
  table.sort(calls, function(a, b)
    if a.at ~= b.at then return a.at > b.at end
    return a.number < b.number
  end)
  redis.call('DEL', KEYS[4])
  local stored = {}
  for i = 1, math.min(#calls, tonumber(ARGV[2])) do
    redis.call('RPUSH', KEYS[4], cjson.encode(calls[i]))
    stored[i] = calls[i]
  end
  return stored
end

local function recent_without(pred)
  local kept = {}
  for _, raw in ipairs(redis.call('LRANGE', KEYS[4], 0, -1)) do
    local item = cjson.decode(raw)
    if not pred(item) then table.insert(kept, item) end
  end
  return kept
end

local function apply(change)
  local v = verdict(change)
  if v ~= 'next' then return v end
  redis.call('HSET', KEYS[1], change.pk, string.format('%d:%d', change.epoch, change.seq))

  local update = {type = change.type}
  local changed = false

  local part = change.counter
  if part then
    local raw = redis.call('HGET', KEYS[2], part.id)
    local tile
    if raw then
      tile = cjson.decode(raw)
    else
      tile = {id = part.id, state = 'closed', seq = 0, epoch = 0}
    end
    if newer(part, tile) then
      for k, val in pairs(part.set) do
        if val == cjson.null then tile[k] = nil else tile[k] = val end
      end
      tile.seq, tile.epoch = part.seq, part.epoch
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

  if change.clear_calls then
    -- A new day: the service's calls of yesterday leave the hall's list.
    local svc = change.clear_calls
    update.recent = keep_recent(recent_without(function(item) return item.service_id == svc end))
    changed = true
  end

  local call = change.call
  if call then
    -- Keep the hall's recent calls newest first, one entry per ticket (a recall moves it up).
    -- A ticket is known by its number: unique in its day (each service has its own prefix).
    local kept = recent_without(function(item) return item.number == call.number end)
    table.insert(kept, call)
    keep_recent(kept)
    update.call = call
    changed = true
  end

  if not changed then
    return 'noop'
  end
  local id = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[3], '*', 'u', cjson.encode(update))
  return id
end

local batch = ARGV[4] ~= '' and cjson.decode(ARGV[4]) or nil

if batch then
  local fresh, rewind, behind = {}, {}, false
  for _, tp in ipairs(batch.fresh) do fresh[tp] = true end
  for tp, range in pairs(batch.read) do
    local raw = redis.call('HGET', KEYS[6], tp)
    if raw then
      local safe, read = string.match(raw, '^(%d+):(%d+)$')
      if tonumber(read) < range[1] then rewind[tp], behind = tonumber(safe), true end
    elseif not fresh[tp] then
      rewind[tp], behind = -1, true
    end
  end
  if behind then return {'rewind', cjson.encode(rewind)} end
end

local results, held = {}, {}
for i, change in ipairs(cjson.decode(ARGV[1])) do
  results[i] = apply(change)
  if results[i] == 'gap' and (not held[change.tp] or change.off < held[change.tp]) then
    held[change.tp] = change.off
  end
end
if batch then
  for tp, range in pairs(batch.read) do
    local safe = math.min(range[2], held[tp] or range[2])
    redis.call('HSET', KEYS[6], tp, string.format('%d:%d', safe, range[2]))
  end
end
return results
