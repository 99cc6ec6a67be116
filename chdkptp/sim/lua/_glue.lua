-- Glue between the simulator (Python, chdkptp/sim/lua_runtime.py) and camera scripts.
--
-- What belongs here: the per-script sandbox environment, running a script as a coroutine,
-- the instruction limit, turning Lua values into message (kind, data) pairs, and the
-- standard-library subset a CHDK camera offers. CHDK's own functions are in _chdk.lua.
--
-- Loaded once per ScriptHost with (P, sources): P is a table of Python callables, sources
-- holds the text of the other glue chunks. Returns the table R that Python drives:
--   R.start(src)     -> true | false, compile_error_text
--   R.resume(value)  -> "done", used, kind1, data1, ... | "error", used, text
--                       | yield_kind, used, tick
--   R.kill()         -> nil
--   R.set_limit(n)   -> nil

local P, sources = ...

local co_create, co_resume, co_status, co_yield =
  coroutine.create, coroutine.resume, coroutine.status, coroutine.yield
local sethook, getinfo = debug.sethook, debug.getinfo
local select, type, pairs, tostring, error, pcall, unpack, setfenv, getfenv, loadstring =
  select, type, pairs, tostring, error, pcall, unpack, setfenv, getfenv, loadstring
local runtime_globals = getfenv(1)

local R = {}

-- -- instruction limit -------------------------------------------------------------------------

local HOOK_EVERY = 1000
local limit = 20000000
local used = 0
local over = false

local function hook()
  used = used + HOOK_EVERY
  if over or used > limit then
    if not over then
      over = true
    end
    -- From now on every instruction of this thread fails, so a pcall loop cannot survive.
    sethook(hook, "", 1)
    local info = getinfo(2, "l")
    local line = info and info.currentline or -1
    error(":" .. tostring(line) .. ": instruction limit exceeded (runaway script)", 0)
  end
end

local function new_thread(f)
  local co = co_create(f)
  sethook(co, hook, "", HOOK_EVERY)
  return co
end

function R.set_limit(n)
  limit = n
end

-- -- the running script ------------------------------------------------------------------------

-- cur = { env = <sandbox>, co = <thread>, files = { open write files } }
local cur = nil

local function pack(...)
  return { n = select("#", ...), ... }
end

-- Lua value -> kind, data for a message. Tables go through the script's (possibly replaced)
-- usb_msg_table_to_string; errors propagate to the caller.
local function tomsg(v, env)
  local t = type(v)
  if t == "nil" or t == "boolean" or t == "number" or t == "string" then
    return t, v
  end
  if t == "table" then
    local s = env.usb_msg_table_to_string(v)
    if type(s) == "number" then
      s = tostring(s)
    end
    if type(s) ~= "string" then
      error("usb_msg_table_to_string must return a string", 0)
    end
    return "table", s
  end
  return "unsupported", t
end

-- -- helpers shared with _chdk.lua -------------------------------------------------------------

local H = {}
H.pack = pack
H.tomsg = tomsg
H.new_thread = new_thread
function H.env()
  return cur and cur.env
end
function H.files()
  return cur and cur.files
end
-- Block the script: Python resumes it when the condition `kind` holds or `tick` has passed.
function H.wait(kind, tick)
  return co_yield(kind, tick)
end

-- -- sandbox -----------------------------------------------------------------------------------

local base = {}   -- functions copied into every script's globals
local libs = {}   -- library tables, shallow-copied into every script's globals

for _, name in ipairs({
  "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select", "tonumber",
  "tostring", "type", "unpack", "rawequal", "rawget", "rawset", "getmetatable",
  "setmetatable", "collectgarbage", "gcinfo", "load", "_VERSION", "newproxy",
}) do
  base[name] = runtime_globals[name]
end

