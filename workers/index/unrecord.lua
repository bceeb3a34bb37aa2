-- Remove one document's record (see workers/index/lsh.py); its bucket entries go next (remove.lua).
-- KEYS: 1 the record group's counts hash, 2 the record shard (same hash tag: one slot)
-- ARGV: 1 record size, 2 shard number, 3 byte offset, 4 expected fingerprint bytes
-- Returns 1 when removed, 0 when the doc was not indexed, -1 when the stored fingerprint differs
-- from the expected one (someone replaced it meanwhile: re-read and retry).
local RS = tonumber(ARGV[1])
local shard = ARGV[2]
local off = tonumber(ARGV[3])
local fp = ARGV[4]
local cur = redis.call('GETRANGE', KEYS[2], off, off + RS - 1)
if #cur ~= RS or string.byte(cur, 1) == 0 then return 0 end
if string.sub(cur, 1, #fp) ~= fp then return -1 end
redis.call('SETRANGE', KEYS[2], off, string.rep('\0', RS))
redis.call('HINCRBY', KEYS[1], 'n', -1)
if redis.call('HINCRBY', KEYS[1], shard, -1) <= 0 then
  redis.call('DEL', KEYS[2])
  redis.call('HDEL', KEYS[1], shard)
end
return 1
