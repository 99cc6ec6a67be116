-- The CHDK function set of the simulated camera, written on top of Python callables (P).
--
-- What belongs here: every global CHDK gives a Lua script (shooting, modes, lens, exposure,
-- messages, keys, remote capture, bit helpers, console) and the os / io subset on the card,
-- plus require / loadfile / dofile reading from the card. Functions that block on a real
-- camera (sleep, read_usb_msg and write_usb_msg with a timeout, shoot, click) are Lua code that
-- yields through H.wait; everything else calls Python directly.
--
-- Called by _glue.lua as chunk(P, H, base, libs): adds globals to `base` and functions to
-- libs.os / libs.io.

local P, H, base, libs = ...

local type, tostring, tonumber, error, select, setfenv, loadstring, pairs =
  type, tostring, tonumber, error, select, setfenv, loadstring, pairs
local floor = math.floor

local function int(v, n, fname, default)
  if v == nil and default ~= nil then
    return default
  end
  local x = tonumber(v)
  if x == nil then
    error("bad argument #" .. n .. " to '" .. fname .. "' (number expected, got "
      .. type(v) .. ")", 3)
  end
  if x ~= x or x == math.huge or x == -math.huge then
    return 0 -- CHDK numbers are ints: there is no NaN or infinity to pass on
  end
  if x >= 0 then
    return floor(x)
  end
  return -floor(-x)
end

local function str(v, n, fname)
  if type(v) == "number" then
    return tostring(v)
  end
  if type(v) ~= "string" then
    error("bad argument #" .. n .. " to '" .. fname .. "' (string expected, got "
      .. type(v) .. ")", 3)
  end
  return v
end

local function truth(v)
  -- CHDK accepts booleans or numbers (0 = false) for on/off arguments
  if type(v) == "number" then
    return v ~= 0
  end
  return v and true or false
end

-- -- time and messages ---------------------------------------------------------------------------

function base.get_tick_count()
  return P.now()
end

function base.sleep(ms)
  H.wait("sleep", int(ms, 1, "sleep", 0))
end

function base.read_usb_msg(timeout)
  local m = P.read_msg()
  if m ~= nil then
    return m
  end
  timeout = int(timeout, 1, "read_usb_msg", 0)
  if timeout <= 0 then
    return nil
  end
  -- Python resumes with true once a message is there (fetched here, inside protected Lua)
  if H.wait("read", timeout) then
    return P.take_delivered()
  end
  return nil
end

function base.write_usb_msg(...)
  if select("#", ...) == 0 then
    error("bad argument #1 to 'write_usb_msg' (value expected)", 2)
  end
  local v, timeout = ...
  local ok, kind, data = pcall(H.tomsg, v, H.env())
  if not ok then
    error(kind, 0)
  end
  if kind == "unsupported" then
    error("unsupported type", 2)
  end
  if P.write_msg(kind, data) then
    return true
  end
  timeout = int(timeout, 2, "write_usb_msg", 0)
  if timeout <= 0 then
    return false
  end
  if H.wait("write", timeout) then
    return P.write_msg(kind, data)
  end
  return false
end

function base.print(...)
  local parts = {}
  for i = 1, select("#", ...) do
    parts[i] = tostring((select(i, ...)))
  end
  P.print(table.concat(parts, " "))
end

local function noop() end
base.cls = noop
base.console_redraw = noop
base.set_console_layout = noop
base.set_console_autoredraw = noop
base.set_led = noop
base.set_exit_key = noop
base.enter_alt = noop
base.exit_alt = noop
base.set_draw_title_line = noop
base.draw_clear = noop
function base.get_alt_mode()
  return false
end
local yield_count, yield_ms = 25, 10
function base.set_yield(count, ms)
  local oc, om = yield_count, yield_ms
  yield_count, yield_ms = int(count, 1, "set_yield", 25), int(ms, 2, "set_yield", 10)
  return oc, om
end

-- -- shooting and modes --------------------------------------------------------------------------

function base.shoot()
  local ms = P.shoot()
  if ms > 0 then
    H.wait("sleep", ms)
  end
  -- with remote capture the shot only completes once the host has fetched its data
  -- (or the capture timed out)
  while P.rc_pending() do
    H.wait("sleep", 10)
  end
end

function base.get_shooting()
  return P.get_shooting()
end

function base.switch_mode_usb(mode)
  return P.switch_mode(int(mode, 1, "switch_mode_usb"))
end

function base.set_record(on)
  P.switch_mode(truth(on) and 1 or 0)
end

