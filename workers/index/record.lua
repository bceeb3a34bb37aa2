-- Store the records of documents of one record group (see workers/index/lsh.py for the layout).
--
-- Every key is declared and carries the group's hash tag, so the script runs on one cluster slot.
-- KEYS: 1 the group's counts hash (record shard -> live records, 'n' -> records in the group),
--       2 the group's zset of days, 3 the group's id list of ARGV[2]'s day, 4.. record shards
-- ARGV: 1 record size, 2 day number, then per document 5 values:
--       doc id, its record shard number, the KEYS index of that shard, byte offset, record
--       (fingerprint bytes .. uint32 insertion time)
-- Returns two values per document, in order: 'new' | 'same' | 'alloc' | 'conflict', and the stored
-- record for 'conflict' (the id holds another fingerprint: nothing written), '' otherwise. 'alloc':
-- the shard does not exist yet; the client allocates it whole (SET NX of zeros: growing it by
-- SETRANGE would over-allocate up to 2x, building it here leaves 300 KB of garbage in the Lua heap).
local RS = tonumber(ARGV[1])
local day = ARGV[2]
local FPLEN = RS - 4
local out = {}
local i = 3
while i <= #ARGV do
  local id = tonumber(ARGV[i])
  local shard = ARGV[i + 1]
  local rkey = KEYS[tonumber(ARGV[i + 2])]
  local off = tonumber(ARGV[i + 3])
  local rec = ARGV[i + 4]
  i = i + 5
  local cur = redis.call('GETRANGE', rkey, off, off + RS - 1)
  if #cur == RS and string.byte(cur, 1) ~= 0 then
    if string.sub(cur, 1, FPLEN) ~= string.sub(rec, 1, FPLEN) then
      out[#out + 1] = 'conflict'
      out[#out + 1] = cur
    else
      out[#out + 1] = 'same'
      out[#out + 1] = ''
    end
  elseif redis.call('EXISTS', rkey) == 0 then
    out[#out + 1] = 'alloc'
    out[#out + 1] = ''
  else
    redis.call('SETRANGE', rkey, off, rec)
    redis.call('HINCRBY', KEYS[1], shard, 1)
    redis.call('HINCRBY', KEYS[1], 'n', 1)
    if redis.call('APPEND', KEYS[3], struct.pack('<I4', id)) == 4 then
      redis.call('ZADD', KEYS[2], tonumber(day), day)
    end
    out[#out + 1] = 'new'
    out[#out + 1] = ''
  end
end
return out
