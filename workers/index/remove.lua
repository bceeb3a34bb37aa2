-- Remove documents from the buckets of one bucket group (see workers/index/lsh.py; insert.lua
-- for the group and its state). Their records were removed first (unrecord.lua).
-- KEYS: 1 the group's state hash, 2.. bucket shards (the addresses of ARGV's band keys)
-- ARGV: 1 L, 2 p (the client's view), 3 groups, 4 the group's shard name less its number, then per
--       document: doc id, its band keys concatenated, the KEYS index of each one's shard (uint16
--       little-endian each), as in insert.lua
-- Returns {'ok', L, p, nent, then per document its band keys handed back (addressed by a state that
--         moved on; concatenated, '' when none)}.
local st = redis.call('HMGET', KEYS[1], 'L', 'p', 'nent')
local L = tonumber(st[1]) or 0
local p = tonumber(st[2]) or 0
local nent = tonumber(st[3]) or 0
local G = tonumber(ARGV[3])
local SHARDS = ARGV[4]
local missed = {}
local i = 5
while i <= #ARGV do
  local idb = struct.pack('<I4', tonumber(ARGV[i]))
  local bks = ARGV[i + 1]
  local where = ARGV[i + 2]
  i = i + 3
  local miss = {}
  for k = 0, #bks / 8 - 1 do
    local bk = string.sub(bks, 8 * k + 1, 8 * k + 8)
    local skey = KEYS[struct.unpack('<I2', where, 2 * k + 1)]
    local h = math.floor(struct.unpack('<I4', bk) / G)
    local a = h % (2 ^ L)
    if a < p then a = h % (2 ^ (L + 1)) end
    local v = false
    if skey ~= SHARDS .. string.format('%d', a) then
      miss[#miss + 1] = bk
    else
      v = redis.call('HGET', skey, bk)
    end
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
  missed[#missed + 1] = table.concat(miss)
end
redis.call('HSET', KEYS[1], 'nent', nent)
local res = {'ok', L, p, nent}
for _, m in ipairs(missed) do res[#res + 1] = m end
return res
