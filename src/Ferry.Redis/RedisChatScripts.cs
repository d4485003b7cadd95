namespace Ferry.Services.Chat.Redis;

/// <summary>
/// The Lua scripts behind the Redis hub. Each runs atomically in Redis, which is what gives a room one order for
/// every server: the sequence number, the log entry and the announcement are one step. Every script first puts
/// right keys of the wrong type (written by someone else) instead of failing on them forever.
/// </summary>
/// <remarks>
/// Keys (P = the prefix): <c>P r:{room}:epoch|seq|log|members</c> (room = lower-case name; log is a stream whose entry
/// ids are <c>SEQ-0</c>; members maps nick → server id), <c>P rooms</c> (lower-case name → shown name),
/// <c>P n:NICK</c> (lower-case nick → server id), <c>P s:ID:alive</c> (presence, with a time-to-live),
/// <c>P s:ID:nicks</c> (lower-case nick → "ROOMKEY SPACE NICK", the room key empty outside rooms), <c>P servers</c> (set of ids). Channels:
/// <c>P events</c> (every room's events) and <c>P inbox:ID</c> (private messages to one server's members).
/// Some scripts build key names from the prefix, so the hub needs one Redis (or a primary), not Redis Cluster.
/// </remarks>
internal static class RedisChatScripts
{
    private const string Own = """
        local function own(k, t)
          local ty = redis.call('TYPE', k).ok
          if ty ~= t and ty ~= 'none' then redis.call('DEL', k) end
        end
        local function newEpoch(ke, ks, kl, e)
          redis.call('DEL', ks, kl)
          redis.call('SET', ke, e)
          return e
        end
        """;

    /// <summary>
    /// Says a message. KEYS: epoch, seq, log. ARGV: candidate epoch, log length, entry JSON, events channel, room key.
    /// A missing epoch (Redis lost the room) or a counter/log that do not fit together start a new epoch. Returns {epoch, seq}.
    /// </summary>
    public const string Say = Own + """

        own(KEYS[1], 'string'); own(KEYS[2], 'string'); own(KEYS[3], 'stream')
        local e = redis.call('GET', KEYS[1])
        if not e or #e > 64 or string.find(e, '[^%w]') then e = newEpoch(KEYS[1], KEYS[2], KEYS[3], ARGV[1]) end
        local s = redis.pcall('INCR', KEYS[2])
        local ok = false
        if type(s) == 'number' then
          ok = redis.pcall('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], s .. '-0', 'm', ARGV[3])
        end
        if type(ok) ~= 'string' then
          e = newEpoch(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
          s = redis.call('INCR', KEYS[2])
          redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], s .. '-0', 'm', ARGV[3])
        end
        redis.call('PUBLISH', ARGV[4], 'm ' .. ARGV[5] .. ' ' .. s .. ' ' .. e .. ' ' .. ARGV[3])
        return {e, s}
        """;

    /// <summary>
    /// A room's state for a server that starts following it. KEYS: epoch, seq, log. ARGV: candidate epoch, history count.
    /// Returns {epoch, last seq, newest entries first}.
    /// </summary>
    public const string Load = Own + """

        own(KEYS[1], 'string'); own(KEYS[2], 'string'); own(KEYS[3], 'stream')
        local e = redis.call('GET', KEYS[1])
        if not e or #e > 64 or string.find(e, '[^%w]') then e = newEpoch(KEYS[1], KEYS[2], KEYS[3], ARGV[1]) end
        local s = redis.pcall('GET', KEYS[2])
        if type(s) ~= 'string' or not tonumber(s) then s = '0' end
        local entries = {}
        if tonumber(ARGV[2]) > 0 then entries = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', ARGV[2]) end
        return {e, s, entries}
        """;

