-- Remove documents from the buckets of one bucket group (see workers/index/lsh.py; insert.lua
-- for the group and its state). Their records were removed first (unrecord.lua).
-- KEYS: 1 the group's state hash, 2.. bucket shards (the addresses of ARGV's band keys)
-- ARGV: 1 L, 2 p (the client's view), then per document: doc id, n, and n pairs (band key, KEYS
--       index of its shard)
-- Returns {'stale', L, p, nent} (nothing changed) or {'ok', L, p, nent}.
local st = redis.call('HMGET', KEYS[1], 'L', 'p', 'nent')
local L = tonumber(st[1]) or 0
local p = tonumber(st[2]) or 0
local nent = tonumber(st[3]) or 0
if L ~= tonumber(ARGV[1]) or p ~= tonumber(ARGV[2]) then
  return {'stale', L, p, nent}
end
local i = 3
while i <= #ARGV do
  local idb = struct.pack('<I4', tonumber(ARGV[i]))
  local n = tonumber(ARGV[i + 1])
  i = i + 2
  for _ = 1, n do
    local bk = ARGV[i]
    local skey = KEYS[tonumber(ARGV[i + 1])]
    i = i + 2
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
end
redis.call('HSET', KEYS[1], 'nent', nent)
return {'ok', L, p, nent}
