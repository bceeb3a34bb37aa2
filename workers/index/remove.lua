-- Atomic LSH removal (see workers/index/lsh.py).
-- ARGV: 1 prefix, 2 doc id, 3 expected fingerprint bytes (the record minus its timestamp),
--       4 record size, 5 slots per record shard, 6.. band keys of that fingerprint
-- Returns 1 when removed, 0 when the doc was not indexed, -1 when the stored fingerprint differs
-- from the expected one (someone replaced it meanwhile: re-read and retry).
local P = ARGV[1]
local id = tonumber(ARGV[2])
local fp = ARGV[3]
local RS = tonumber(ARGV[4])
local SLOTS = tonumber(ARGV[5])
local meta = P .. 'meta'

local shard = math.floor(id / SLOTS)
local rkey = P .. 'r:' .. shard
local off = (id % SLOTS) * RS
local cur = redis.call('GETRANGE', rkey, off, off + RS - 1)
if #cur ~= RS or string.byte(cur, 1) == 0 then return 0 end
if string.sub(cur, 1, #fp) ~= fp then return -1 end

local st = redis.call('HMGET', meta, 'L', 'p', 'nent')
local L = tonumber(st[1]) or 4
local p = tonumber(st[2]) or 0
local nent = tonumber(st[3]) or 0
local idb = struct.pack('<I4', id)
for i = 6, #ARGV do
  local bk = ARGV[i]
  local h = struct.unpack('<I4', bk)
  local a = h % (2 ^ L)
  if a < p then a = h % (2 ^ (L + 1)) end
  local skey = P .. 'b:' .. a
  local v = redis.call('HGET', skey, bk)
  if v then
    local keep = {}
    for j = 1, #v, 4 do
      local m = string.sub(v, j, j + 3)
      if m ~= idb then keep[#keep + 1] = m end
    end
    if #keep == 0 then
      redis.call('HDEL', skey, bk)
      nent = nent - 1
    elseif #keep * 4 ~= #v then
      redis.call('HSET', skey, bk, table.concat(keep))
    end
  end
end
redis.call('HSET', meta, 'nent', nent)
redis.call('SETRANGE', rkey, off, string.rep('\0', RS))
redis.call('HINCRBY', meta, 'ndocs', -1)
if redis.call('HINCRBY', P .. 'rc', shard, -1) <= 0 then
  redis.call('DEL', rkey)
  redis.call('HDEL', P .. 'rc', shard)
end
return 1