-- getfenv must not hand out the glue's own globals.
base.getfenv = function(f)
  local e
  if f == nil then
    e = getfenv(2)
  elseif type(f) == "number" and f > 0 then
    e = getfenv(f + 1)
  else
    e = getfenv(f)
  end
  if e == runtime_globals then
    return cur and cur.env
  end
  return e
end
base.setfenv = function(f, t)
  if type(f) == "number" and f > 0 then
    return setfenv(f + 1, t)
  end
  return setfenv(f, t)
end

-- CHDK's Lua drops the [string "..."] chunk prefix, so messages read ":<line>: ...".
base.loadstring = function(s, chunkname)
  return loadstring(s, chunkname or "=")
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do
    c[k] = v
  end
  return c
end

libs.string = copy(string)
libs.table = copy(table)
libs.math = copy(math)
libs.coroutine = {
  create = new_thread,
  resume = co_resume,
  yield = co_yield,
  status = co_status,
  running = coroutine.running,
  wrap = function(f)
    local co = new_thread(f)
    return function(...)
      local r = pack(co_resume(co, ...))
      if not r[1] then
        error(r[2], 0)
      end
      return unpack(r, 2, r.n)
    end
  end,
}
libs.os = {
  clock = os.clock,
  date = os.date,
  difftime = os.difftime,
  time = os.time,
}
libs.io = {}

-- Let _chdk.lua add CHDK globals (into base) and os / io functions (into libs).
local chdk = assert(loadstring(sources.chdk, "=_chdk"))
chdk(P, H, base, libs)
local msg_default = assert(loadstring(sources.msg_table, "=_msg_table"))

local function new_env()
  local env = copy(base)
  for name, lib in pairs(libs) do
    env[name] = copy(lib)
  end
  env._G = env
  env.package = {
    loaded = {},
    path = "A/CHDK/SCRIPTS/?.LUA;A/CHDK/LUALIB/?.LUA;A/CHDK/LUALIB/GEN/?.LUA",
  }
  for name in pairs(libs) do
    env.package.loaded[name] = env[name]
  end
  env.package.loaded._G = env
  -- CHDK's default table formatter, defined inside the script's own globals
  setfenv(msg_default, env)
  msg_default()
  return env
end

-- -- driving a script ----------------------------------------------------------------------------

local function close_files(files)
  for f in pairs(files) do
    pcall(f.close, f)
  end
end

local MEMERR = "not enough memory"

function R.start(src)
  local fn, err = loadstring(src, "=")
  if not fn then
    if err == MEMERR then
      collectgarbage("collect")
    end
    return false, err
  end
  local env = new_env()
  setfenv(fn, env)
  used, over = 0, false
  local co = new_thread(function()
    setfenv(0, env)   -- this thread's globals: loadstring/load inside the script see env
    local r = pack(fn())
    local out = { n = 0 }
    for i = 1, r.n do
      local ok, kind, data = pcall(tomsg, r[i], env)
      if not ok then
        out[out.n + 1], out[out.n + 2] = "error", kind
        out.n = out.n + 2
        break
      end
      out[out.n + 1], out[out.n + 2] = kind, data
      out.n = out.n + 2
    end
    return out
  end)
  cur = { env = env, co = co, files = {} }
  return true, nil
end

local function finish()
  if cur then
    close_files(cur.files)
    cur = nil
  end
end

function R.resume(value)
  local c = cur
  if not c then
    return "error", 0, "no script"
  end
  used = 0
  local ok, a, b = co_resume(c.co, value)
  local u = used
  if not ok then
    finish()
    if a == MEMERR then
      -- Lua 5.1 has no emergency collection: free the dead script before anything else
      c = nil
      collectgarbage("collect")
      return "error", u, MEMERR
    end
    return "error", u, tostring(a)
  end
  if co_status(c.co) == "dead" then
    finish()
    return "done", u, unpack(a, 1, a.n)
  end
  return a, u, b
end

function R.kill()
  finish()
end

function R.collect()
  collectgarbage("collect")
end

return R