function base.get_mode()
  return P.get_mode()
end

function base.get_exp_count()
  return P.get_exp_count()
end

function base.get_image_dir()
  return P.get_image_dir()
end

function base.get_raw()
  return P.get_raw()
end

function base.set_raw(on)
  P.set_raw(truth(on))
end

function base.get_raw_nr()
  return 0
end
base.set_raw_nr = noop

function base.get_drive_mode()
  return P.get_prop(P.propcase("DRIVE_MODE"))
end

function base.get_flash_mode()
  return P.get_prop(P.propcase("FLASH_MODE"))
end

function base.get_propset()
  return 4
end

function base.get_usb_power(mode)
  return 1
end

-- -- lens ------------------------------------------------------------------------------------------

function base.get_zoom()
  return P.get_zoom()
end

function base.set_zoom(step)
  P.set_zoom(int(step, 1, "set_zoom"))
end

function base.set_zoom_rel(delta)
  P.set_zoom(P.get_zoom() + int(delta, 1, "set_zoom_rel"))
end

base.set_zoom_speed = noop

function base.get_zoom_steps()
  return P.get_zoom_steps()
end

function base.get_focus()
  return P.get_focus()
end

function base.set_focus(mm)
  P.set_focus(int(mm, 1, "set_focus"))
end

function base.get_focus_mode()
  return P.get_focus_mode()
end

function base.get_focus_state()
  return 1
end

function base.get_focus_ok()
  return true
end

function base.set_aflock(on)
  P.set_aflock(truth(on))
end

function base.set_mf(on)
  P.set_mf(truth(on))
  return 1
end

-- -- exposure ----------------------------------------------------------------------------------------

local function getter(name)
  return function()
    return P.get_exp(name, "")
  end
end

local function setter(name, how, fname)
  return function(v)
    P.set_exp(name, int(v, 1, fname), how)
  end
end

base.get_tv96 = getter("tv96")
base.get_av96 = getter("av96")
base.get_sv96 = getter("sv96")
base.get_nd_current_ev96 = getter("nd")
base.set_tv96 = setter("tv96", "direct", "set_tv96")
base.set_tv96_direct = setter("tv96", "direct", "set_tv96_direct")
base.set_av96 = setter("av96", "direct", "set_av96")
base.set_av96_direct = setter("av96", "direct", "set_av96_direct")
base.set_sv96 = setter("sv96", "direct", "set_sv96")
base.set_nd_filter = setter("nd", "direct", "set_nd_filter")
base.set_user_tv96 = setter("tv96", "user", "set_user_tv96")
base.set_user_av96 = setter("av96", "user", "set_user_av96")

function base.get_user_tv96()
  return P.get_exp("tv96", "user")
end

function base.get_user_av96()
  return P.get_exp("av96", "user")
end

function base.get_nd_present()
  return P.get_nd_present()
end

function base.get_iso_market()
  return P.get_iso()
end
base.get_iso_real = base.get_iso_market

function base.get_iso_mode()
  return P.get_prop(P.propcase("ISO_MODE"))
end

function base.set_iso_mode(v)
  P.set_prop(P.propcase("ISO_MODE"), int(v, 1, "set_iso_mode"))
end

function base.get_bv96()
  return 384
end

function base.get_ev()
  return P.get_prop(P.propcase("EV_CORRECTION_1"))
end

function base.set_ev(v)
  P.set_prop(P.propcase("EV_CORRECTION_1"), int(v, 1, "set_ev"))
end

function base.get_prop(id)
  return P.get_prop(int(id, 1, "get_prop"))
end

function base.set_prop(id, v)
  P.set_prop(int(id, 1, "set_prop"), int(v, 2, "set_prop"))
end

-- APEX / ISO conversions (simulated: real ISO is market ISO less 69/96 stop, as on many
-- PowerShots)
local SV_MARKET_OFFSET = 69

local function round(x)
  return floor(x + 0.5)
end

function base.sv96_market_to_real(sv)
  return int(sv, 1, "sv96_market_to_real") - SV_MARKET_OFFSET
end

function base.sv96_real_to_market(sv)
  return int(sv, 1, "sv96_real_to_market") + SV_MARKET_OFFSET
end

function base.iso_to_sv96(iso)
  local i = int(iso, 1, "iso_to_sv96")
  if i <= 0 then
    return 0
  end
  return round(96 * math.log(i / 3.125) / math.log(2))
end

function base.sv96_to_iso(sv)
  return round(3.125 * 2 ^ (int(sv, 1, "sv96_to_iso") / 96))