    /// <summary>
    /// A member enters a room. KEYS: members, server nicks, rooms, epoch, seq, log. ARGV: nick, server id, room key,
    /// room name, room cap, lower-case nick. Returns {'full'} or {'ok', shown name, {nicks}}.
    /// </summary>
    public const string Enter = Own + """

        own(KEYS[1], 'hash'); own(KEYS[2], 'hash'); own(KEYS[3], 'hash')
        local shown = redis.call('HGET', KEYS[3], ARGV[3])
        if not shown then
          if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[5]) then return {'full'} end
          shown = ARGV[4]
          redis.call('HSET', KEYS[3], ARGV[3], shown)
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('HSET', KEYS[2], ARGV[6], ARGV[3] .. ' ' .. ARGV[1])
        redis.call('PERSIST', KEYS[4]); redis.call('PERSIST', KEYS[5]); redis.call('PERSIST', KEYS[6])
        return {'ok', shown, redis.call('HKEYS', KEYS[1])}
        """;

    /// <summary>
    /// A member leaves a room (and with ARGV[7] = '1' gives up its nick too). KEYS: members, server nicks, rooms, epoch,
    /// seq, log, nick. ARGV: nick, server id, room lifetime ms, events channel, event payload, room key, release, lower nick.
    /// A room left empty keeps its history for the lifetime, then Redis frees it.
    /// </summary>
    public const string Leave = Own + """

        own(KEYS[1], 'hash'); own(KEYS[2], 'hash'); own(KEYS[3], 'hash'); own(KEYS[7], 'string')
        if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
        if ARGV[7] == '1' then
          redis.call('HDEL', KEYS[2], ARGV[8])
          if redis.call('GET', KEYS[7]) == ARGV[2] then redis.call('DEL', KEYS[7]) end
        else
          redis.call('HSET', KEYS[2], ARGV[8], ' ' .. ARGV[1])
        end
        if redis.call('HLEN', KEYS[1]) == 0 then
          if redis.call('EXISTS', KEYS[5]) == 0 then
            redis.call('HDEL', KEYS[3], ARGV[6]); redis.call('DEL', KEYS[4], KEYS[6])
          else
            redis.call('PEXPIRE', KEYS[4], ARGV[3]); redis.call('PEXPIRE', KEYS[5], ARGV[3]); redis.call('PEXPIRE', KEYS[6], ARGV[3])
          end
        end
        if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
        return 1
        """;

    /// <summary>
    /// Claims a nick (or changes to it). KEYS: new nick, old nick, server nicks, members (of the room, or any key).
    /// ARGV: server id, new nick, old nick ('' for none), room key ('' for none), events channel, event payload, lower new nick,
    /// lower old nick.
    /// Returns 0 when another server holds the nick.
    /// </summary>
    public const string Nick = Own + """

        own(KEYS[1], 'string'); own(KEYS[2], 'string'); own(KEYS[3], 'hash')
        local holder = redis.call('GET', KEYS[1])
        if holder and holder ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        if ARGV[3] ~= '' then
          if KEYS[2] ~= KEYS[1] and redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
          redis.call('HDEL', KEYS[3], ARGV[8])
        end
        redis.call('HSET', KEYS[3], ARGV[7], ARGV[4] .. ' ' .. ARGV[2])
        if ARGV[4] ~= '' then
          own(KEYS[4], 'hash')
          if ARGV[3] ~= '' then redis.call('HDEL', KEYS[4], ARGV[3]) end
          redis.call('HSET', KEYS[4], ARGV[2], ARGV[1])
          if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
        end
        return 1
        """;

    /// <summary>
    /// Routes a private message to the server holding the nick. KEYS: nick. ARGV: prefix, lower-case nick, payload.
    /// Returns how many servers received it (0: nobody by that name is in a room).
    /// </summary>
    public const string Private = """
        local sid = redis.pcall('GET', KEYS[1])
        if type(sid) ~= 'string' or #sid > 64 then return 0 end
        local v = redis.pcall('HGET', ARGV[1] .. 's:' .. sid .. ':nicks', ARGV[2])
        if type(v) ~= 'string' then return 0 end
        local sp = string.find(v, ' ', 1, true)
        if not sp or sp == 1 then return 0 end
        return redis.call('PUBLISH', ARGV[1] .. 'inbox:' .. sid, ARGV[3])
        """;

