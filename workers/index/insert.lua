-- Atomic LSH insert + query (see workers/index/lsh.py for the layout).
--
-- KEYS: none declared; every key lives under ARGV[1] (the prefix). Single-node Redis only (or a
--       prefix with a {hash tag} on a cluster).
-- ARGV: 1 prefix, 2 doc id, 3 record (fingerprint bytes .. uint32 ts), 4 day number,
--       5 record size, 6 slots per record shard, 7 load factor (bucket fields per shard),
--       8 bucket cap (a bucket holding that many ids takes no more: its members are still
--       returned, so a crowd of copies still links up, but a boilerplate bucket cannot grow without
--       bound), 9.. band keys (8 bytes; their first 4 bytes, little-endian, address the shard)
-- Returns {"ok", id1, rec1, id2, rec2, ...} (other members of this doc's buckets, each once),
--         {"conflict", stored_record} when the doc id is already indexed with another fingerprint,
--         {"alloc"} when the record shard does not exist yet (nothing was written).
local P = ARGV[1]
local id = tonumber(ARGV[2])
local rec = ARGV[3]
local day = ARGV[4]
local RS = tonumber(ARGV[5])
local SLOTS = tonumber(ARGV[6])
local LOAD = tonumber(ARGV[7])
local CAP = tonumber(ARGV[8])
local FPLEN = RS - 4
local meta = P .. 'meta'

local shard = math.floor(id / SLOTS)
local rkey = P .. 'r:' .. shard
local off = (id % SLOTS) * RS
local cur = redis.call('GETRANGE', rkey, off, off + RS - 1)
local existed = (#cur == RS and string.byte(cur, 1) ~= 0)
if existed then
  if string.sub(cur, 1, FPLEN) ~= string.sub(rec, 1, FPLEN) then
    return {'conflict', cur}
  end
else
  if redis.call('EXISTS', rkey) == 0 then
    -- the caller allocates the whole shard (SET NX of SLOTS*RS zero bytes) and retries: growing
    -- it by SETRANGE would over-allocate up to 2x, and building it here leaves 300 KB of
    -- garbage in the Lua heap
    return {'alloc'}
  end
  redis.call('SETRANGE', rkey, off, rec)
  redis.call('HINCRBY', P .. 'rc', shard, 1)
  redis.call('HINCRBY', meta, 'ndocs', 1)
  local tlen = redis.call('APPEND', P .. 't:' .. day, struct.pack('<I4', id))
  if tlen == 4 then
    redis.call('ZADD', P .. 'days', tonumber(day), day)
  end
end

local st = redis.call('HMGET', meta, 'L', 'p', 'nent')
local L = tonumber(st[1]) or 4
local p = tonumber(st[2]) or 0
local nent = tonumber(st[3]) or 0

local idb = struct.pack('<I4', id)
local seen = {}
local out_ids = {}
for i = 9, #ARGV do
  local bk = ARGV[i]
  local h = struct.unpack('<I4', bk)
  local a = h % (2 ^ L)
  if a < p then a = h % (2 ^ (L + 1)) end
  local skey = P .. 'b:' .. a
  if redis.call('HSETNX', skey, bk, idb) == 1 then
    nent = nent + 1  -- new bucket (the common case: one call)
  else
    local v = redis.call('HGET', skey, bk)
    local found = false
    for j = 1, #v, 4 do
      local m = string.sub(v, j, j + 3)
      if m == idb then
        found = true
      else
        local mid = struct.unpack('<I4', m)
        if not seen[mid] then
          seen[mid] = true
          out_ids[#out_ids + 1] = mid
        end
      end
    end
    if not found and #v < 4 * CAP then
      redis.call('HSET', skey, bk, v .. idb)
    end
  end
end

-- linear hashing: split shard p while the average load is above LOAD
while nent > LOAD * (2 ^ L + p) do
  local src = P .. 'b:' .. p
  local dst = P .. 'b:' .. (p + 2 ^ L)
  local all = redis.call('HGETALL', src)
  local mod = 2 ^ (L + 1)
  local moved = {}
  local gone = {}
  for j = 1, #all, 2 do
    local f = all[j]
    local h = struct.unpack('<I4', f)
    if h % mod ~= p then
      moved[#moved + 1] = f
      moved[#moved + 1] = all[j + 1]
      gone[#gone + 1] = f
    end
  end
  if #gone > 0 then
    redis.call('HSET', dst, unpack(moved))
    redis.call('HDEL', src, unpack(gone))
  end
  p = p + 1
  if p == 2 ^ L then
    L = L + 1
    p = 0
  end
end
redis.call('HSET', meta, 'L', L, 'p', p, 'nent', nent)

local res = {'ok'}
for _, mid in ipairs(out_ids) do
  local ms = math.floor(mid / SLOTS)
  local mo = (mid % SLOTS) * RS
  local r = redis.call('GETRANGE', P .. 'r:' .. ms, mo, mo + RS - 1)
  if #r == RS and string.byte(r, 1) ~= 0 then
    res[#res + 1] = mid
    res[#res + 1] = r
  end
end
return res