end

function base.iso_market_to_real(iso)
  return round(int(iso, 1, "iso_market_to_real") * 2 ^ (-SV_MARKET_OFFSET / 96))
end

function base.iso_real_to_market(iso)
  return round(int(iso, 1, "iso_real_to_market") * 2 ^ (SV_MARKET_OFFSET / 96))
end

function base.set_iso_real(iso)
  P.set_exp("sv96", base.iso_to_sv96(iso), "direct")
end

function base.get_orientation_sensor()
  return 0
end

base.set_aelock = noop
base.post_levent_to_ui = noop
base.post_levent_for_npt = noop

function base.get_config_value(id, default)
  local v = P.get_config(int(id, 1, "get_config_value"))
  if v == nil then
    return default
  end
  return v
end

function base.set_config_value(id, v)
  P.set_config(int(id, 1, "set_config_value"), int(v, 2, "set_config_value"))
  return true
end

function base.set_capture_mode(id)
  return P.set_capture_mode(int(id, 1, "set_capture_mode"))
end

function base.is_capture_mode_valid(id)
  return P.capture_mode_valid(int(id, 1, "is_capture_mode_valid"))
end

function base.get_meminfo()
  local total, free = P.meminfo()
  return {
    name = "system",
    chdk_malloc = true,
    chdk_start = 0,
    chdk_size = 0,
    start_address = 0,
    end_address = total,
    total_size = total,
    allocated_size = total - free,
    allocated_peak = total - free,
    allocated_count = 0,
    free_size = free,
    free_block_max_size = free,
    free_block_count = 1,
  }
end

-- -- power, build, card ------------------------------------------------------------------------------

function base.get_vbatt()
  return P.get_vbatt()
end

function base.get_temperature(which)
  return P.get_temperature(int(which, 1, "get_temperature", 0))
end

-- reboot([file]): restart the camera, booting `file` (a camera path) if given. False when the
-- file is missing (or nothing can restart the camera); otherwise the camera powers off a few
-- ticks later and the call never returns (the script dies with the power).
function base.reboot(file)
  if file ~= nil then
    file = str(file, 1, "reboot")
  end
  if not P.reboot(file) then
    return false
  end
  while true do
    H.wait("sleep", 1000)
  end
end

function base.get_buildinfo()
  local platform, platsub, version, build_number, build_revision, build_date, build_time,
    os_name, platformid = P.buildinfo()
  return {
    platform = platform,
    platsub = platsub,
    version = version,
    build_number = build_number,
    build_revision = build_revision,
    build_date = build_date,
    build_time = build_time,
    os = os_name,
    platformid = platformid,
  }
end

function base.get_free_disk_space()
  return P.free_kb()
end

function base.get_disk_size()
  return P.disk_kb()
end

function base.get_jpg_count()
  return floor(P.free_kb() / 1024)
end

function base.get_day_seconds()
  local t = os.date("*t")
  return t.hour * 3600 + t.min * 60 + t.sec
end

function base.get_time(what)
  local t = os.date("*t")
  local map = { Y = t.year, M = t.month, D = t.day, h = t.hour, m = t.min, s = t.sec }
  return map[what] or -1
end

-- -- keys --------------------------------------------------------------------------------------------

local function key(op, name)
  local ok, err = P.key(op, str(name, 1, op))
  if ok == nil then
    error(err, 3)
  end
  return ok
end

function base.press(name)
  key("press", name)
end

function base.release(name)
  key("release", name)
end

function base.click(name)
  key("press", name)
  H.wait("sleep", 10)
  key("release", name)
end

function base.is_pressed(name)
  return key("is_pressed", name)
end

function base.is_key(name)
  return key("is_pressed", name)
end

function base.wait_click(timeout)
  H.wait("sleep", int(timeout, 1, "wait_click", 0))
end

-- -- remote capture ----------------------------------------------------------------------------------

function base.get_usb_capture_support()
  return P.rc_support()
end

function base.init_usb_capture(mask, startline, numlines)
  return P.rc_init(int(mask, 1, "init_usb_capture"), int(startline, 2, "init_usb_capture", 0),
    int(numlines, 3, "init_usb_capture", 0))
end

function base.get_usb_capture_target()
  return P.rc_target()
end

function base.set_usb_capture_timeout(ms)
  P.rc_timeout(int(ms, 1, "set_usb_capture_timeout", 0))
end

