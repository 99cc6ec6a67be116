-- capmode: capture-mode names and switching for the simulated camera (require'capmode').
--
-- Mirrors the API of CHDK's LUALIB module of that name: mode_to_name (id -> name),
-- name_to_mode (name -> id), get(), get_name(), valid(id or name), set(id or name).
-- The ids are the simulator's (chdkptp.sim.state.CAPTURE_MODES) and must stay in step.

local capmode = {}

capmode.mode_to_name = {
  "AUTO", "P", "TV", "AV", "M", "PORTRAIT", "NIGHT", "LANDSCAPE", "VIDEO_STD",
}

capmode.name_to_mode = {}
for id, name in ipairs(capmode.mode_to_name) do
  capmode.name_to_mode[name] = id
end

local function to_id(mode)
  if type(mode) == "string" then
    return capmode.name_to_mode[mode]
  end
  return mode
end

-- current capture mode id, 0 in playback
function capmode.get()
  local rec, _, word = get_mode()
  if not rec then
    return 0
  end
  return bitand(word, 255)
end

function capmode.get_name()
  local id = capmode.get()
  if id == 0 then
    return "PLAY"
  end
  return capmode.mode_to_name[id] or "UNKNOWN"
end

function capmode.valid(mode)
  local id = to_id(mode)
  if not id or not capmode.mode_to_name[id] then
    return false
  end
  return is_capture_mode_valid(id)
end

function capmode.set(mode)
  local id = to_id(mode)
  if not capmode.valid(id) then
    return false
  end
  return set_capture_mode(id)
end

return capmode