    /// <summary>
    /// This server's heartbeat, and the sweep of servers that stopped beating: their members are announced as left
    /// (reason <c>server lost</c>), their nicks freed. KEYS: own alive key, servers. ARGV: prefix, own id, ttl ms,
    /// now ms, room lifetime ms, events channel, members in rooms here. The alive key holds <c>"NOW MEMBERS"</c> for
    /// <c>stats</c>. Returns {whether the own key was still there, lost servers}.
    /// </summary>
    public const string Heartbeat = Own + """

        own(KEYS[2], 'set')
        local was = redis.call('EXISTS', KEYS[1])
        redis.call('SET', KEYS[1], ARGV[4] .. ' ' .. ARGV[7], 'PX', ARGV[3])
        redis.call('SADD', KEYS[2], ARGV[2])
        local P = ARGV[1]
        local lost = 0
        for _, sid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          if sid ~= ARGV[2] and redis.call('EXISTS', P .. 's:' .. sid .. ':alive') == 0 then
            lost = lost + 1
            local k = P .. 's:' .. sid .. ':nicks'
            if redis.call('TYPE', k).ok == 'hash' then
              local all = redis.call('HGETALL', k)
              for i = 1, #all, 2 do
                local lower, v = all[i], all[i + 1]
                local sp = string.find(v, ' ', 1, true)
                if sp then
                  local nk = P .. 'n:' .. lower
                  local room = string.sub(v, 1, sp - 1)
                  local nick = string.sub(v, sp + 1)
                  if redis.pcall('GET', nk) == sid then redis.call('DEL', nk) end
                  if room ~= '' then
                    local rk = P .. 'r:{' .. room .. '}:'
                    if redis.pcall('HGET', rk .. 'members', nick) == sid then
                      redis.call('HDEL', rk .. 'members', nick)
                      local shown = redis.pcall('HGET', P .. 'rooms', room)
                      if type(shown) ~= 'string' then shown = room end
                      redis.call('PUBLISH', ARGV[6], 'e ' .. room .. ' ' .. cjson.encode({kind = 'leave', room = shown, from = nick,
                        time = tonumber(ARGV[4]), reason = 'server lost'}))
                      if redis.call('HLEN', rk .. 'members') == 0 then
                        redis.call('PEXPIRE', rk .. 'epoch', ARGV[5]); redis.call('PEXPIRE', rk .. 'seq', ARGV[5]); redis.call('PEXPIRE', rk .. 'log', ARGV[5])
                      end
                    end
                  end
                end
              end
            end
            redis.call('DEL', k)
            redis.call('SREM', KEYS[2], sid)
          end
        end
        return {was, lost}
        """;

    /// <summary>
    /// Rooms with their member counts; rooms whose members left and whose history expired are forgotten. KEYS: rooms.
    /// ARGV: prefix, the most to return. Returns {key, shown name, members, ...}.
    /// </summary>
    public const string Rooms = Own + """

        own(KEYS[1], 'hash')
        local out = {}
        local all = redis.call('HGETALL', KEYS[1])
        for i = 1, #all, 2 do
          local rk = ARGV[1] .. 'r:{' .. all[i] .. '}:'
          local n = redis.pcall('HLEN', rk .. 'members')
          if type(n) ~= 'number' then n = 0 end
          if n == 0 and redis.call('EXISTS', rk .. 'seq') == 0 then
            redis.call('HDEL', KEYS[1], all[i])
          elseif #out < tonumber(ARGV[2]) * 3 then
            out[#out + 1] = all[i]; out[#out + 1] = all[i + 1]; out[#out + 1] = n
          end
        end
        return out
        """;

    /// <summary>
    /// The chat's servers for <c>stats</c>. KEYS: servers, rooms. ARGV: prefix, the most servers to list.
    /// Returns {rooms, id, alive value ('' when gone), ...}; what the values say is checked by the reader.
    /// </summary>
    public const string Cluster = """
        local n = redis.pcall('HLEN', KEYS[2])
        if type(n) ~= 'number' then n = 0 end
        local out = {n}
        local ids = redis.pcall('SMEMBERS', KEYS[1])
        if type(ids) ~= 'table' then ids = {} end
        for i, sid in ipairs(ids) do
          if i > tonumber(ARGV[2]) then break end
          local v = redis.pcall('GET', ARGV[1] .. 's:' .. sid .. ':alive')
          if type(v) ~= 'string' then v = '' end
          out[#out + 1] = sid; out[#out + 1] = v
        end
        return out
        """;
}
