-- What is in use now, read in one step. Returns {0} when the tenant's state is lost, else
-- {1, profile calls, account calls, cps used, per-number count}.
-- KEYS: 1 meta  2 calls  3 ports  4 the profile's CPS log  5 the per-number count (only when asked)
-- ARGV: 1 profile  2 cutoff (now_ms - 1000)
if redis.call('HEXISTS', KEYS[1], 'present') == 0 then
  return {0}
end
local cld_used = 0
if KEYS[5] then
  cld_used = tonumber(redis.call('GET', KEYS[5]) or '0')
end
return {
  1,
  tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0'),
  redis.call('HLEN', KEYS[2]),
  redis.call('ZCOUNT', KEYS[4], '(' .. ARGV[2], '+inf'),
  cld_used,
}
