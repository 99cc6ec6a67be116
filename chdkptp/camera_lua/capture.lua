-- chdkptp camera-side remote-capture helpers (Lua 5.1, CHDK).  Prepended (after serialize.lua)
-- to the scripts chdkptp.capture runs; the host appends one call, e.g.
-- `return chdkptp_rc_init({fmt=1})`, its arguments written by chdkptp.lua.dumps.
-- Failures return false plus a message instead of raising.

-- Wait up to timeout_ms for record mode, switching to it if needed.
local function chdkptp_rc_record(timeout_ms)
  if get_mode() then return true end
  local ok = switch_mode_usb(1)
  if ok == 0 or ok == false then return false, "switch_mode_usb refused" end
  local start = get_tick_count()
  while get_tick_count() - start < timeout_ms do
    if get_mode() then return true end
    sleep(10)
  end
  return false, "record mode not reached within " .. timeout_ms .. " ms"
end

-- opts: fmt (capture bit mask), lstart, lcount (raw line range), timeout_ms (per-type
-- download timeout, 0 = CHDK default), mode_timeout (ms).
function chdkptp_rc_init(opts)
  if type(init_usb_capture) ~= "function" then
    return false, "this CHDK build has no remote capture (init_usb_capture missing)"
  end
  local ok, why = chdkptp_rc_record(opts.mode_timeout or 5000)
  if not ok then return false, why end
  local support = get_usb_capture_support()
  if bitand(support, opts.fmt) ~= opts.fmt then
    return false, "capture formats " .. opts.fmt .. " not supported (camera supports "
      .. support .. ")"
  end
  if not init_usb_capture(opts.fmt, opts.lstart or 0, opts.lcount or 0) then
    return false, "init_usb_capture(" .. opts.fmt .. ") failed"
  end
  set_usb_capture_timeout(opts.timeout_ms or 0)
  return true
end

-- A host message 'stop' (or 'quit') ends the shooting loop.
local function chdkptp_rc_stopped(wait_ms)
  local msg = read_usb_msg(wait_ms)
  return msg == "stop" or msg == "quit"
end

-- opts: count (shots), tv96, av96, sv96 (exposure overrides, applied before every shot).
-- Returns the number of shots taken, or false plus a message.
function chdkptp_rc_shoot(opts)
  local taken = 0
  for i = 1, opts.count do
    if chdkptp_rc_stopped(0) then return false, "stopped by the host" end
    if opts.tv96 then set_tv96_direct(opts.tv96) end
    if opts.av96 then set_av96_direct(opts.av96) end
    if opts.sv96 then set_sv96(opts.sv96) end
    shoot()
    taken = i
  end
  return taken
end

-- Wait up to 2 s for the last shot to finish, then clear capture.
function chdkptp_rc_cleanup()
  local start = get_tick_count()
  while get_shooting() and get_tick_count() - start < 2000 do
    sleep(10)
  end
  if type(init_usb_capture) == "function" then init_usb_capture(0) end
  return true
end
