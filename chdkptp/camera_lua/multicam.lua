-- chdkptp camera-side helpers for camera groups (Lua 5.1, CHDK).  chdkptp.multicam prepends
-- this file (after serialize.lua and control.lua) and appends one call such as
-- `return multicam_shoot(123456, {prepare_timeout = 5000})`, arguments written by
-- chdkptp.lua.dumps.  Failures come back as values (ok = false plus a message), not errors.

-- Clock sync: answer each host message with the current tick count, `count` times.  The host
-- notes when it sent the message and when the answer arrived; the tick lies in between.
function multicam_sync(count, timeout_ms)
  for i = 1, count do
    local m = read_usb_msg(timeout_ms)
    if m == nil then
      return false, "no sync request within " .. timeout_ms .. " ms"
    end
    write_usb_msg(get_tick_count())
  end
  return true, count
end

-- Synchronized shot: enter record mode, half-press and wait until focus and exposure are set,
-- sleep until the tick count reaches `target`, then press the shutter fully.  Returns a table:
-- ok, error (text), path (new image), fired (tick at the full press), prepared (tick when
-- ready), target.  opts: mode_timeout, prepare_timeout, shot_timeout (ms).
function multicam_shoot(target, opts)
  local rec = get_mode()
  if not rec then
    local ok, why = chdkptp_switch_mode(true, opts.mode_timeout or 5000)
    if not ok then return {ok = false, error = why, target = target} end
  end
  press("shoot_half")
  local start = get_tick_count()
  while not get_shooting() do
    if get_tick_count() - start > (opts.prepare_timeout or 5000) then
      release("shoot_half")
      return {ok = false, error = "focus/exposure not ready in time", target = target}
    end
    sleep(10)
  end
  local prepared = get_tick_count()
  local left = target - get_tick_count()
  if left > 0 then sleep(left) end
  while get_tick_count() < target do sleep(1) end
  local before = get_exp_count()
  local fired = get_tick_count()
  press("shoot_full_only")
  local pressed = get_tick_count()
  while get_exp_count() == before do
    if get_tick_count() - pressed > (opts.shot_timeout or 10000) then
      release("shoot_full_only")
      release("shoot_half")
      return {ok = false, error = "no new image was written", target = target, fired = fired}
    end
    sleep(10)
  end
  release("shoot_full_only")
  release("shoot_half")
  return {
    ok = true,
    path = string.format("%s/IMG_%04d.JPG", get_image_dir(), get_exp_count()),
    fired = fired,
    prepared = prepared,
    target = target,
  }
end
