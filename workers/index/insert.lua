-- Atomic LSH insert + query of the band keys of one bucket group (see workers/index/lsh.py).
--
-- A group is a hash tag: its state hash and bucket shards live in one cluster slot, and every key
-- the script touches is declared in KEYS. The shard of a band key depends on the group's
-- linear-hashing state (L, p), which the client read earlier: if it moved meanwhile (splits by
-- another worker), the script makes no splits, checks each band key's address against the state
-- as it is, inserts those still right and hands the others back, for the client to readdress.
-- KEYS: 1 the group's state hash (L, p, nent), 2.. bucket shards: the source and destination of each
--       split the client asked for, then the addresses of ARGV's band keys (after those splits)
-- ARGV: 1 L, 2 p (the client's view), 3 load factor (the client's, for the record), 4 bucket cap (a bucket
--       holding that many ids takes no more: its members are still returned, so a crowd of copies
--       still links up, but a boilerplate bucket cannot grow without bound), 5 KEYS index of the
--       first split key, 6 splits to make first, 7 groups, 8 the group's shard name less its number,
--       then per document 3 values: doc id, its band
--       keys of this group concatenated (8 bytes each; the first 4, little-endian, address group
--       and shard), and the KEYS index of each one's shard (uint16 little-endian each), documents
--       in the order they are inserted (packed strings: a third of the arguments to encode)
-- Returns {'ok', L, p, nent, then per document: the number of other members found in its
--         buckets, their ids, and its band keys handed back (concatenated; '' when none)}.
local st = redis.call('HMGET', KEYS[1], 'L', 'p', 'nent')
local L = tonumber(st[1]) or 0
local p = tonumber(st[2]) or 0
local nent = tonumber(st[3]) or 0
local current = (L == tonumber(ARGV[1]) and p == tonumber(ARGV[2]))
local CAP = tonumber(ARGV[4])
local split_at = tonumber(ARGV[5])
local splits = tonumber(ARGV[6])
local G = tonumber(ARGV[7])

-- linear hashing first: the client asked for the splits that make room for this call's band keys
-- (it reckons from nent as last seen, plus one new field per band key), and addressed the band
-- keys by the state after them, so no shard ever takes a whole batch (a hash over 128 fields
-- would leave the compact listpack encoding for good)
if not current then splits = 0 end  -- another worker grew the table meanwhile: no splits now
for done = 0, splits - 1 do
  local src = KEYS[split_at + 2 * done]
  local dst = KEYS[split_at + 2 * done + 1]
  local all = redis.call('HGETALL', src)
  local mod = 2 ^ (L + 1)
  local moved = {}
  local gone = {}
  for j = 1, #all, 2 do
    local f = all[j]
    local h = math.floor(struct.unpack('<I4', f) / G)
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

local SHARDS = ARGV[8]  -- the name of this group's bucket shards, less the shard number
local found = {}
local missed = {}
local i = 9
while i <= #ARGV do
  local id = tonumber(ARGV[i])
  local bks = ARGV[i + 1]
  local where = ARGV[i + 2]
  i = i + 3
  local idb = struct.pack('<I4', id)
  local seen = {}
  local ids = {}
  local miss = {}
  for k = 0, #bks / 8 - 1 do
    local bk = string.sub(bks, 8 * k + 1, 8 * k + 8)
    local skey = KEYS[struct.unpack('<I2', where, 2 * k + 1)]
    local h = math.floor(struct.unpack('<I4', bk) / G)
    local a = h % (2 ^ L)
    if a < p then a = h % (2 ^ (L + 1)) end
    if skey ~= SHARDS .. string.format('%d', a) then
      miss[#miss + 1] = bk  -- addressed by a state that moved on: the client sends it again
    elseif redis.call('HSETNX', skey, bk, idb) == 1 then
      nent = nent + 1  -- new bucket (the common case: one call)
    else
      local v = redis.call('HGET', skey, bk)
      local mine = false
      for j = 1, #v, 4 do
        local m = string.sub(v, j, j + 3)
        if m == idb then
          mine = true
        else
          local mid = struct.unpack('<I4', m)
          if not seen[mid] then
            seen[mid] = true
            ids[#ids + 1] = mid
          end
        end
      end
      if not mine and #v < 4 * CAP then
        redis.call('HSET', skey, bk, v .. idb)
      end
    end
  end
  found[#found + 1] = ids
  missed[#missed + 1] = table.concat(miss)
end
redis.call('HSET', KEYS[1], 'L', L, 'p', p, 'nent', nent)

local res = {'ok', L, p, nent}
for d, ids in ipairs(found) do
  res[#res + 1] = #ids
  for _, mid in ipairs(ids) do res[#res + 1] = mid end
  res[#res + 1] = missed[d]
end
return res