-- -- bit helpers (32-bit, as CHDK's integer Lua) --------------------------------------------------

local function bitfn(op, nargs)
  return function(a, b)
    return P.bit(op, int(a, 1, "bit" .. op), nargs == 2 and int(b, 2, "bit" .. op) or 0)
  end
end
base.bitand = bitfn("and", 2)
base.bitor = bitfn("or", 2)
base.bitxor = bitfn("xor", 2)
base.bitshl = bitfn("shl", 2)
base.bitshri = bitfn("shri", 2)
base.bitshru = bitfn("shru", 2)
base.bitnot = bitfn("not", 1)

-- -- os on the card ------------------------------------------------------------------------------------

local os_ = libs.os

function os_.listdir(path, showall)
  return P.listdir(str(path, 1, "listdir"), truth(showall))
end

function os_.idir(path, showall)
  local names, err = P.listdir(str(path, 1, "idir"), truth(showall))
  if not names then
    error(err, 2)
  end
  local i = 0
  return function()
    i = i + 1
    return names[i]
  end
end

function os_.stat(path)
  return P.stat(str(path, 1, "stat"))
end

function os_.remove(path)
  return P.remove(str(path, 1, "remove"))
end

function os_.mkdir(path)
  return P.mkdir(str(path, 1, "mkdir"))
end

function os_.rename(a, b)
  return P.rename(str(a, 1, "rename"), str(b, 2, "rename"))
end

function os_.utime(path, mtime)
  return P.utime(str(path, 1, "utime"), tonumber(mtime) or os.time())
end

-- -- io on the card: files are buffered in Lua and written back on flush / close ------------------

local FILE = {}
FILE.__index = FILE
FILE.__tostring = function(f)
  return f.closed and "file (closed)" or "file (sim)"
end

local function collapse(f)
  if #f.tail > 0 then
    f.data = f.data .. table.concat(f.tail)
    f.tail = {}
  end
end

local function check(f)
  if type(f) ~= "table" or getmetatable(f) ~= FILE then
    error("bad argument #1 (file expected)", 3)
  end
  if f.closed then
    error("attempt to use a closed file", 3)
  end
end

function FILE.write(f, ...)
  check(f)
  if not f.writable then
    return nil, "Bad file descriptor", 9
  end
  for i = 1, select("#", ...) do
    local s = select(i, ...)
    if type(s) == "number" then
      s = string.format("%.14g", s)
    elseif type(s) ~= "string" then
      error("bad argument #" .. i .. " to 'write' (string expected, got " .. type(s) .. ")", 2)
    end
    if f.append then
      f.pos = f.len
    end
    if f.pos == f.len then
      f.tail[#f.tail + 1] = s
      f.len = f.len + #s
      f.pos = f.len
    else
      collapse(f)
      f.data = f.data:sub(1, f.pos) .. s .. f.data:sub(f.pos + #s + 1)
      f.pos = f.pos + #s
      f.len = #f.data
    end
    f.dirty = true
  end
  return f
end

local function read1(f, fmt)
  collapse(f)
  local data, pos = f.data, f.pos
  if type(fmt) == "number" then
    if pos >= #data then
      return nil
    end
    local s = data:sub(pos + 1, pos + fmt)
    f.pos = pos + #s
    return s
  end
  fmt = tostring(fmt)
  local c = fmt:sub(1, 1) == "*" and fmt:sub(2, 2) or fmt:sub(1, 1)
  if c == "a" then
    f.pos = #data
    return data:sub(pos + 1)
  elseif c == "l" then
    if pos >= #data then
      return nil
    end
    local nl = data:find("\n", pos + 1, true)
    if nl then
      f.pos = nl
      return data:sub(pos + 1, nl - 1)
    end
    f.pos = #data
    return data:sub(pos + 1)
  elseif c == "n" then
    local s, e = data:find("^%s*[-+]?[%w%.]+", pos + 1)
    if not s then
      return nil
    end
    local n = tonumber((data:sub(s, e):gsub("^%s+", "")))
    if n == nil then
      return nil
    end
    f.pos = e
    return n
  end
  error("bad argument #1 to 'read' (invalid format)", 3)
end

function FILE.read(f, ...)
  check(f)
  if not f.readable then
    return nil, "Bad file descriptor", 9
  end
  local n = select("#", ...)
  if n == 0 then
    return read1(f, "*l")
  end
  local out = {}
  for i = 1, n do
    out[i] = read1(f, (select(i, ...)))
    if out[i] == nil then
      return unpack(out, 1, i)
    end
  end
  return unpack(out, 1, n)
end

function FILE.lines(f)
  check(f)
  return function()
    return read1(f, "*l")
  end
end

function FILE.seek(f, whence, offset)
  check(f)
  whence = whence or "cur"
  offset = tonumber(offset) or 0
  local base_pos
  if whence == "set" then
    base_pos = 0
  elseif whence == "cur" then
    base_pos = f.pos
  elseif whence == "end" then
    base_pos = f.len
  else
    error("bad argument #1 to 'seek' (invalid option '" .. tostring(whence) .. "')", 2)
  end
  local p = base_pos + offset
  if p < 0 then
    return nil, "Invalid argument", 22
  end
  if p > f.len then
    collapse(f)
    f.data = f.data .. string.rep("\0", p - f.len)
    f.len = p
  end
  f.pos = p
  return p
end

function FILE.flush(f)
  check(f)
  if f.dirty then
    collapse(f)
    local ok, err = P.write_file(f.path, f.data)
    if not ok then
      return nil, err
    end
    f.dirty = false
  end
  return f
end

function FILE.setvbuf()
  return true
end

function FILE.close(f)
  check(f)
  local ok, err = true, nil
  if f.dirty then
    local r, e = FILE.flush(f)
    if not r then
      ok, err = nil, e
    end
  end
  f.closed = true
  local files = H.files()
  if files then
    files[f] = nil
  end
  return ok, err
end

local io_ = libs.io

function io_.open(path, mode)
  path = str(path, 1, "open")
  mode = mode or "r"
  local kind, plus = mode:match("^([rwa])(%+?)b?$")
  if not kind then
    error("bad argument #2 to 'open' (invalid mode '" .. tostring(mode) .. "')", 2)
  end
  plus = plus == "+"
  local data = ""
  if kind == "r" or kind == "a" then
    local d, err, code = P.read_file(path)
    if d == nil and (kind == "r" or code ~= 2) then
      return nil, err, code
    end
    data = d or ""
  end
  local f = setmetatable({
    path = path, data = data, tail = {}, len = #data, pos = 0, closed = false,
    readable = kind == "r" or plus, writable = kind ~= "r" or plus,
    append = kind == "a", dirty = false,
  }, FILE)
  if kind == "w" or (kind == "a" and data == "") then
    local ok, err, code = P.write_file(path, data)
    if not ok then
      return nil, err, code
    end
  end
  if kind == "a" then
    f.pos = f.len
  end
  if f.writable then
    local files = H.files()
    if files then
      files[f] = true
    end
  end
  return f
end

function io_.lines(path)
  local f, err = io_.open(path, "r")
  if not f then
    error(err, 2)
  end
  return function()
    local l = read1(f, "*l")
    if l == nil then
      f:close()
    end
    return l
  end
end

function io_.close(f)
  return FILE.close(f)
end

function io_.type(f)
  if type(f) == "table" and getmetatable(f) == FILE then
    return f.closed and "closed file" or "file"
  end
  return nil
end

-- -- loading code from the card --------------------------------------------------------------------

local function load_card(path)
  local src, err = P.read_file(path)
  if src == nil then
    return nil, "cannot open " .. path
  end
  local fn, cerr = loadstring(src, "@" .. path)
  if not fn then
    return nil, cerr
  end
  setfenv(fn, H.env())
  return fn
end

function base.loadfile(path)
  return load_card(str(path, 1, "loadfile"))
end

function base.dofile(path)
  local fn, err = load_card(str(path, 1, "dofile"))
  if not fn then
    error(err, 2)
  end
  return fn()
end

function base.require(name)
  name = str(name, 1, "require")
  local env = H.env()
  local loaded = env.package.loaded
  if loaded[name] ~= nil then
    return loaded[name]
  end
  local file = name:gsub("%.", "/")
  local fn, where
  for pattern in string.gmatch(env.package.path or "", "[^;]+") do
    local path = pattern:gsub("%?", file)
    local src = P.read_file(path)
    if src ~= nil then
      local cerr
      fn, cerr = loadstring(src, "@" .. path)
      if not fn then
        error("error loading module '" .. name .. "' from file '" .. path .. "':\n\t" .. cerr, 2)
      end
      where = path
      break
    end
  end
  if not fn then
    local src = P.builtin_module(name)
    if src ~= nil then
      fn = assert(loadstring(src, "=" .. name))
      where = name
    end
  end
  if not fn then
    error("module '" .. name .. "' not found", 2)
  end
  setfenv(fn, env)
  local r = fn(name, where)
  if r ~= nil then
    loaded[name] = r
  elseif loaded[name] == nil then
    loaded[name] = true
  end
  return loaded[name]
end
