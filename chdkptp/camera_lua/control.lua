-- chdkptp camera-side control helpers (Lua 5.1, CHDK).  Prepended (after serialize.lua) to the
-- scripts that chdkptp.camera runs for mode switching, shooting, zoom, focus and status; the
-- host appends one call such as `return chdkptp_status()` with arguments written by
-- chdkptp.lua.dumps.  Every function returns plain values or a table (serialized by
-- serialize.lua); failures return false plus a message rather than raising.

-- get_mode() returns (is_record, is_video, mode number); 1 = record, 0 = play.
function chdkptp_mode()
  local rec = get_mode()
  if rec then return "record" end
  return "play"
end

-- Switch to record (want_rec true) or play mode and wait up to timeout_ms for it to happen.
function chdkptp_switch_mode(want_rec, timeout_ms)
  local rec = get_mode()
  if (rec and want_rec) or (not rec and not want_rec) then
    return true, chdkptp_mode()
  end
  local ok
  if want_rec then ok = switch_mode_usb(1) else ok = switch_mode_usb(0) end
  if ok == 0 or ok == false then
    return false, "switch_mode_usb refused"
  end
  local start = get_tick_count()
  while get_tick_count() - start < timeout_ms do
    rec = get_mode()
    if (rec and want_rec) or (not rec and not want_rec) then
      return true, chdkptp_mode()
    end
    sleep(10)
  end
  return false, "mode did not change within " .. timeout_ms .. " ms"
end

-- Apply exposure overrides (APEX*96 values, already converted by the host), shoot, and
-- return the path of the new image.  opts: tv96, av96, sv96, nd (1 in, 2 out), focus (mm).
function chdkptp_shoot(opts)
  local rec = get_mode()
  if not rec then
    local ok, why = chdkptp_switch_mode(true, opts.mode_timeout or 5000)
    if not ok then return false, why end
  end
  if opts.tv96 then set_tv96_direct(opts.tv96) end
  if opts.av96 then set_av96_direct(opts.av96) end
  if opts.sv96 then set_sv96(opts.sv96) end
  if opts.nd then set_nd_filter(opts.nd) end
  if opts.focus then
    if set_mf then set_mf(1) end
    set_focus(opts.focus)
  end
  local before = get_exp_count()
  local status = shoot()
  if status ~= nil and status ~= 0 and status ~= true then
    return false, "shoot() failed with status " .. tostring(status)
  end
  local count = get_exp_count()
  if count == before then
    return false, "no new image was written"
  end
  return true, string.format("%s/IMG_%04d.JPG", get_image_dir(), count)
end

function chdkptp_zoom(pos)
  if pos then
    local steps = get_zoom_steps()
    if pos < 0 or pos >= steps then
      return false, "zoom position must be 0.." .. (steps - 1)
    end
    set_zoom(pos)
  end
  return true, get_zoom(), get_zoom_steps()
end

-- opts: lock (true/false: AF lock), mf (true/false: manual focus), distance (mm)
function chdkptp_focus(opts)
  if opts.lock ~= nil then
    if opts.lock then set_aflock(1) else set_aflock(0) end
  end
  if opts.mf ~= nil and set_mf then
    if opts.mf then set_mf(1) else set_mf(0) end
  end
  if opts.distance then set_focus(opts.distance) end
  return true, get_focus()
end

function chdkptp_status()
  local s = {
    mode = chdkptp_mode(),
    vbatt = get_vbatt(),
    temp_optical = get_temperature(0),
    temp_ccd = get_temperature(1),
    temp_battery = get_temperature(2),
    zoom = get_zoom(),
    exp_count = get_exp_count(),
  }
  if get_free_disk_space then s.free_kb = get_free_disk_space() end
  if get_buildinfo then s.build = get_buildinfo() end
  if get_tick_count then s.tick = get_tick_count() end
  return s
end
