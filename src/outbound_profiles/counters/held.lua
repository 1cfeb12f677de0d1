-- The calls a tenant's counters hold a port for, as a flat list of call_id, profile; nil when its state is lost.
-- KEYS: 1 meta  2 calls
if redis.call('HEXISTS', KEYS[1], 'present') == 0 then
  return false
end
return redis.call('HGETALL', KEYS[2])
